// Listings in S3's XML: ListObjects (v1), ListObjectsV2 and ListBuckets, paged by the OSS side's listPage (S3
// pages the same way: keys and common prefixes together count against max-keys).
import { xmlTime } from "../../context.ts";
import { listPage } from "../../handlers/listing.ts";
import type { ObjectRecord } from "../../store.ts";
import type { XmlObject } from "../../xml.ts";
import { encodingOf, maxOf, OWNER, s3Etag, s3StorageClass, sendXml, type S3Ctx } from "../context.ts";
import { s3Errors } from "../errors.ts";

export async function listObjects(ctx: S3Ctx): Promise<void> {
  const prefix = ctx.query.get("prefix") ?? "";
  const marker = ctx.query.get("marker") ?? "";
  const delimiter = ctx.query.get("delimiter") ?? "";
  const maxKeys = maxOf(ctx, "max-keys", 1000, 1000);
  const encoder = encodingOf(ctx);
  const encode = encoder ?? ((text: string) => text);
  const page = listPage(ctx, prefix, marker, delimiter, maxKeys);
  sendXml(ctx, 200, "ListBucketResult", {
    Name: ctx.bucket,
    Prefix: encode(prefix),
    Marker: encode(marker),
    MaxKeys: maxKeys,
    Delimiter: delimiter === "" ? undefined : encode(delimiter),
    EncodingType: encoder ? "url" : undefined,
    IsTruncated: page.truncated,
    NextMarker: page.truncated ? encode(page.last) : undefined,
    Contents: page.objects.map((o) => contents(o, encode, true)),
    CommonPrefixes: page.prefixes.map((p) => ({ Prefix: encode(p) })),
  });
}

export async function listObjectsV2(ctx: S3Ctx): Promise<void> {
  const prefix = ctx.query.get("prefix") ?? "";
  const delimiter = ctx.query.get("delimiter") ?? "";
  const startAfter = ctx.query.get("start-after") ?? "";
  const token = ctx.query.get("continuation-token");
  const fetchOwner = ctx.query.get("fetch-owner") === "true";
  const maxKeys = maxOf(ctx, "max-keys", 1000, 1000);
  const encoder = encodingOf(ctx);
  const encode = encoder ?? ((text: string) => text);
  let after = startAfter;
  if (token !== undefined) {
    // The token is opaque to clients; here it is the last name of the previous page.
    after = Buffer.from(token, "base64url").toString("utf8");
    if (token === "" || Buffer.from(after, "utf8").toString("base64url") !== token) {
      throw s3Errors.invalidArgument("The continuation token provided is incorrect", "continuation-token", token);
    }
  }
  const page = listPage(ctx, prefix, after, delimiter, maxKeys);
  sendXml(ctx, 200, "ListBucketResult", {
    Name: ctx.bucket,
    Prefix: encode(prefix),
    ContinuationToken: token,
    NextContinuationToken: page.truncated ? Buffer.from(page.last, "utf8").toString("base64url") : undefined,
    StartAfter: startAfter === "" ? undefined : encode(startAfter),
    KeyCount: page.objects.length + page.prefixes.length,
    MaxKeys: maxKeys,
    Delimiter: delimiter === "" ? undefined : encode(delimiter),
    EncodingType: encoder ? "url" : undefined,
    IsTruncated: page.truncated,
    Contents: page.objects.map((o) => contents(o, encode, fetchOwner)),
    CommonPrefixes: page.prefixes.map((p) => ({ Prefix: encode(p) })),
  });
}

export async function listBuckets(ctx: S3Ctx): Promise<void> {
  const prefix = ctx.query.get("prefix") ?? "";
  const buckets = ctx.em.store.listBuckets().filter((b) => b.name.startsWith(prefix));
  sendXml(ctx, 200, "ListAllMyBucketsResult", {
    Owner: OWNER,
    Buckets: { Bucket: buckets.map((b) => ({ Name: b.name, CreationDate: xmlTime(b.created) })) },
    Prefix: ctx.query.has("prefix") ? prefix : undefined,
  });
}

function contents(record: ObjectRecord, encode: (text: string) => string, withOwner: boolean): XmlObject {
  return {
    Key: encode(record.key),
    LastModified: xmlTime(record.lastModified),
    ETag: s3Etag(record.etag),
    Size: record.size,
    StorageClass: s3StorageClass(record.storageClass),
    Owner: withOwner ? OWNER : undefined,
  };
}
