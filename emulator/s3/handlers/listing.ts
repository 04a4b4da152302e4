// Listings in S3's XML: ListObjects (v1), ListObjectsV2 and ListBuckets, paged as S3 pages them.
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
    Buckets: { Bucket: buckets.map((b) => ({ Name: b.name, CreationDate: new Date(b.created).toISOString() })) },
    Prefix: ctx.query.has("prefix") ? prefix : undefined,
  });
}

interface Page {
  objects: ObjectRecord[];
  prefixes: string[];
  truncated: boolean;
  /** The last name on the page (a key or a common prefix): where the next page starts after. */
  last: string;
}

// Keys after `after` with `prefix`, keys sharing a part up to `delimiter` rolled into one common prefix, at most
// `max` entries (keys and prefixes together), as the OSS side pages its listings.
function listPage(ctx: S3Ctx, prefix: string, after: string, delimiter: string, max: number): Page {
  const page: Page = { objects: [], prefixes: [], truncated: false, last: "" };
  let count = 0;
  for (const record of ctx.em.store.list(ctx.bucket, prefix, after === "" ? undefined : after)) {
    let entry: string = record.key;
    let isPrefix = false;
    if (delimiter !== "") {
      const at = record.key.indexOf(delimiter, prefix.length);
      if (at >= 0) {
        entry = record.key.slice(0, at + delimiter.length);
        isPrefix = true;
        // The rest of a group already listed (on this page, or as the previous page's last entry).
        if (entry === page.last || entry === after) continue;
      }
    }
    if (count === max) {
      page.truncated = true;
      break;
    }
    count++;
    page.last = entry;
    if (isPrefix) page.prefixes.push(entry);
    else page.objects.push(record);
  }
  return page;
}

function contents(record: ObjectRecord, encode: (text: string) => string, withOwner: boolean): XmlObject {
  return {
    Key: encode(record.key),
    LastModified: new Date(record.lastModified).toISOString(),
    ETag: s3Etag(record.etag),
    Size: record.size,
    StorageClass: s3StorageClass(record.storageClass),
    Owner: withOwner ? OWNER : undefined,
  };
}
