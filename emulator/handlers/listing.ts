// Listings: ListObjects (v1), ListObjectsV2 and ListBuckets, paged as the service pages them.
import { OWNER, quoteEtag, sendXml, xmlTime, type Ctx } from "../context.ts";
import { restoreHeaderOf } from "../archive.ts";
import { errors } from "../errors.ts";
import type { ObjectRecord } from "../store.ts";
import type { XmlObject } from "../xml.ts";
import { encodingOf } from "./objects.ts";

export async function listObjects(ctx: Ctx): Promise<void> {
  const prefix = ctx.query.get("prefix") ?? "";
  const marker = ctx.query.get("marker") ?? "";
  const delimiter = ctx.query.get("delimiter") ?? "";
  const maxKeys = maxOf(ctx, "max-keys", 100, 1000);
  const encode = encodingOf(ctx) ?? ((text: string) => text);
  const page = listPage(ctx, prefix, marker, delimiter, maxKeys);
  sendXml(ctx, 200, "ListBucketResult", {
    Name: ctx.bucket,
    Prefix: encode(prefix),
    Marker: encode(marker),
    MaxKeys: maxKeys,
    Delimiter: encode(delimiter),
    EncodingType: ctx.query.get("encoding-type") ? "url" : undefined,
    IsTruncated: page.truncated,
    NextMarker: page.truncated ? encode(page.last) : undefined,
    Contents: page.objects.map((o) => contents(o, encode, true)),
    CommonPrefixes: page.prefixes.map((p) => ({ Prefix: encode(p) })),
  });
}

export async function listObjectsV2(ctx: Ctx): Promise<void> {
  const prefix = ctx.query.get("prefix") ?? "";
  const delimiter = ctx.query.get("delimiter") ?? "";
  const startAfter = ctx.query.get("start-after") ?? "";
  const token = ctx.query.get("continuation-token");
  const fetchOwner = ctx.query.get("fetch-owner") === "true";
  const maxKeys = maxOf(ctx, "max-keys", 100, 1000);
  const encode = encodingOf(ctx) ?? ((text: string) => text);
  let after = startAfter;
  // An empty token is no token: the service answers the first page.
  if (token !== undefined && token !== "") {
    // The token is opaque to clients; here it is the last name of the previous page.
    after = Buffer.from(token, "base64url").toString("utf8");
    if (Buffer.from(after, "utf8").toString("base64url") !== token) {
      throw errors.invalidArgument("The continuation token provided is incorrect.", "continuation-token", token);
    }
  }
  const page = listPage(ctx, prefix, after, delimiter, maxKeys);
  sendXml(ctx, 200, "ListBucketResult", {
    Name: ctx.bucket,
    Prefix: encode(prefix),
    StartAfter: startAfter === "" ? undefined : encode(startAfter),
    ContinuationToken: token === "" ? undefined : token,
    MaxKeys: maxKeys,
    Delimiter: encode(delimiter),
    EncodingType: ctx.query.get("encoding-type") ? "url" : undefined,
    IsTruncated: page.truncated,
    NextContinuationToken: page.truncated ? Buffer.from(page.last, "utf8").toString("base64url") : undefined,
    KeyCount: page.objects.length + page.prefixes.length,
    Contents: page.objects.map((o) => contents(o, encode, fetchOwner)),
    CommonPrefixes: page.prefixes.map((p) => ({ Prefix: encode(p) })),
  });
}

export async function listBuckets(ctx: Ctx): Promise<void> {
  const prefix = ctx.query.get("prefix") ?? "";
  const marker = ctx.query.get("marker") ?? "";
  const maxKeys = maxOf(ctx, "max-keys", 100, 1000);
  const all = ctx.em.store.listBuckets().filter((b) => b.name.startsWith(prefix) && (marker === "" || b.name > marker));
  const page = all.slice(0, maxKeys);
  const truncated = all.length > page.length;
  const region = ctx.em.region;
  sendXml(ctx, 200, "ListAllMyBucketsResult", {
    Prefix: ctx.query.has("prefix") ? prefix : undefined,
    Marker: ctx.query.has("marker") ? marker : undefined,
    MaxKeys: ctx.query.has("max-keys") ? maxKeys : undefined,
    IsTruncated: ctx.query.has("max-keys") ? truncated : undefined,
    NextMarker: truncated ? page[page.length - 1]!.name : undefined,
    Owner: OWNER,
    Buckets: {
      Bucket: page.map((b) => ({
        CreationDate: xmlTime(b.created),
        ExtranetEndpoint: `oss-${region}.aliyuncs.com`,
        IntranetEndpoint: `oss-${region}-internal.aliyuncs.com`,
        Location: `oss-${region}`,
        Name: b.name,
        Region: region,
        StorageClass: b.storageClass,
      })),
    },
  });
}

/** A positive integer parameter up to `max`, `fallback` when absent; 400 InvalidArgument otherwise. */
export function maxOf(ctx: Ctx, name: string, fallback: number, max: number): number {
  const text = ctx.query.get(name);
  if (text === undefined || text === "") return fallback;
  if (!/^\d+$/.test(text) || Number(text) < 1 || Number(text) > max) {
    throw errors.invalidArgument(`${name} must be an integer from 1 to ${max}.`, name, text);
  }
  return Number(text);
}

interface Page {
  objects: ObjectRecord[];
  prefixes: string[];
  truncated: boolean;
  /** The last name on the page (a key or a common prefix): where the next page starts after. */
  last: string;
}

// Keys after `after` with `prefix`, keys sharing a part up to `delimiter` rolled into one common prefix, at most
// `max` entries (keys and prefixes together). Shared with the S3 dialect's listings.
export function listPage(ctx: Pick<Ctx, "em" | "bucket">, prefix: string, after: string, delimiter: string, max: number): Page {
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
    LastModified: xmlTime(record.lastModified),
    ETag: quoteEtag(record.etag),
    Type: record.type,
    Size: record.size,
    StorageClass: record.storageClass,
    RestoreInfo: restoreHeaderOf(record),
    Owner: withOwner ? OWNER : undefined,
  };
}
