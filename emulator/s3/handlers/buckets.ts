// Bucket operations in S3's words: CreateBucket, DeleteBucket, HeadBucket, GetBucketLocation.
import { readSmallBody } from "../../body.ts";
import { checkBucketName } from "../../names.ts";
import { sendEmpty, sendXml, type S3Ctx } from "../context.ts";
import { aclOf } from "../request.ts";
import { DEFAULT_S3_REGION } from "../region.ts";

export async function createBucket(ctx: S3Ctx): Promise<void> {
  checkBucketName(ctx.bucket);
  const acl = aclOf(ctx.req.headers);
  // The CreateBucketConfiguration (a LocationConstraint) names a region; every bucket here is in the one region.
  await readSmallBody(ctx.req, 64 * 1024);
  await ctx.em.store.createBucket(ctx.bucket, { acl: acl === "default" ? "private" : acl, storageClass: "Standard" });
  sendEmpty(ctx, 200, { Location: `/${ctx.bucket}` });
}

export async function deleteBucket(ctx: S3Ctx): Promise<void> {
  await ctx.em.store.deleteBucket(ctx.bucket, () => ctx.em.uploads.hasUploads(ctx.bucket));
  sendEmpty(ctx, 204);
}

export async function headBucket(ctx: S3Ctx): Promise<void> {
  sendEmpty(ctx, 200, { "x-amz-bucket-region": DEFAULT_S3_REGION });
}

export async function getBucketLocation(ctx: S3Ctx): Promise<void> {
  // us-east-1 is written as an empty LocationConstraint, as S3 writes it.
  sendXml(ctx, 200, "LocationConstraint", {});
}
