// Bucket operations: create, delete, info, location, ACL, CORS.
import { OWNER, sendEmpty, sendXml, xmlTime, type Ctx } from "../context.ts";
import { errors } from "../errors.ts";
import { bucketAclOf, isStorageClass } from "../headers.ts";
import { checkBucketName } from "../names.ts";
import type { CorsRule } from "../store.ts";
import { childrenOf, textOf } from "../xml.ts";
import { readXmlBody } from "./objects.ts";

export async function putBucket(ctx: Ctx): Promise<void> {
  const { req, em, bucket } = ctx;
  checkBucketName(bucket);
  const acl = bucketAclOf(req.headers, "private");
  let storageClass = "Standard";
  const length = Number(req.headers["content-length"] ?? 0);
  if (length > 0 || req.headers["transfer-encoding"] !== undefined) {
    const document = await readXmlBody(ctx, "CreateBucketConfiguration");
    const given = textOf(document, "StorageClass");
    if (given !== undefined) {
      if (!isStorageClass(given.trim())) throw errors.invalidArgument("Invalid storage class.", "StorageClass", given);
      storageClass = given.trim();
    }
  }
  await em.store.createBucket(bucket, { acl, storageClass });
  sendEmpty(ctx, 200, { Location: `/${bucket}` });
}

export async function deleteBucket(ctx: Ctx): Promise<void> {
  await ctx.em.store.deleteBucket(ctx.bucket, () => ctx.em.uploads.hasUploads(ctx.bucket));
  sendEmpty(ctx, 204);
}

export async function getBucketInfo(ctx: Ctx): Promise<void> {
  const record = ctx.em.store.bucket(ctx.bucket)!;
  const region = ctx.em.region;
  sendXml(ctx, 200, "BucketInfo", {
    Bucket: {
      AccessMonitor: "Disabled",
      CreationDate: xmlTime(record.created),
      CrossRegionReplication: "Disabled",
      DataRedundancyType: "LRS",
      ExtranetEndpoint: `oss-${region}.aliyuncs.com`,
      IntranetEndpoint: `oss-${region}-internal.aliyuncs.com`,
      Location: `oss-${region}`,
      Name: record.name,
      StorageClass: record.storageClass,
      TransferAcceleration: "Disabled",
      Owner: OWNER,
      AccessControlList: { Grant: record.acl },
      Comment: "",
    },
  });
}

export async function getBucketLocation(ctx: Ctx): Promise<void> {
  sendXml(ctx, 200, "LocationConstraint", `oss-${ctx.em.region}`);
}

export async function putBucketAcl(ctx: Ctx): Promise<void> {
  const record = ctx.em.store.bucket(ctx.bucket)!;
  if (ctx.req.headers["x-oss-acl"] === undefined) throw errors.invalidArgument("x-oss-acl is required.", "x-oss-acl", "");
  await ctx.em.store.saveBucket({ ...record, acl: bucketAclOf(ctx.req.headers, record.acl) });
  // The service answers with the bucket as Location; ali-oss reads the bucket's name from it.
  sendEmpty(ctx, 200, { Location: `/${ctx.bucket}` });
}

export async function getBucketAcl(ctx: Ctx): Promise<void> {
  const record = ctx.em.store.bucket(ctx.bucket)!;
  sendXml(ctx, 200, "AccessControlPolicy", { Owner: OWNER, AccessControlList: { Grant: record.acl } });
}

export async function putBucketCors(ctx: Ctx): Promise<void> {
  const record = ctx.em.store.bucket(ctx.bucket)!;
  const document = await readXmlBody(ctx, "CORSConfiguration");
  const rules = childrenOf(document, "CORSRule").map((rule): CorsRule => {
    const texts = (name: string) => childrenOf(rule, name).map((c) => c.text.trim());
    const maxAge = textOf(rule, "MaxAgeSeconds");
    const parsed: CorsRule = {
      allowedOrigins: texts("AllowedOrigin"),
      allowedMethods: texts("AllowedMethod"),
      allowedHeaders: texts("AllowedHeader"),
      exposeHeaders: texts("ExposeHeader"),
      ...(maxAge !== undefined ? { maxAgeSeconds: Number(maxAge.trim()) } : {}),
    };
    if (parsed.allowedOrigins.length === 0 || parsed.allowedMethods.length === 0) throw errors.malformedXml();
    if (parsed.allowedMethods.some((m) => !["GET", "PUT", "POST", "DELETE", "HEAD"].includes(m))) {
      throw errors.invalidArgument("AllowedMethod is invalid.", "AllowedMethod", parsed.allowedMethods.join(","));
    }
    if (parsed.maxAgeSeconds !== undefined && !Number.isInteger(parsed.maxAgeSeconds)) throw errors.malformedXml();
    return parsed;
  });
  if (rules.length === 0 || rules.length > 10) throw errors.malformedXml();
  await ctx.em.store.saveBucket({ ...record, cors: rules });
  sendEmpty(ctx, 200);
}

export async function getBucketCors(ctx: Ctx): Promise<void> {
  const record = ctx.em.store.bucket(ctx.bucket)!;
  if (!record.cors) throw errors.noSuchCors(ctx.bucket);
  sendXml(ctx, 200, "CORSConfiguration", {
    CORSRule: record.cors.map((rule) => ({
      AllowedOrigin: rule.allowedOrigins,
      AllowedMethod: rule.allowedMethods,
      AllowedHeader: rule.allowedHeaders,
      ExposeHeader: rule.exposeHeaders,
      MaxAgeSeconds: rule.maxAgeSeconds,
    })),
    ResponseVary: "false",
  });
}

export async function deleteBucketCors(ctx: Ctx): Promise<void> {
  const record = ctx.em.store.bucket(ctx.bucket)!;
  await ctx.em.store.saveBucket({ ...record, cors: null });
  sendEmpty(ctx, 204);
}
