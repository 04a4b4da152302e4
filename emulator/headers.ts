// Object headers: what a write stores from its request, and what a read answers with.
import { createHash } from "node:crypto";
import type { IncomingHttpHeaders, OutgoingHttpHeader, OutgoingHttpHeaders } from "node:http";
import { headerValue } from "./auth-v1.ts";
import { quoteEtag, type Query } from "./context.ts";
import { ARCHIVE_CLASSES, restoreHeaderOf } from "./archive.ts";
import { errors } from "./errors.ts";
import type { Acl, ObjectAcl, ObjectRecord } from "./store.ts";

/** Standard headers kept with an object and returned as given. */
export const STORED_HEADERS = ["content-disposition", "content-encoding", "content-language", "cache-control", "expires"];

const ACLS = new Set(["private", "public-read", "public-read-write"]);
const STORAGE_CLASSES = new Set(["Standard", "IA", "Archive", "ColdArchive", "DeepColdArchive"]);

/** The Content-Type of a write, `application/octet-stream` when none is given. */
export function contentTypeOf(headers: IncomingHttpHeaders): string {
  return sendableValue("Content-Type", headers["content-type"]) || "application/octet-stream";
}

/** Server-side encryption headers: stored and echoed as the service echoes them (the bytes are not encrypted). */
export const ENCRYPTION_HEADERS = ["x-oss-server-side-encryption", "x-oss-server-side-encryption-key-id", "x-oss-server-side-data-encryption"];
const ENCRYPTION_ALGORITHMS = new Set(["AES256", "KMS", "SM4"]);
const KEPT_HEADERS = [...STORED_HEADERS, ...ENCRYPTION_HEADERS];

/** The standard and encryption headers a write keeps; 400 for an encryption the service does not offer. */
export function storedHeadersOf(headers: IncomingHttpHeaders): Record<string, string> {
  const stored: Record<string, string> = {};
  for (const name of KEPT_HEADERS) {
    const value = headers[name];
    if (value !== undefined) stored[name] = sendableValue(name, value);
  }
  const algorithm = stored["x-oss-server-side-encryption"];
  if (algorithm !== undefined && !ENCRYPTION_ALGORITHMS.has(algorithm)) throw errors.invalidEncryptionAlgorithm();
  const dataAlgorithm = stored["x-oss-server-side-data-encryption"];
  if (dataAlgorithm !== undefined && (algorithm !== "KMS" || dataAlgorithm !== "SM4")) {
    throw errors.invalidArgument("x-oss-server-side-data-encryption is only valid as SM4 with KMS.", "x-oss-server-side-data-encryption", dataAlgorithm);
  }
  if (stored["x-oss-server-side-encryption-key-id"] !== undefined && algorithm !== "KMS") {
    throw errors.invalidArgument("x-oss-server-side-encryption-key-id is only valid with KMS.", "x-oss-server-side-encryption-key-id", "");
  }
  return stored;
}

/** The encryption headers among a record's stored ones, to echo on writes. */
export function encryptionHeadersOf(stored: Record<string, string>): Record<string, string> {
  const echoed: Record<string, string> = {};
  for (const name of ENCRYPTION_HEADERS) if (stored[name] !== undefined) echoed[name] = stored[name];
  return echoed;
}

// What an HTTP header may not carry (RFC 9110 field-value): control characters other than tab.
const NOT_IN_HEADER = /[\u0000-\u0008\u000a-\u001f\u007f]/;

/** A header value kept to be sent back later; 400 InvalidArgument when it could not be sent back. */
export function sendableValue(name: string, value: string | string[] | undefined): string {
  const text = headerValue(value);
  if (NOT_IN_HEADER.test(text)) throw errors.invalidArgument(`The value of ${name} contains characters a header may not carry.`, name, "");
  return text;
}

/** User metadata from `x-oss-meta-*`; names lower-case, as the service keeps them. Over 8 KB → 400. */
export function userMetaOf(headers: IncomingHttpHeaders): Record<string, string> {
  const meta: Record<string, string> = {};
  let size = 0;
  for (const name in headers) {
    if (!name.startsWith("x-oss-meta-")) continue;
    const short = name.slice("x-oss-meta-".length);
    meta[short] = sendableValue(name, headers[name]);
    size += short.length + meta[short].length;
  }
  if (size > 8 * 1024) throw errors.invalidArgument("User metadata exceeds 8 KB.", "x-oss-meta-*", "");
  return meta;
}

/** The object ACL of `x-oss-object-acl`, `default` when absent; 400 InvalidArgument when unknown. */
export function objectAclOf(headers: IncomingHttpHeaders): ObjectAcl {
  const value = headerValue(headers["x-oss-object-acl"]);
  if (value === "") return "default";
  if (value !== "default" && !ACLS.has(value)) throw errors.invalidArgument("no such object access control exists", "x-oss-object-acl", value);
  return value as ObjectAcl;
}

/** A bucket ACL from `x-oss-acl`; `fallback` when absent. */
export function bucketAclOf(headers: IncomingHttpHeaders, fallback: Acl): Acl {
  const value = headerValue(headers["x-oss-acl"]);
  if (value === "") return fallback;
  if (!ACLS.has(value)) throw errors.invalidArgument("no such bucket access control exists", "x-oss-acl", value);
  return value as Acl;
}

/** The storage class of `x-oss-storage-class`, or `fallback`. */
export function storageClassOf(headers: IncomingHttpHeaders, fallback: string): string {
  const value = headerValue(headers["x-oss-storage-class"]);
  if (value === "") return fallback;
  if (!STORAGE_CLASSES.has(value)) throw errors.invalidArgument("Invalid storage class.", "x-oss-storage-class", value);
  return value;
}

export function isStorageClass(value: string): boolean {
  return STORAGE_CLASSES.has(value);
}

/** Tags of `x-oss-tagging` (`k1=v1&k2=v2`, URL-encoded), checked as PutObjectTagging checks them. */
export function taggingHeaderOf(headers: IncomingHttpHeaders): Array<[string, string]> {
  const value = headerValue(headers["x-oss-tagging"]);
  if (value === "") return [];
  const tags: Array<[string, string]> = [];
  for (const pair of value.split("&")) {
    const eq = pair.indexOf("=");
    try {
      tags.push(eq < 0 ? [decodeURIComponent(pair), ""] : [decodeURIComponent(pair.slice(0, eq)), decodeURIComponent(pair.slice(eq + 1))]);
    } catch {
      throw errors.invalidTag("The tag in x-oss-tagging could not be decoded.");
    }
  }
  checkTags(tags);
  return tags;
}

/** At most 10 tags, keys 1–128 characters and unique, values up to 256 characters. */
export function checkTags(tags: Array<[string, string]>): void {
  if (tags.length > 10) throw errors.invalidTag("Object tags cannot be greater than 10.");
  const seen = new Set<string>();
  for (const [key, value] of tags) {
    if (key.length < 1 || key.length > 128) throw errors.invalidTag("The tag key must be 1 to 128 characters.");
    if (value.length > 256) throw errors.invalidTag("The tag value must be at most 256 characters.");
    if (seen.has(key)) throw errors.invalidTag("Tag keys must be unique.");
    seen.add(key);
  }
}

/** Checks a `Content-MD5` header against the bytes' MD5; 400 InvalidDigest when they differ or it is malformed. */
export function checkContentMd5(headers: IncomingHttpHeaders, md5: Buffer): void {
  const given = headerValue(headers["content-md5"]);
  if (given === "") return;
  const calculated = md5.toString("base64");
  if (given.trim() !== calculated) throw errors.invalidDigest(given, calculated);
}

/** Upper-case hex of a binary MD5: the service's ETag. */
export function etagOf(md5: Buffer): string {
  return md5.toString("hex").toUpperCase();
}

/** Upper-case hex MD5 of a string. */
export function md5Hex(text: string): string {
  return createHash("md5").update(text, "utf8").digest("hex").toUpperCase();
}

// The headers of a plain object's reads, kept with the record: a record never changes (a write replaces it), and
// formatting its date, ETag and MD5 again for every read is most of what a small GET costs here. Archive objects
// (whose x-oss-restore follows the clock) and reads through a symlink are built every time.
const readHeaders = new WeakMap<ObjectRecord, OutgoingHttpHeaders>();

// The same, as the flat [name, value, …] list Node writes fastest, with the whole body's Content-Length: what a
// plain read of a whole object answers with. Kept per record, as above.
const wholeReadHeads = new WeakMap<ObjectRecord, OutgoingHttpHeader[]>();

/**
 * The head of a 200 answer with the whole of `record`, for a read without a symlink or response-* parameters;
 * undefined for archive objects, whose head follows the clock.
 */
export function wholeReadHead(record: ObjectRecord): OutgoingHttpHeader[] | undefined {
  if (ARCHIVE_CLASSES.has(record.storageClass)) return undefined;
  let head = wholeReadHeads.get(record);
  if (head === undefined) {
    const headers = buildObjectHeaders(record, undefined);
    headers["Content-Length"] = record.size;
    head = [];
    for (const name in headers) head.push(name, headers[name]!);
    wholeReadHeads.set(record, head);
  }
  return head;
}

/** The headers GetObject and HeadObject answer with (not Content-Length, which depends on the range). */
export function objectHeaders(record: ObjectRecord, query: Query | undefined, link?: ObjectRecord): OutgoingHttpHeaders {
  let headers: OutgoingHttpHeaders;
  if (link === undefined && !ARCHIVE_CLASSES.has(record.storageClass)) {
    let kept = readHeaders.get(record);
    if (kept === undefined) {
      kept = buildObjectHeaders(record, undefined);
      readHeaders.set(record, kept);
    }
    headers = { ...kept };
  } else {
    headers = buildObjectHeaders(record, link);
  }
  if (query && query.entries.length > 0) applyResponseParameters(headers, query);
  return headers;
}

function buildObjectHeaders(record: ObjectRecord, link: ObjectRecord | undefined): OutgoingHttpHeaders {
  const headers: OutgoingHttpHeaders = {
    "Content-Type": record.contentType,
    ETag: quoteEtag(record.etag),
    "Last-Modified": new Date(record.lastModified).toUTCString(),
    "Accept-Ranges": "bytes",
    "x-oss-object-type": link ? "Symlink" : record.type,
    "x-oss-storage-class": record.storageClass,
  };
  for (const name in record.headers) headers[name] = record.headers[name];
  const restore = restoreHeaderOf(record);
  if (restore !== undefined) headers["x-oss-restore"] = restore;
  const meta = (link ?? record).meta;
  for (const name in meta) headers[`x-oss-meta-${name}`] = meta[name];
  const tags = (link ?? record).tags;
  if (tags.length > 0) headers["x-oss-tagging-count"] = String(tags.length);
  if (record.type === "Appendable") headers["x-oss-next-append-position"] = String(record.size);
  // The whole object's CRC, on ranged reads too, as the service sends it (clients check it on whole reads).
  if (record.crc64 !== undefined) headers["x-oss-hash-crc64ecma"] = record.crc64;
  if (record.type === "Normal") headers["Content-MD5"] = Buffer.from(record.etag, "hex").toString("base64");
  return headers;
}

// GetObject's response-* parameters replace the stored headers in this answer only.
export const RESPONSE_PARAMETERS = [
  ["response-content-type", "Content-Type"],
  ["response-content-language", "content-language"],
  ["response-expires", "expires"],
  ["response-cache-control", "cache-control"],
  ["response-content-disposition", "content-disposition"],
  ["response-content-encoding", "content-encoding"],
] as const;

function applyResponseParameters(headers: OutgoingHttpHeaders, query: Query): void {
  for (const [param, header] of RESPONSE_PARAMETERS) {
    const value = query.get(param);
    if (value !== undefined && NOT_IN_HEADER.test(value)) {
      throw errors.invalidArgument(`${param} contains characters a header may not carry.`, param, "");
    }
    // A URL carries any UTF-8; an HTTP header carries bytes: send the UTF-8 bytes as they are.
    if (value !== undefined) headers[header] = /[^\u0000-\u00ff]/.test(value) ? Buffer.from(value, "utf8").toString("latin1") : value;
  }
}
