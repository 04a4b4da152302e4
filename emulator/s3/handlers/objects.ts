// Object operations in S3's words: PutObject, GetObject, HeadObject, DeleteObject, DeleteObjects, CopyObject.
import { copyFile, truncate } from "node:fs/promises";
import type { OutgoingHttpHeaders } from "node:http";
import { pipeline } from "node:stream/promises";
import { restoreHeaderOf, restoreStateOf } from "../../archive.ts";
import { headerValue } from "../../auth-v1.ts";
import { concatenateFiles, removeQuietly } from "../../body.ts";
import { evaluateConditions, evaluateRange } from "../../conditions.ts";
import { xmlTime } from "../../context.ts";
import { errors } from "../../errors.ts";
import { contentTypeOf, etagOf, RESPONSE_PARAMETERS, sendableValue } from "../../headers.ts";
import { openSegments, readSegments, streamSegments, type OpenSegments } from "../../segments.ts";
import { checkObjectName } from "../../names.ts";
import type { ObjectRecord } from "../../store.ts";
import { childrenOf, textOf } from "../../xml.ts";
import { encodingOf, s3Etag, s3StorageClass, sendEmpty, sendXml, storageClassOf, type S3Ctx } from "../context.ts";
import { s3Errors, toS3Error } from "../errors.ts";
import { aclOf, copyConditions, taggingOf, copySourceOf, discard, readXmlBody, receiveBody, s3EncryptionHeaders, storedHeaders, userMetaOf } from "../request.ts";

// Bodies up to this size are answered from one buffer; larger ones are streamed from the file.
const SMALL_READ = 64 * 1024;
// A reader that loses a race with an overwrite (its file removed between lookup and open) looks again.
const OPEN_ATTEMPTS = 5;

export async function putObject(ctx: S3Ctx): Promise<void> {
  const { req, em, bucket, key } = ctx;
  // Everything the request says is checked before its body is read, so that a refused write costs nothing.
  const base = {
    contentType: contentTypeOf(req.headers),
    headers: storedHeaders(req.headers),
    meta: userMetaOf(req.headers),
    acl: aclOf(req.headers),
    tags: taggingOf(req.headers),
    storageClass: storageClassOf(ctx, em.store.bucket(bucket)!.storageClass),
  };
  const received = await receiveBody(ctx, () => em.store.newDataFile(bucket, key), true);
  const record: ObjectRecord = {
    key,
    size: received.size,
    etag: etagOf(received.md5),
    lastModified: Date.now(),
    type: "Normal",
    ...base,
    file: received.file?.file ?? "",
    ...(received.blob ? { blob: received.blob } : {}),
    crc64: received.crc64,
  };
  try {
    await em.store.mutate(bucket, key, async () => record);
  } catch (error) {
    await discard(ctx, received);
    throw error;
  }
  const headers: OutgoingHttpHeaders = { ...s3EncryptionHeaders(record.headers), ETag: s3Etag(record.etag) };
  if (received.checksum) headers[`x-amz-checksum-${received.checksum.name}`] = received.checksum.value;
  sendEmpty(ctx, 200, headers);
}

export async function getObject(ctx: S3Ctx): Promise<void> {
  const { req, res, em, bucket } = ctx;
  const head = ctx.method === "HEAD";
  for (let attempt = 1; ; attempt++) {
    const record = readable(ctx);
    const headers = objectHeaders(ctx, record);
    if (evaluateConditions(req.headers, record, "if-") === "not-modified") {
      sendEmpty(ctx, 304, { ETag: headers.ETag, "Last-Modified": headers["Last-Modified"] });
      return;
    }
    let start = 0;
    let end = record.size - 1;
    let status = 200;
    const rangeHeader = headerValue(req.headers.range);
    if (rangeHeader !== "") {
      const range = evaluateRange(rangeHeader, record.size, true);
      if (range !== "whole") {
        ({ start, end } = range);
        status = 206;
        headers["Content-Range"] = `bytes ${start}-${end}/${record.size}`;
      }
    }
    const length = end - start + 1;
    headers["Content-Length"] = length;
    if (head || length === 0) {
      res.writeHead(status, headers);
      res.end();
      return;
    }
    if (record.blob) {
      const body = em.store.readBlob(bucket, record, start, length);
      res.writeHead(status, headers);
      res.end(body);
      return;
    }
    // Opened synchronously right after the lookup: an open file stays readable even when a later write removes it.
    // A completed multipart upload is several files (its parts, linked), read one after another.
    let files: OpenSegments;
    try {
      files = openSegments(em.store.dataFiles(bucket, record));
    } catch (error) {
      if (isMissing(error) && attempt < OPEN_ATTEMPTS) continue;
      throw error;
    }
    if (length <= SMALL_READ) {
      const buffer = Buffer.allocUnsafe(length);
      readSegments(files, buffer, start);
      res.writeHead(status, headers);
      res.end(buffer);
      return;
    }
    res.writeHead(status, headers);
    // A client that goes away mid-body ends the pipeline early; the stream closes the files either way.
    await pipeline(streamSegments(files, start, end), res).catch(() => undefined);
    return;
  }
}

export async function deleteObject(ctx: S3Ctx): Promise<void> {
  // S3 answers 204 whether or not the object existed.
  await ctx.em.store.mutate(ctx.bucket, ctx.key, async () => null);
  sendEmpty(ctx, 204);
}

export async function deleteObjects(ctx: S3Ctx): Promise<void> {
  const document = await readXmlBody(ctx, "Delete");
  const quiet = (textOf(document, "Quiet") ?? "false").trim().toLowerCase() === "true";
  const objects = childrenOf(document, "Object");
  if (objects.length === 0 || objects.length > 1000) throw s3Errors.malformedXml();
  const keys = objects.map((o) => {
    const key = textOf(o, "Key");
    if (key === undefined) throw s3Errors.malformedXml();
    return key;
  });
  const deleted: Array<{ Key: string }> = [];
  const failed: Array<{ Key: string; Code: string; Message: string }> = [];
  for (const key of keys) {
    try {
      checkObjectName(key);
      await ctx.em.store.mutate(ctx.bucket, key, async () => null);
      deleted.push({ Key: key });
    } catch (error) {
      const s3Error = toS3Error(error);
      failed.push({ Key: key, Code: s3Error.code, Message: s3Error.message });
    }
  }
  const encode = encodingOf(ctx) ?? ((text: string) => text);
  sendXml(ctx, 200, "DeleteResult", {
    Deleted: quiet ? undefined : deleted.map((d) => ({ Key: encode(d.Key) })),
    Error: failed.map((f) => ({ ...f, Key: encode(f.Key) })),
  });
}

export async function copyObject(ctx: S3Ctx): Promise<void> {
  const { req, em, bucket, key } = ctx;
  const source = copySourceOf(ctx);
  const directive = directiveOf(headerValue(req.headers["x-amz-metadata-directive"]), "x-amz-metadata-directive");
  const tagging = directiveOf(headerValue(req.headers["x-amz-tagging-directive"]), "x-amz-tagging-directive");
  const sameObject = source.bucket === bucket && source.key === key;
  const storageClassGiven = req.headers["x-amz-storage-class"] !== undefined;
  if (sameObject && directive === "COPY" && !storageClassGiven) throw s3Errors.copyToItself();
  const replaced = { contentType: contentTypeOf(req.headers), headers: storedHeaders(req.headers), meta: userMetaOf(req.headers) };
  const acl = aclOf(req.headers);
  const conditions = copyConditions(req.headers);
  for (let attempt = 1; ; attempt++) {
    const from = sourceRecord(ctx, source);
    // On a copy, a condition that does not hold is 412 whichever it is (S3 has no 304 here).
    if (evaluateConditions(conditions, from, "if-") === "not-modified") throw s3Errors.preconditionFailed("x-amz-copy-source-If-None-Match");
    const { blob: sourceBlob, ...fromFields } = from;
    let file = from.file;
    let blob = sourceBlob;
    let path: string | undefined;
    if (!sameObject && sourceBlob) {
      blob = em.store.writeBlob(bucket, em.store.readBlob(source.bucket, from, 0, from.size));
    } else if (!sameObject && (from.file !== "" || from.segments)) {
      // copyFile streams in the kernel (or clones where the file system can); nothing passes through memory. A
      // segmented object (a completed multipart upload) becomes one file in the copy, as on the OSS side.
      ({ file, path } = em.store.newDataFile(bucket, key));
      try {
        if (from.segments) {
          await concatenateFiles(em.store.dataFiles(source.bucket, from), path);
        } else {
          await copyFile(em.store.dataPath(source.bucket, from), path);
          await truncate(path, from.size);
        }
      } catch (error) {
        await removeQuietly(path);
        if (isMissing(error) && attempt < OPEN_ATTEMPTS) continue;
        throw error;
      }
    }
    // The copy keeps the source's CRC-64 (same bytes); only a copy onto itself keeps the source's files.
    const { segments: _segments, ...copied } = fromFields;
    const record: ObjectRecord = {
      ...(sameObject ? fromFields : copied),
      key,
      lastModified: Date.now(),
      ...(directive === "REPLACE" ? replaced : {}),
      acl,
      tags: tagging === "REPLACE" ? taggingOf(req.headers) : from.tags,
      storageClass: storageClassOf(ctx, from.storageClass),
      file,
      ...(blob ? { blob } : {}),
    };
    let raced = false;
    try {
      await em.store.mutate(bucket, key, async (current) => {
        // A copy onto itself keeps the bytes only if nobody replaced the object meanwhile.
        if (sameObject && current !== from) {
          raced = true;
          return undefined;
        }
        return record;
      });
    } catch (error) {
      if (path) await removeQuietly(path);
      if (!sameObject && blob) em.store.releaseBlob(bucket, blob, from.size);
      throw error;
    }
    if (raced) {
      if (attempt < OPEN_ATTEMPTS) continue;
      throw s3Errors.internal();
    }
    sendXml(ctx, 200, "CopyObjectResult", { ETag: s3Etag(record.etag), LastModified: xmlTime(record.lastModified) });
    return;
  }
}

/** The source of a copy, readable by the requester; 404 NoSuchBucket / NoSuchKey, 403 otherwise. */
export function sourceRecord(ctx: S3Ctx, source: { bucket: string; key: string }): ObjectRecord {
  const bucket = ctx.em.store.bucket(source.bucket);
  if (!bucket) throw s3Errors.noSuchBucket(source.bucket);
  const record = ctx.em.store.object(source.bucket, source.key);
  if (ctx.principal.kind === "anonymous") {
    const acl = record && record.acl !== "default" ? record.acl : bucket.acl;
    if (acl === "private") throw s3Errors.accessDenied();
  }
  if (!record || record.type === "Symlink") throw s3Errors.noSuchKey(source.key);
  const state = restoreStateOf(record);
  if (state === "frozen" || state === "ongoing") throw errors.invalidObjectState(source.key);
  return record;
}

// What GetObject and HeadObject answer with, the response-* parameters of a (presigned) GET overriding.
function objectHeaders(ctx: S3Ctx, record: ObjectRecord): OutgoingHttpHeaders {
  const headers: OutgoingHttpHeaders = {
    "Content-Type": record.contentType,
    ETag: s3Etag(record.etag),
    "Last-Modified": new Date(record.lastModified).toUTCString(),
    "Accept-Ranges": "bytes",
  };
  if (record.storageClass !== "Standard") headers["x-amz-storage-class"] = s3StorageClass(record.storageClass);
  // The OSS side's x-oss-restore value is already in S3's form (ongoing-request, expiry-date).
  const restore = restoreHeaderOf(record);
  if (restore !== undefined) headers["x-amz-restore"] = restore;
  // The OSS side's own headers (its encryption ones) are answered in S3's names.
  for (const [name, value] of Object.entries(record.headers)) if (!name.startsWith("x-oss-")) headers[name] = value;
  Object.assign(headers, s3EncryptionHeaders(record.headers));
  for (const [name, value] of Object.entries(record.meta)) headers[`x-amz-meta-${name}`] = value;
  if (record.tags.length > 0) headers["x-amz-tagging-count"] = String(record.tags.length);
  for (const [param, header] of RESPONSE_PARAMETERS) {
    const value = ctx.query.get(param);
    if (value === undefined) continue;
    // S3 refuses response-* overrides on anonymous requests.
    if (ctx.principal.kind === "anonymous") throw s3Errors.invalidRequest("Request specific response headers cannot be used for anonymous GET requests.");
    sendableValue(param, value);
    // A URL carries any UTF-8; an HTTP header carries bytes: send the UTF-8 bytes as they are.
    headers[header] = /[^\u0000-\u00ff]/.test(value) ? Buffer.from(value, "utf8").toString("latin1") : value;
  }
  return headers;
}

// The object's record, a symlink (made on the OSS side) followed to its target; an archived object's bytes only
// once restored (HEAD answers either way), as S3 answers GET of an unrestored GLACIER object.
function readable(ctx: S3Ctx): ObjectRecord {
  const found = ctx.em.store.object(ctx.bucket, ctx.key);
  if (!found) throw s3Errors.noSuchKey(ctx.key);
  let record = found;
  if (found.type === "Symlink" && found.symlinkTarget !== undefined) {
    const target = ctx.em.store.object(ctx.bucket, found.symlinkTarget);
    if (!target || target.type === "Symlink") throw s3Errors.noSuchKey(ctx.key);
    record = target;
  }
  if (ctx.method !== "HEAD") {
    const state = restoreStateOf(record);
    if (state === "frozen" || state === "ongoing") throw errors.invalidObjectState(ctx.key);
  }
  return record;
}

function directiveOf(value: string, name: string): "COPY" | "REPLACE" {
  if (value === "" || value === "COPY") return "COPY";
  if (value === "REPLACE") return "REPLACE";
  throw s3Errors.invalidArgument(`Unknown ${name}.`, name, value);
}

export function isMissing(error: unknown): boolean {
  return error instanceof Error && (error as NodeJS.ErrnoException).code === "ENOENT";
}
