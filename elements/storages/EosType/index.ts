// storages.EosType: China Mobile Cloud EOS. Its endpoints name their resource pool (eos-beijing-1.cmecloud.cn,
// eos-wuxi-1.cmecloud.cn, …); requests are signed for that pool's name unless `region` says otherwise.
import S3Storage from "../S3Type/index.ts";
import { endpointUrl, targetOf, type S3Config, type S3Target } from "../S3Type/config.ts";

/** China Mobile Cloud EOS storage (`storages.EosType`). */
export default class EosStorage<Config extends S3Config = S3Config> extends S3Storage<Config> {
  protected override resolveTarget(config: Config): S3Target {
    const url = endpointUrl(config.endPoint, config.scheme);
    const pool = /^eos-([a-z0-9-]+)\.cmecloud\.cn$/.exec(url.hostname)?.[1];
    return targetOf(url, config.region ?? pool ?? "us-east-1", config.pathStyle);
  }
}
