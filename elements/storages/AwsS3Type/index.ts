// storages.AwsS3Type: Amazon S3. JitAI's example endPoint is the global s3.amazonaws.com; requests for a bucket in
// another region must go to that region's endpoint (the global one answers them with a redirect), so the global
// name is read as "the endpoint of `region`".
import S3Storage from "../S3Type/index.ts";
import { endpointUrl, targetOf, type S3Config, type S3Target } from "../S3Type/config.ts";

/** Amazon S3 storage (`storages.AwsS3Type`). */
export default class AwsS3Storage<Config extends S3Config = S3Config> extends S3Storage<Config> {
  protected override resolveTarget(config: Config): S3Target {
    const region = config.region ?? "us-east-1";
    const url = endpointUrl(config.endPoint, config.scheme);
    if (url.hostname === "s3.amazonaws.com") url.hostname = `s3.${region}.amazonaws.com`;
    return targetOf(url, region, config.pathStyle);
  }
}
