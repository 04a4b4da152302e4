// The region the S3 dialect reports (HeadBucket, GetBucketLocation); requests signed for any region are accepted.
export const DEFAULT_S3_REGION = "us-east-1";
