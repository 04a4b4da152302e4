// What S3 writes take from their request: user metadata (x-amz-meta-*), stored standard headers, the canned ACL,
// Content-MD5, the copy source; and the body, received into the shared store through the OSS side's helpers.
import type { IncomingHttpHeaders } from "node:http";
import { headerValue } from "../auth-v1.ts";
import { MAX_BLOB_SIZE } from "../blobs.ts";
import { readSmallBody, receiveSmall, receiveToFile, removeQuietly } from "../body.ts";
import { checkTags, sendableValue, storedHeadersOf } from "../headers.ts";
import { MAX_XML_BODY } from "../handlers/objects.ts";
import { checkBucketName, checkObjectName } from "../names.ts";
import type { BlobRef } from "../blobs.ts";
import type { ObjectAcl } from "../store.ts";
import { parseXml, XmlSyntaxError, type XmlElement } from "../xml.ts";
import type { S3Ctx } from "./context.ts";
import { s3Errors } from "./errors.ts";
import { payloadOf } from "./payload.ts";
import type { ChecksumName } from "./checksums.ts";

/** The largest single PUT S3 takes. */
export const MAX_PUT_SIZE = 5 * 1024 ** 3;
// S3 limits user metadata to 2 KB: names and values, as UTF-8.
const MAX_META = 2 * 1024;

/** User metadata from `x-amz-meta-*`, names lower-case without the prefix; 400 MetadataTooLarge past 2 KB. */
export function userMetaOf(headers: IncomingHttpHeaders): Record<string, string> {
  const meta: Record<string, string> = {};
  let size = 0;
  for (const [name, value] of Object.entries(headers)) {
    if (!name.startsWith("x-amz-meta-")) continue;
    const short = name.slice("x-amz-meta-".length);
    // Refused (400) when it holds characters a header cannot carry back, as on the OSS side.
    meta[short] = sendableValue(name, value);
    size += Buffer.byteLength(short) + Buffer.byteLength(meta[short]);
  }
  if (size > MAX_META) throw s3Errors.metadataTooLarge();
  return meta;
}

/**
 * The standard headers an object keeps; `aws-chunked` is the body's framing, not the object's encoding. S3's
 * server-side encryption headers are kept under the OSS side's names, so that either dialect echoes them.
 */
export function storedHeaders(headers: IncomingHttpHeaders): Record<string, string> {
  const stored = { ...storedHeadersOf(headers), ...encryptionOf(headers) };
  const encoding = stored["content-encoding"];
  if (encoding !== undefined) {
    const rest = encoding.split(",").map((e) => e.trim()).filter((e) => e !== "" && e.toLowerCase() !== "aws-chunked");
    if (rest.length > 0) stored["content-encoding"] = rest.join(", ");
    else delete stored["content-encoding"];
  }
  return stored;
}

/** The object ACL of a canned `x-amz-acl` (the three the store knows), `default` without one. */
export function aclOf(headers: IncomingHttpHeaders): ObjectAcl {
  const value = headerValue(headers["x-amz-acl"]);
  if (value === "") return "default";
  if (value === "private" || value === "public-read" || value === "public-read-write") return value;
  throw s3Errors.notImplemented(`The canned ACL ${value}`);
}

/** Tags of `x-amz-tagging` (`k1=v1&k2=v2`, URL-encoded), checked as the OSS side checks tags. */
export function taggingOf(headers: IncomingHttpHeaders): Array<[string, string]> {
  const value = headerValue(headers["x-amz-tagging"]);
  if (value === "") return [];
  const tags: Array<[string, string]> = [];
  for (const pair of value.split("&")) {
    const eq = pair.indexOf("=");
    try {
      const decode = (text: string) => decodeURIComponent(text.replace(/\+/g, " "));
      tags.push(eq < 0 ? [decode(pair), ""] : [decode(pair.slice(0, eq)), decode(pair.slice(eq + 1))]);
    } catch {
      throw s3Errors.invalidArgument("The header 'x-amz-tagging' shall be encoded as UTF-8 then URLEncoded URL query parameters without tag name duplicates.", "x-amz-tagging", value);
    }
  }
  checkTags(tags);
  return tags;
}

/** The binary MD5 a `Content-MD5` header declares; 400 InvalidDigest when malformed. */
export function declaredMd5(headers: IncomingHttpHeaders): Buffer | undefined {
  const given = headerValue(headers["content-md5"]).trim();
  if (given === "") return undefined;
  const bytes = Buffer.from(given, "base64");
  if (bytes.length !== 16 || bytes.toString("base64") !== given) throw s3Errors.invalidDigest();
  return bytes;
}

export interface Received {
  size: number;
  md5: Buffer;
  /** CRC-64/ECMA-182, decimal: what OSS clients reading the object verify (x-oss-hash-crc64ecma). */
  crc64: string;
  /** Where the bytes are: a small body's blob in the bucket's segments, or a data file. */
  blob?: BlobRef;
  file?: { file: string; path: string };
  checksum?: { name: ChecksumName; value: string };
}

/**
 * Receives the request's body (decoded and verified, see payload.ts) for an object in `bucket`: a small one into
 * the bucket's segments when `small` allows, else into the file `newFile` gives. Nothing is committed here; on
 * failure nothing is left behind.
 */
export async function receiveBody(ctx: S3Ctx, newFile: () => { file: string; path: string }, small: boolean): Promise<Received> {
  const payload = payloadOf(ctx.req, ctx.principal);
  if (payload.length === undefined) throw s3Errors.missingContentLength();
  if (payload.length > MAX_PUT_SIZE) throw s3Errors.entityTooLarge();
  const md5 = declaredMd5(ctx.req.headers);
  const checkMd5 = (actual: Buffer) => {
    if (md5 && !md5.equals(actual)) throw s3Errors.badContentMd5();
  };
  if (small && payload.length <= MAX_BLOB_SIZE) {
    const body = await receiveSmall(payload.stream, payload.length);
    checkMd5(body.md5);
    const blob = ctx.em.store.writeBlob(ctx.bucket, body.body);
    const checksum = payload.checksum();
    return { size: payload.length, md5: body.md5, crc64: body.crc64, blob, ...(checksum ? { checksum } : {}) };
  }
  const file = newFile();
  const written = await receiveToFile(payload.stream, file.path, {
    maxSize: MAX_PUT_SIZE,
    contentLength: payload.length,
    verify: (w) => checkMd5(w.md5),
  });
  const checksum = payload.checksum();
  return { size: written.size, md5: written.md5, crc64: written.crc64, file, ...(checksum ? { checksum } : {}) };
}

/** Gives back what receiveBody stored when the record naming it was never committed. */
export async function discard(ctx: S3Ctx, received: Received): Promise<void> {
  if (received.blob) ctx.em.store.releaseBlob(ctx.bucket, received.blob, received.size);
  if (received.file) await removeQuietly(received.file.path);
}

/** Reads (checksums verified) and parses a small XML request body whose root must be `root`. */
export async function readXmlBody(ctx: S3Ctx, root: string): Promise<XmlElement> {
  const payload = payloadOf(ctx.req, ctx.principal);
  // The OSS side's limit: a longer document is refused before (or as soon as) it is read, never held whole.
  if (payload.length !== undefined && payload.length > MAX_XML_BODY) throw s3Errors.malformedXml();
  const md5 = declaredMd5(ctx.req.headers);
  const { text, md5: actual } = await readSmallBody(payload.stream, MAX_XML_BODY);
  if (md5 && !md5.equals(actual)) throw s3Errors.badContentMd5();
  let document: XmlElement;
  try {
    document = parseXml(text);
  } catch (error) {
    if (error instanceof XmlSyntaxError) throw s3Errors.malformedXml();
    throw error;
  }
  if (document.name !== root) throw s3Errors.malformedXml();
  return document;
}

/** `x-amz-copy-source`: `bucket/key` or `/bucket/key`, URL-encoded, perhaps with `?versionId=`. */
export function copySourceOf(ctx: S3Ctx): { bucket: string; key: string } {
  const raw = headerValue(ctx.req.headers["x-amz-copy-source"]);
  const [path = "", version] = raw.split("?");
  if (version !== undefined && version !== "" && !/^versionId=(null)?$/.test(version)) {
    throw s3Errors.notImplemented("Copying a version other than the current one");
  }
  let decoded: string;
  try {
    decoded = decodeURIComponent(path);
  } catch {
    throw s3Errors.invalidArgument("Copy Source must mention the source bucket and key: sourcebucket/sourcekey", "x-amz-copy-source", raw);
  }
  const m = /^\/?([^/]+)\/(.+)$/.exec(decoded);
  if (!m) throw s3Errors.invalidArgument("Copy Source must mention the source bucket and key: sourcebucket/sourcekey", "x-amz-copy-source", raw);
  checkBucketName(m[1]!);
  checkObjectName(m[2]!);
  return { bucket: m[1]!, key: m[2]! };
}

/** The `x-amz-copy-source-if-*` conditions under the names evaluateConditions reads. */
export function copyConditions(headers: IncomingHttpHeaders): IncomingHttpHeaders {
  const conditions: IncomingHttpHeaders = {};
  for (const name of ["match", "none-match", "modified-since", "unmodified-since"]) {
    const value = headers[`x-amz-copy-source-if-${name}`];
    if (value !== undefined) conditions[`if-${name}`] = value;
  }
  return conditions;
}

// S3's encryption algorithms as the store (OSS) names them, and back.
const SSE_TO_STORE: Record<string, string> = { AES256: "AES256", "aws:kms": "KMS" };
const SSE_FROM_STORE: Record<string, string> = { AES256: "AES256", KMS: "aws:kms" };
const SSE = "x-amz-server-side-encryption";
const SSE_KEY = "x-amz-server-side-encryption-aws-kms-key-id";

// `x-amz-server-side-encryption` (and the KMS key id) as stored headers; 400 for what S3 would refuse.
function encryptionOf(headers: IncomingHttpHeaders): Record<string, string> {
  const given = headers[SSE];
  const keyId = headers[SSE_KEY];
  if (given === undefined) {
    if (keyId !== undefined) throw s3Errors.invalidArgument(`${SSE_KEY} is only valid with ${SSE}: aws:kms.`, SSE_KEY, "");
    return {};
  }
  const value = sendableValue(SSE, given);
  const algorithm = SSE_TO_STORE[value];
  if (algorithm === undefined) throw s3Errors.invalidArgument("The encryption method specified is not supported", SSE, value);
  const stored: Record<string, string> = { "x-oss-server-side-encryption": algorithm };
  if (keyId !== undefined) {
    if (algorithm !== "KMS") throw s3Errors.invalidArgument(`${SSE_KEY} is only valid with ${SSE}: aws:kms.`, SSE_KEY, "");
    stored["x-oss-server-side-encryption-key-id"] = sendableValue(SSE_KEY, keyId);
  }
  return stored;
}

/** The encryption headers S3 answers with for a record's stored headers (the bytes are not encrypted). */
export function s3EncryptionHeaders(stored: Record<string, string>): Record<string, string> {
  const algorithm = SSE_FROM_STORE[stored["x-oss-server-side-encryption"] ?? ""];
  if (algorithm === undefined) return {};
  const keyId = stored["x-oss-server-side-encryption-key-id"];
  return { [SSE]: algorithm, ...(keyId !== undefined && algorithm === "aws:kms" ? { [SSE_KEY]: keyId } : {}) };
}
