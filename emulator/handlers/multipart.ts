// Multipart uploads: initiate, upload part (and part copy), complete, abort, list parts, list uploads.
import { createHash } from "node:crypto";
import { headerValue } from "../auth-v1.ts";
import { writeFileSync } from "node:fs";
import { link } from "node:fs/promises";
import { rangesOf } from "../segments.ts";
import { concatenateFiles, receiveToFile, removeQuietly, type WrittenBody } from "../body.ts";
import { evaluateConditions } from "../conditions.ts";
import { combineCrc64, crc64 } from "../crc64.ts";
import { quoteEtag, sendEmpty, sendXml, xmlTime, type Ctx } from "../context.ts";
import { errors } from "../errors.ts";
import {
  checkContentMd5,
  contentTypeOf,
  encryptionHeadersOf,
  etagOf,
  objectAclOf,
  storageClassOf,
  storedHeadersOf,
  taggingHeaderOf,
  userMetaOf,
} from "../headers.ts";
import { compareKeys } from "../names.ts";
import type { ObjectRecord } from "../store.ts";
import type { PartRecord, Upload } from "../uploads.ts";
import { childrenOf, textOf } from "../xml.ts";
import { maxOf } from "./listing.ts";
import { contentLengthOf, copySourceOf, encodingOf, MAX_PUT_SIZE, readXmlBody, sourceRecord } from "./objects.ts";

// Every part but the last must be at least this large.
const MIN_PART_SIZE = 100 * 1024;
const MAX_PART_NUMBER = 10000;

export async function initiateMultipartUpload(ctx: Ctx): Promise<void> {
  const { req, em, bucket, key } = ctx;
  const upload = await em.uploads.initiate({
    bucket,
    key,
    contentType: contentTypeOf(req.headers),
    headers: storedHeadersOf(req.headers),
    meta: userMetaOf(req.headers),
    acl: objectAclOf(req.headers),
    tags: taggingHeaderOf(req.headers),
    storageClass: storageClassOf(req.headers, em.store.bucket(bucket)!.storageClass),
  });
  const encode = encodingOf(ctx);
  sendXml(
    ctx,
    200,
    "InitiateMultipartUploadResult",
    { EncodingType: encode ? "url" : undefined, Bucket: bucket, Key: encode ? encode(key) : key, UploadId: upload.uploadId },
    encryptionHeadersOf(upload.headers),
  );
}

export async function uploadPart(ctx: Ctx): Promise<void> {
  const { req, em } = ctx;
  const { upload, partNumber } = partOf(ctx);
  const length = contentLengthOf(ctx);
  if (length !== undefined && length > MAX_PUT_SIZE) throw errors.entityTooLarge();
  const { file, path } = em.uploads.newPartFile(upload, partNumber);
  const body = await receiveToFile(req, path, {
    maxSize: MAX_PUT_SIZE,
    contentLength: length,
    verify: (written) => checkContentMd5(req.headers, written.md5),
  });
  const part: PartRecord = { partNumber, etag: etagOf(body.md5), size: body.size, lastModified: Date.now(), file, crc64: body.crc64 };
  try {
    await em.uploads.commitPart(upload, part);
  } catch (error) {
    await removeQuietly(path);
    throw error;
  }
  sendEmpty(ctx, 200, {
    ...encryptionHeadersOf(upload.record.headers),
    ETag: quoteEtag(part.etag),
    "Content-MD5": body.md5.toString("base64"),
    "x-oss-hash-crc64ecma": body.crc64,
  });
}

export async function uploadPartCopy(ctx: Ctx): Promise<void> {
  const { req, em } = ctx;
  const { upload, partNumber } = partOf(ctx);
  const source = copySourceOf(ctx);
  const from = sourceRecord(ctx, source);
  if (evaluateConditions(req.headers, from, "x-oss-copy-source-if-") === "not-modified") {
    sendEmpty(ctx, 304, { ETag: quoteEtag(from.etag) });
    return;
  }
  let start = 0;
  let end = from.size - 1;
  const rangeText = headerValue(req.headers["x-oss-copy-source-range"]);
  if (rangeText !== "") {
    const m = /^bytes=(\d+)-(\d*)$/.exec(rangeText.trim());
    if (!m) throw errors.invalidArgument("x-oss-copy-source-range is invalid.", "x-oss-copy-source-range", rangeText);
    start = Number(m[1]);
    end = m[2] === "" ? from.size - 1 : Math.min(Number(m[2]), from.size - 1);
    if (start > end || start >= from.size) throw errors.invalidRange(from.size);
  }
  if (from.type === "Symlink") {
    throw errors.invalidArgument("A symlink cannot be a copy source of a part.", "x-oss-copy-source", source.key);
  }
  const { file, path } = em.uploads.newPartFile(upload, partNumber);
  let body: WrittenBody;
  if (from.blob) {
    const bytes = em.store.readBlob(source.bucket, from, start, end - start + 1);
    writeFileSync(path, bytes, { flag: "wx" });
    body = { size: bytes.length, md5: createHash("md5").update(bytes).digest(), crc64: crc64(bytes) };
  } else {
    body = await concatenateFiles(end < start ? [] : rangesOf(em.store.dataFiles(source.bucket, from), start, end), path);
  }
  const part: PartRecord = { partNumber, etag: etagOf(body.md5), size: body.size, lastModified: Date.now(), file, crc64: body.crc64 };
  try {
    await em.uploads.commitPart(upload, part);
  } catch (error) {
    await removeQuietly(path);
    throw error;
  }
  sendXml(
    ctx,
    200,
    "CopyPartResult",
    { LastModified: xmlTime(part.lastModified), ETag: quoteEtag(part.etag) },
    { ETag: quoteEtag(part.etag) },
  );
}

export async function completeMultipartUpload(ctx: Ctx): Promise<void> {
  const { req, em, bucket, key } = ctx;
  const uploadId = ctx.query.get("uploadId") ?? "";
  const upload = em.uploads.get(bucket, key, uploadId);
  const completeAll = headerValue(req.headers["x-oss-complete-all"]).toLowerCase() === "yes";
  let requested: Array<{ partNumber: number; etag: string }>;
  if (completeAll) {
    requested = em.uploads.parts(upload).map((p) => ({ partNumber: p.partNumber, etag: p.etag }));
  } else {
    const document = await readXmlBody(ctx, "CompleteMultipartUpload");
    requested = childrenOf(document, "Part").map((part) => {
      const number = (textOf(part, "PartNumber") ?? "").trim();
      const etag = textOf(part, "ETag");
      if (!/^\d+$/.test(number) || etag === undefined) throw errors.malformedXml();
      return { partNumber: Number(number), etag: etag.trim().replace(/^"|"$/g, "").toUpperCase() };
    });
  }
  if (requested.length === 0) throw errors.malformedXml();
  let result: ObjectRecord | undefined;
  await em.uploads.finish(upload, async () => {
    const parts: PartRecord[] = [];
    for (let i = 0; i < requested.length; i++) {
      const { partNumber, etag } = requested[i]!;
      if (i > 0 && partNumber <= requested[i - 1]!.partNumber) throw errors.invalidPartOrder();
      const part = upload.parts.get(partNumber);
      if (!part || part.etag !== etag) throw errors.invalidPart();
      parts.push(part);
    }
    for (const part of parts.slice(0, -1)) if (part.size < MIN_PART_SIZE) throw errors.entityTooSmall();
    result = await commitParts(em, upload, parts);
    return true;
  });
  const encode = encodingOf(ctx);
  const host = headerValue(req.headers.host);
  sendXml(
    ctx,
    200,
    "CompleteMultipartUploadResult",
    {
      EncodingType: encode ? "url" : undefined,
      Location: `http://${host}/${encodeURIComponent(key).replace(/%2F/g, "/")}`,
      Bucket: bucket,
      Key: encode ? encode(key) : key,
      ETag: quoteEtag(result!.etag),
    },
    {
      ...encryptionHeadersOf(result!.headers),
      ETag: quoteEtag(result!.etag),
      ...(result!.crc64 !== undefined ? { "x-oss-hash-crc64ecma": result!.crc64 } : {}),
    },
  );
}

/**
 * Makes `parts` (checked, in order) the object of `upload`'s key, linked rather than copied, and commits it;
 * shared with the S3 dialect's CompleteMultipartUpload. Nothing is left behind when it fails.
 */
export async function commitParts(em: Ctx["em"], upload: Upload, parts: PartRecord[]): Promise<ObjectRecord> {
  const { bucket, key } = upload.record;
  // The parts become the object's files by hard links: nothing is copied, and until the record is journaled
  // the links are files no record names (swept at the next start), so the object appears whole or not at all.
  const segments: Array<{ file: string; size: number }> = [];
  const linked: string[] = [];
  try {
    for (const part of parts) {
      const { file, path } = em.store.newDataFile(bucket, key);
      await link(em.uploads.partPath(upload, part), path);
      linked.push(path);
      segments.push({ file, size: part.size });
    }
  } catch (error) {
    for (const path of linked) await removeQuietly(path);
    throw error;
  }
  const size = segments.reduce((total, s) => total + s.size, 0);
  // The service's multipart ETag: the MD5 of the parts' binary MD5s, then "-" and the number of parts.
  const digest = createHash("md5");
  for (const part of parts) digest.update(Buffer.from(part.etag, "hex"));
  const record: ObjectRecord = {
    key,
    size,
    etag: `${etagOf(digest.digest())}-${parts.length}`,
    lastModified: Date.now(),
    type: "Multipart",
    contentType: upload.record.contentType,
    headers: upload.record.headers,
    meta: upload.record.meta,
    acl: upload.record.acl,
    tags: upload.record.tags,
    storageClass: upload.record.storageClass,
    file: "",
    segments,
    ...withCrc(composedCrc(parts)),
  };
  try {
    await em.store.mutate(bucket, key, async () => record);
  } catch (error) {
    for (const path of linked) await removeQuietly(path);
    throw error;
  }
  return record;
}

function withCrc(crc: string | undefined): { crc64?: string } {
  return crc === undefined ? {} : { crc64: crc };
}

// The object's CRC from its parts' CRCs and sizes, as the service composes it; undefined if a part has none.
function composedCrc(parts: PartRecord[]): string | undefined {
  let crc: string | undefined = "0";
  for (const part of parts) crc = crc === undefined || part.crc64 === undefined ? undefined : combineCrc64(crc, part.crc64, part.size);
  return crc;
}

export async function abortMultipartUpload(ctx: Ctx): Promise<void> {
  const upload = ctx.em.uploads.get(ctx.bucket, ctx.key, ctx.query.get("uploadId") ?? "");
  await ctx.em.uploads.finish(upload, async () => true);
  sendEmpty(ctx, 204);
}

export async function listParts(ctx: Ctx): Promise<void> {
  const uploadId = ctx.query.get("uploadId") ?? "";
  const upload = ctx.em.uploads.get(ctx.bucket, ctx.key, uploadId);
  const maxParts = maxOf(ctx, "max-parts", 1000, 1000);
  const markerText = ctx.query.get("part-number-marker") ?? "";
  if (markerText !== "" && !/^\d+$/.test(markerText)) {
    throw errors.invalidArgument("part-number-marker is invalid.", "part-number-marker", markerText);
  }
  const marker = Number(markerText || "0");
  const all = ctx.em.uploads.parts(upload).filter((p) => p.partNumber > marker);
  const page = all.slice(0, maxParts);
  const truncated = all.length > page.length;
  const encode = encodingOf(ctx);
  sendXml(ctx, 200, "ListPartsResult", {
    EncodingType: encode ? "url" : undefined,
    Bucket: ctx.bucket,
    Key: encode ? encode(ctx.key) : ctx.key,
    UploadId: uploadId,
    StorageClass: upload.record.storageClass,
    PartNumberMarker: marker,
    NextPartNumberMarker: page.length > 0 ? page[page.length - 1]!.partNumber : marker,
    MaxParts: maxParts,
    IsTruncated: truncated,
    Part: page.map((p) => ({
      PartNumber: p.partNumber,
      LastModified: xmlTime(p.lastModified),
      ETag: quoteEtag(p.etag),
      Size: p.size,
    })),
  });
}

export async function listMultipartUploads(ctx: Ctx): Promise<void> {
  const prefix = ctx.query.get("prefix") ?? "";
  const delimiter = ctx.query.get("delimiter") ?? "";
  const keyMarker = ctx.query.get("key-marker") ?? "";
  const uploadIdMarker = ctx.query.get("upload-id-marker") ?? "";
  const maxUploads = maxOf(ctx, "max-uploads", 1000, 1000);
  const encode = encodingOf(ctx) ?? ((text: string) => text);
  const page = uploadsPage(ctx.em.uploads.list(ctx.bucket), { prefix, delimiter, keyMarker, uploadIdMarker, maxUploads });
  sendXml(ctx, 200, "ListMultipartUploadsResult", {
    EncodingType: ctx.query.get("encoding-type") ? "url" : undefined,
    Bucket: ctx.bucket,
    KeyMarker: encode(keyMarker),
    UploadIdMarker: uploadIdMarker,
    NextKeyMarker: page.truncated ? encode(page.nextKey) : "",
    NextUploadIdMarker: page.truncated ? page.nextUploadId : "",
    Delimiter: encode(delimiter),
    Prefix: encode(prefix),
    MaxUploads: maxUploads,
    IsTruncated: page.truncated,
    Upload: page.uploads.map((upload) => ({
      Key: encode(upload.key),
      UploadId: upload.uploadId,
      StorageClass: upload.storageClass,
      Initiated: xmlTime(upload.initiated),
    })),
    CommonPrefixes: page.prefixes.map((p) => ({ Prefix: encode(p) })),
  });
}

/** What a ListMultipartUploads request asks for, as both dialects read it from their query. */
export interface UploadsQuery {
  prefix: string;
  delimiter: string;
  keyMarker: string;
  uploadIdMarker: string;
  maxUploads: number;
}

/**
 * One page of a bucket's uploads (`all` in key, then upload-id order), as OSS and S3 both page them: after the key
 * marker (and, for that key, after the upload-id marker), keys with the delimiter past the prefix rolled up into
 * common prefixes, at most `maxUploads` entries of either kind. Each dialect writes its own XML of it.
 */
export function uploadsPage<U extends { key: string; uploadId: string }>(
  all: Iterable<U>,
  query: UploadsQuery,
): { uploads: U[]; prefixes: string[]; truncated: boolean; nextKey: string; nextUploadId: string } {
  const { prefix, delimiter, keyMarker, uploadIdMarker, maxUploads } = query;
  const uploads: U[] = [];
  const prefixes: string[] = [];
  let truncated = false;
  let nextKey = "";
  let nextUploadId = "";
  for (const upload of all) {
    if (!upload.key.startsWith(prefix)) continue;
    if (keyMarker !== "") {
      // After the key marker; with an upload-id marker, later uploads of the marker key too.
      if (compareKeys(upload.key, keyMarker) < 0) continue;
      if (upload.key === keyMarker && (uploadIdMarker === "" || upload.uploadId <= uploadIdMarker)) continue;
    }
    let common: string | undefined;
    if (delimiter !== "") {
      const at = upload.key.indexOf(delimiter, prefix.length);
      if (at >= 0) common = upload.key.slice(0, at + delimiter.length);
    }
    if (common !== undefined && prefixes[prefixes.length - 1] === common) continue;
    if (uploads.length + prefixes.length === maxUploads) {
      truncated = true;
      break;
    }
    if (common !== undefined) {
      prefixes.push(common);
      nextKey = common;
      nextUploadId = "";
    } else {
      uploads.push(upload);
      nextKey = upload.key;
      nextUploadId = upload.uploadId;
    }
  }
  return { uploads, prefixes, truncated, nextKey, nextUploadId };
}

function partOf(ctx: Ctx): { upload: ReturnType<Ctx["em"]["uploads"]["get"]>; partNumber: number } {
  const text = ctx.query.get("partNumber") ?? "";
  const partNumber = Number(text);
  if (!/^\d+$/.test(text) || partNumber < 1 || partNumber > MAX_PART_NUMBER) {
    throw errors.invalidArgument("Part number must be an integer between 1 and 10000, inclusive.", "partNumber", text);
  }
  const upload = ctx.em.uploads.get(ctx.bucket, ctx.key, ctx.query.get("uploadId") ?? "");
  return { upload, partNumber };
}
