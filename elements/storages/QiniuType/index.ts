// storages.QiniuType: Qiniu Kodo through its S3-compatible API. JitAI configures Qiniu with an upload domain
// (default upload-z2.qiniup.com); the S3 API lives at s3.<region>.qiniucs.com instead. The mapping is Qiniu's
// table of S3 service domains (developer.qiniu.com/kodo/4088/s3-access-domainname) joined with its upload
// domains per region (z0, z1, z2, na0, as0, cn-east-2, …).
import S3Storage from "../S3Type/index.ts";
import { endpointUrl, targetOf, type S3Config, type S3Target } from "../S3Type/config.ts";

/** Qiniu's region ids (as in upload domains) → the S3 API's region. */
export const QINIU_S3_REGIONS: Readonly<Record<string, string>> = {
  z0: "cn-east-1",
  "cn-east-1": "cn-east-1",
  "cn-east-2": "cn-east-2",
  z1: "cn-north-1",
  "cn-north-1": "cn-north-1",
  z2: "cn-south-1",
  "cn-south-1": "cn-south-1",
  na0: "us-north-1",
  "us-north-1": "us-north-1",
  as0: "ap-southeast-1",
  "ap-southeast-1": "ap-southeast-1",
  "ap-southeast-2": "ap-southeast-2",
  "ap-southeast-3": "ap-southeast-3",
};

/** Qiniu Kodo storage (`storages.QiniuType`). */
export default class QiniuStorage<Config extends S3Config = S3Config> extends S3Storage<Config> {
  protected override resolveTarget(config: Config): S3Target {
    const url = endpointUrl(config.endPoint, config.scheme);
    const region = qiniuRegionOf(url.hostname);
    if (region !== undefined && url.hostname.endsWith(".qiniup.com")) url.hostname = `s3.${region}.qiniucs.com`;
    return targetOf(url, config.region ?? region ?? "cn-east-1", config.pathStyle);
  }
}

/**
 * The S3 region a Qiniu host names: `upload.qiniup.com` / `up.qiniup.com` (z0), `upload-z2.qiniup.com`,
 * `up-z2.qiniup.com`, `upload-cn-east-2.qiniup.com`, or an S3 domain `s3.cn-south-1.qiniucs.com` /
 * `s3-cn-south-1.qiniucs.com`. Undefined for any other host.
 */
export function qiniuRegionOf(hostname: string): string | undefined {
  if (hostname === "upload.qiniup.com" || hostname === "up.qiniup.com") return "cn-east-1";
  const upload = /^(?:upload|up)-([a-z0-9-]+)\.qiniup\.com$/.exec(hostname);
  if (upload !== null) return QINIU_S3_REGIONS[upload[1]!];
  const s3 = /^s3[.-]([a-z0-9-]+)\.qiniucs\.com$/.exec(hostname);
  if (s3 !== null) return QINIU_S3_REGIONS[s3[1]!] ?? s3[1];
  return undefined;
}
