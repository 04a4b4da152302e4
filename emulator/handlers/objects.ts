// Object operations: put, get, head, delete, copy, append, meta, ACL, tagging, symlinks.
import { copyFile, truncate } from "node:fs/promises";
import type { OutgoingHttpHeaders } from "node:http";
import { pipeline } from "node:stream/promises";
import { headerValue } from "../auth-v1.ts";
import { MAX_BLOB_SIZE } from "../blobs.ts";
import { appendFile, concatenateFiles, readSmallBody, receiveSmall, receiveToFile, removeQuietly } from "../body.ts";
import { openSegments, readSegments, streamSegments, type OpenSegments } from "../segments.ts";
import { evaluateConditions, evaluateRange } from "../conditions.ts";
import { ARCHIVE_CLASSES, restoreStateOf } from "../archive.ts";
import { combineCrc64 } from "../crc64.ts";
import { OWNER, quoteEtag, sendEmpty, sendXml, xmlTime, type Ctx } from "../context.ts";
import { errors, OssError } from "../errors.ts";
import {
  checkContentMd5,
  checkTags,
  contentTypeOf,
  ENCRYPTION_HEADERS,
  etagOf,
  md5Hex,
  objectAclOf,
  objectHeaders,
  storageClassOf,
  storedHeadersOf,
  taggingHeaderOf,
  userMetaOf,
  wholeReadHead,
} from "../headers.ts";
import { checkBucketName, checkObjectName } from "../names.ts";
import type { ObjectRecord } from "../store.ts";
import { childOf, childrenOf, parseXml, textOf, XmlSyntaxError, type XmlElement } from "../xml.ts";

/** The largest single PUT the service takes. */
export const MAX_PUT_SIZE = 5 * 1024 ** 3;
// Bodies up to this size are answered from one buffer; larger ones are streamed from the file.
const SMALL_READ = 64 * 1024;
// A reader that loses a race with an overwrite (its file removed between lookup and open) looks again.
const OPEN_ATTEMPTS = 5;

export async function putObject(ctx: Ctx): Promise<void> {
  const { req, em, bucket, key } = ctx;
  const length = contentLengthOf(ctx);
  if (length !== undefined && length > MAX_PUT_SIZE) throw errors.entityTooLarge();
  const forbidOverwrite = headerValue(req.headers["x-oss-forbid-overwrite"]).toLowerCase() === "true";
  if (forbidOverwrite && em.store.object(bucket, key)) throw errors.fileAlreadyExists(key);
  // Everything the request says is checked before its body is read, so that a refused write costs nothing.
  const bucketRecord = em.store.bucket(bucket)!;
  const base = {
    contentType: contentTypeOf(req.headers),
    headers: storedHeadersOf(req.headers),
    meta: userMetaOf(req.headers),
    acl: objectAclOf(req.headers),
    tags: taggingHeaderOf(req.headers),
    storageClass: storageClassOf(req.headers, bucketRecord.storageClass),
  };
  let record: ObjectRecord;
  let md5: Buffer;
  let crc: string;
  if (length !== undefined && length <= MAX_BLOB_SIZE) {
    // Small bodies are packed into the bucket's segments (see blobs.ts).
    const small = await receiveSmall(req, length);
    md5 = small.md5;
    crc = small.crc64;
    checkContentMd5(req.headers, md5);
    const blob = em.store.writeBlob(bucket, small.body);
    record = { key, size: length, etag: etagOf(md5), lastModified: Date.now(), type: "Normal", ...base, file: "", blob, crc64: crc };
    try {
      await commitPut(ctx, record, forbidOverwrite);
    } catch (error) {
      em.store.releaseBlob(bucket, blob, length);
      throw error;
    }
  } else {
    const { file, path } = em.store.newDataFile(bucket, key);
    const body = await receiveToFile(req, path, {
      maxSize: MAX_PUT_SIZE,
      contentLength: length,
      verify: (written) => checkContentMd5(req.headers, written.md5),
    });
    md5 = body.md5;
    crc = body.crc64;
    record = { key, size: body.size, etag: etagOf(md5), lastModified: Date.now(), type: "Normal", ...base, file, crc64: crc };
    try {
      await commitPut(ctx, record, forbidOverwrite);
    } catch (error) {
      await removeQuietly(path);
      throw error;
    }
  }
  // One object for the head, written directly: this answers every PUT.
  const reply: OutgoingHttpHeaders = {
    "Content-Length": 0,
    ETag: quoteEtag(record.etag),
    "Content-MD5": md5.toString("base64"),
    "x-oss-hash-crc64ecma": crc,
  };
  for (const name of ENCRYPTION_HEADERS) if (record.headers[name] !== undefined) reply[name] = record.headers[name];
  ctx.res.writeHead(200, reply);
  ctx.res.end();
}

// Makes a PUT's record the object's, unless x-oss-forbid-overwrite forbids replacing one that exists by then.
function commitPut(ctx: Ctx, record: ObjectRecord, forbidOverwrite: boolean): Promise<ObjectRecord | undefined> {
  return ctx.em.store.mutate(ctx.bucket, ctx.key, async (current) => {
    if (forbidOverwrite && current) throw errors.fileAlreadyExists(ctx.key);
    return record;
  });
}

export async function getObject(ctx: Ctx): Promise<void> {
  const { req, res, em, bucket } = ctx;
  const head = ctx.method === "HEAD";
  for (let attempt = 1; ; attempt++) {
    const { record, link } = readable(ctx);
    // The common read, a whole small object as it is, answered from a head kept with its record.
    if (!head && record.blob && link === undefined && ctx.resetAfterBytes === undefined && ctx.query.entries.length === 0 && req.headers.range === undefined) {
      const whole = wholeReadHead(record);
      if (whole !== undefined && evaluateConditions(req.headers, record, "if-") === "proceed") {
        const body = record.size === 0 ? undefined : em.store.readBlob(bucket, record, 0, record.size);
        res.writeHead(200, whole);
        res.end(body);
        return;
      }
    }
    const headers = objectHeaders(record, head ? undefined : ctx.query, link);
    if (evaluateConditions(req.headers, record, "if-") === "not-modified") {
      sendEmpty(ctx, 304, { ETag: headers.ETag, "Last-Modified": headers["Last-Modified"] });
      return;
    }
    let start = 0;
    let end = record.size - 1;
    let status = 200;
    const rangeHeader = headerValue(req.headers.range);
    if (!head && rangeHeader !== "") {
      const standard = headerValue(req.headers["x-oss-range-behavior"]).toLowerCase() === "standard";
      const range = evaluateRange(rangeHeader, record.size, standard);
      if (range !== "whole") {
        ({ start, end } = range);
        status = 206;
        headers["Content-Range"] = `bytes ${start}-${end}/${record.size}`;
        // The MD5 describes the whole object, not the part being sent.
        delete headers["Content-MD5"];
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
      if (ctx.resetAfterBytes !== undefined) {
        await resetAfter(ctx, body.subarray(0, resetCount(ctx.resetAfterBytes, length)), status, headers);
        return;
      }
      res.writeHead(status, headers);
      res.end(body);
      return;
    }
    // Opened synchronously right after the lookup: no other request can replace the object in between, and an
    // open file stays readable even when a later write removes it.
    let files: OpenSegments;
    try {
      files = openSegments(em.store.dataFiles(bucket, record));
    } catch (error) {
      if (isMissing(error) && attempt < OPEN_ATTEMPTS) continue;
      throw error;
    }
    if (ctx.resetAfterBytes !== undefined) {
      const buffer = Buffer.alloc(resetCount(ctx.resetAfterBytes, length));
      readSegments(files, buffer, start);
      await resetAfter(ctx, buffer, status, headers);
      return;
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

export async function getObjectMeta(ctx: Ctx): Promise<void> {
  const record = requireObject(ctx);
  sendEmpty(ctx, 200, {
    ETag: quoteEtag(record.etag),
    "Content-Length": record.size,
    "Last-Modified": new Date(record.lastModified).toUTCString(),
    "x-oss-last-access-time": new Date(record.lastModified).toUTCString(),
  });
}

export async function deleteObject(ctx: Ctx): Promise<void> {
  // The service answers 204 whether or not the object existed.
  await ctx.em.store.mutate(ctx.bucket, ctx.key, async () => null);
  sendEmpty(ctx, 204);
}

export async function deleteMultipleObjects(ctx: Ctx): Promise<void> {
  // The service refuses a batch delete without Content-MD5 (error 0016-00000606).
  const document = await readXmlBody(ctx, "Delete", { md5Required: true });
  const quiet = (textOf(document, "Quiet") ?? "false").trim().toLowerCase() === "true";
  const objects = childrenOf(document, "Object");
  if (objects.length === 0 || objects.length > 1000) throw errors.malformedXml();
  const keys = objects.map((o) => {
    const key = textOf(o, "Key");
    if (key === undefined) throw errors.malformedXml();
    checkObjectName(key);
    return key;
  });
  for (const key of keys) await ctx.em.store.mutate(ctx.bucket, key, async () => null);
  const encode = encodingOf(ctx);
  sendXml(ctx, 200, "DeleteResult", {
    EncodingType: encode === undefined ? undefined : "url",
    Deleted: quiet ? undefined : keys.map((key) => ({ Key: encode ? encode(key) : key })),
  });
}

export async function copyObject(ctx: Ctx): Promise<void> {
  const { req, em, bucket, key } = ctx;
  const source = copySourceOf(ctx);
  const directive = directiveOf(headerValue(req.headers["x-oss-metadata-directive"]), "x-oss-metadata-directive");
  const taggingDirective = directiveOf(headerValue(req.headers["x-oss-tagging-directive"]), "x-oss-tagging-directive");
  const replaced = {
    contentType: contentTypeOf(req.headers),
    headers: storedHeadersOf(req.headers),
    meta: userMetaOf(req.headers),
  };
  const acl = objectAclOf(req.headers);
  const tags = taggingHeaderOf(req.headers);
  for (let attempt = 1; ; attempt++) {
    const from = sourceRecord(ctx, source);
    if (evaluateConditions(req.headers, from, "x-oss-copy-source-if-") === "not-modified") {
      sendEmpty(ctx, 304, { ETag: quoteEtag(from.etag) });
      return;
    }
    const sameObject = source.bucket === bucket && source.key === key;
    const { blob: sourceBlob, ...fromFields } = from;
    let file = from.file;
    let blob = sourceBlob;
    let path: string | undefined;
    if (!sameObject && sourceBlob) {
      blob = em.store.writeBlob(bucket, em.store.readBlob(source.bucket, from, 0, from.size));
    } else if (!sameObject && (from.file !== "" || from.segments)) {
      // copyFile streams in the kernel (or clones where the file system can); nothing passes through memory. A
      // segmented object becomes one file in the copy, as the service's copy is a new object.
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
    const { segments: _segments, ...copied } = fromFields;
    const record: ObjectRecord = {
      ...(sameObject ? fromFields : copied),
      key,
      lastModified: Date.now(),
      ...(directive === "REPLACE" ? replaced : {}),
      acl,
      tags: taggingDirective === "REPLACE" ? tags : from.tags,
      storageClass: storageClassOf(req.headers, from.storageClass),
      file,
      ...(blob ? { blob } : {}),
    };
    try {
      await em.store.mutate(bucket, key, async (current) => {
        // A copy onto itself keeps the bytes only if nobody replaced the object meanwhile.
        if (sameObject && current !== from) throw new RetryCopy();
        return record;
      });
    } catch (error) {
      if (path) await removeQuietly(path);
      if (!sameObject && blob) em.store.releaseBlob(bucket, blob, from.size);
      if (error instanceof RetryCopy && attempt < OPEN_ATTEMPTS) continue;
      throw error;
    }
    sendXml(
      ctx,
      200,
      "CopyObjectResult",
      { LastModified: xmlTime(record.lastModified), ETag: quoteEtag(record.etag) },
      { ETag: quoteEtag(record.etag) },
    );
    return;
  }
}

export async function appendObject(ctx: Ctx): Promise<void> {
  const { req, em, bucket, key } = ctx;
  const positionText = ctx.query.get("position") ?? "";
  if (!/^\d+$/.test(positionText)) throw errors.invalidArgument("position is invalid.", "position", positionText);
  const position = Number(positionText);
  const existing = em.store.object(bucket, key);
  if (existing && existing.type !== "Appendable") throw errors.objectNotAppendable();
  if (existing ? existing.size !== position : position !== 0) throw errors.positionNotEqualToLength(existing?.size ?? 0);
  const length = contentLengthOf(ctx);
  if (length !== undefined && position + length > MAX_PUT_SIZE) throw errors.entityTooLarge();
  const bucketRecord = em.store.bucket(bucket)!;
  const created = {
    contentType: contentTypeOf(req.headers),
    headers: storedHeadersOf(req.headers),
    meta: userMetaOf(req.headers),
    acl: objectAclOf(req.headers),
    tags: taggingHeaderOf(req.headers),
    storageClass: storageClassOf(req.headers, bucketRecord.storageClass),
  };
  // The body lands in a file of its own first: a broken append leaves the object as it was.
  const staged = em.store.newDataFile(bucket, key);
  let next: ObjectRecord | undefined;
  try {
    const body = await receiveToFile(req, staged.path, {
      maxSize: MAX_PUT_SIZE - position,
      contentLength: length,
      verify: (written) => checkContentMd5(req.headers, written.md5),
    });
    next = await em.store.mutate(bucket, key, async (current) => {
      if (current && current.type !== "Appendable") throw errors.objectNotAppendable();
      if ((current?.size ?? 0) !== position) throw errors.positionNotEqualToLength(current?.size ?? 0);
      // An appendable object's ETag is not the MD5 of its bytes (the service says as much); chaining the parts'
      // MD5s gives a value that changes with every append without rereading the object.
      const etag = md5Hex(`${current?.etag ?? ""}${etagOf(body.md5)}`);
      if (!current) {
        return { key, size: body.size, etag, lastModified: Date.now(), type: "Appendable", ...created, file: staged.file, crc64: body.crc64 };
      }
      await appendFile(staged.path, em.store.dataPath(bucket, current), position);
      const { crc64: before, ...rest } = current;
      // The whole object's CRC, from the old value and the new bytes' own: nothing is reread.
      const crc64 = before === undefined ? undefined : combineCrc64(before, body.crc64, body.size);
      return { ...rest, size: current.size + body.size, etag, lastModified: Date.now(), ...(crc64 !== undefined ? { crc64 } : {}) };
    });
  } finally {
    if (next?.file !== staged.file) await removeQuietly(staged.path);
  }
  sendEmpty(ctx, 200, {
    ETag: quoteEtag(next!.etag),
    "x-oss-next-append-position": String(next!.size),
    ...(next!.crc64 !== undefined ? { "x-oss-hash-crc64ecma": next!.crc64 } : {}),
  });
}

export async function putObjectAcl(ctx: Ctx): Promise<void> {
  const acl = objectAclOf(ctx.req.headers);
  if (headerValue(ctx.req.headers["x-oss-object-acl"]) === "") {
    throw errors.invalidArgument("x-oss-object-acl is required.", "x-oss-object-acl", "");
  }
  await updateObject(ctx, (record) => ({ ...record, acl }));
  sendEmpty(ctx, 200);
}

export async function getObjectAcl(ctx: Ctx): Promise<void> {
  const record = requireObject(ctx);
  sendXml(ctx, 200, "AccessControlPolicy", { Owner: OWNER, AccessControlList: { Grant: record.acl } });
}

export async function putObjectTagging(ctx: Ctx): Promise<void> {
  const document = await readXmlBody(ctx, "Tagging");
  const tagSet = childOf(document, "TagSet");
  if (!tagSet) throw errors.malformedXml();
  const tags = childrenOf(tagSet, "Tag").map((tag): [string, string] => {
    const key = textOf(tag, "Key");
    if (key === undefined) throw errors.malformedXml();
    return [key, textOf(tag, "Value") ?? ""];
  });
  checkTags(tags);
  await updateObject(ctx, (record) => ({ ...record, tags }));
  sendEmpty(ctx, 200);
}

export async function getObjectTagging(ctx: Ctx): Promise<void> {
  const record = requireObject(ctx);
  sendXml(ctx, 200, "Tagging", { TagSet: { Tag: record.tags.map(([Key, Value]) => ({ Key, Value })) } });
}

export async function deleteObjectTagging(ctx: Ctx): Promise<void> {
  await updateObject(ctx, (record) => ({ ...record, tags: [] }));
  sendEmpty(ctx, 204);
}

export async function putSymlink(ctx: Ctx): Promise<void> {
  const { req, em, bucket, key } = ctx;
  const raw = headerValue(req.headers["x-oss-symlink-target"]);
  let target: string;
  try {
    target = decodeURIComponent(raw);
  } catch {
    throw errors.invalidArgument("x-oss-symlink-target is invalid.", "x-oss-symlink-target", raw);
  }
  if (raw === "") throw errors.invalidArgument("x-oss-symlink-target is required.", "x-oss-symlink-target", raw);
  checkObjectName(target);
  const record: ObjectRecord = {
    key,
    size: 0,
    etag: md5Hex(target),
    lastModified: Date.now(),
    type: "Symlink",
    contentType: contentTypeOf(req.headers),
    headers: storedHeadersOf(req.headers),
    meta: userMetaOf(req.headers),
    acl: objectAclOf(req.headers),
    tags: taggingHeaderOf(req.headers),
    storageClass: storageClassOf(req.headers, em.store.bucket(bucket)!.storageClass),
    symlinkTarget: target,
    file: "",
  };
  await em.store.mutate(bucket, key, async () => record);
  sendEmpty(ctx, 200, { ETag: quoteEtag(record.etag) });
}

export async function getSymlink(ctx: Ctx): Promise<void> {
  const record = requireObject(ctx);
  if (record.type !== "Symlink" || record.symlinkTarget === undefined) throw errors.notSymlink();
  sendEmpty(ctx, 200, {
    "x-oss-symlink-target": encodeURIComponent(record.symlinkTarget),
    ETag: quoteEtag(record.etag),
    "Last-Modified": new Date(record.lastModified).toUTCString(),
  });
}

/** The object's record; 404 NoSuchKey when absent. */
export function requireObject(ctx: Ctx): ObjectRecord {
  const record = ctx.em.store.object(ctx.bucket, ctx.key);
  if (!record) throw errors.noSuchKey(ctx.key);
  return record;
}

/** The request's declared body length, if it declares one. */
export function contentLengthOf(ctx: Ctx): number | undefined {
  const value = ctx.req.headers["content-length"];
  // A chunked body's length is its chunks': a Content-Length beside it is ignored, as the service ignores it.
  if (value === undefined || ctx.req.headers["transfer-encoding"] !== undefined) return undefined;
  const length = Number(value);
  if (!Number.isSafeInteger(length) || length < 0) throw errors.invalidArgument("Content-Length is invalid.", "Content-Length", value);
  return length;
}

// The largest XML request body taken; a longer one is refused as MalformedXML before it is read.
export const MAX_XML_BODY = 2 * 1024 * 1024;

/** Reads, checks (Content-MD5) and parses a small XML request body whose root must be `root`. */
export async function readXmlBody(ctx: Ctx, root: string, options: { md5Required?: boolean } = {}): Promise<XmlElement> {
  return (await readXmlDocument(ctx, root, options)).document;
}

/** As readXmlBody, with the document's text as sent. */
export async function readXmlDocument(
  ctx: Ctx,
  root: string,
  options: { md5Required?: boolean } = {},
): Promise<{ document: XmlElement; text: string }> {
  const declared = contentLengthOf(ctx);
  if (declared !== undefined && declared > MAX_XML_BODY) throw errors.malformedXml("The XML you provided is too large.");
  const { text, md5 } = await readSmallBody(ctx.req, MAX_XML_BODY);
  if (options.md5Required && headerValue(ctx.req.headers["content-md5"]) === "") throw errors.missingContentMd5();
  checkContentMd5(ctx.req.headers, md5);
  let document: XmlElement;
  try {
    document = parseXml(text);
  } catch (error) {
    if (error instanceof XmlSyntaxError) throw errors.malformedXml();
    throw error;
  }
  if (document.name !== root) throw errors.malformedXml();
  return { document, text };
}

/** With `encoding-type=url`, the encoder for names in the answer; 400 for any other encoding type. */
export function encodingOf(ctx: Ctx): ((text: string) => string) | undefined {
  const type = ctx.query.get("encoding-type");
  if (type === undefined || type === "") return undefined;
  if (type !== "url") throw errors.invalidArgument("The encoding-type is invalid.", "encoding-type", type);
  return encodeURIComponent;
}

/** The `x-oss-copy-source` of a request: `/bucket/key`, the key URL-encoded. */
export function copySourceOf(ctx: Ctx): { bucket: string; key: string } {
  const raw = headerValue(ctx.req.headers["x-oss-copy-source"]);
  const path = raw.split("?")[0]!;
  const m = /^\/?([^/]+)\/(.+)$/.exec(path);
  if (!m) throw errors.invalidArgument("x-oss-copy-source is invalid.", "x-oss-copy-source", raw);
  let bucket: string;
  let key: string;
  try {
    bucket = decodeURIComponent(m[1]!);
    key = decodeURIComponent(m[2]!);
  } catch {
    throw errors.invalidArgument("x-oss-copy-source is invalid.", "x-oss-copy-source", raw);
  }
  checkBucketName(bucket);
  checkObjectName(key);
  return { bucket, key };
}

/** The source object of a copy, readable by the requester; 404 NoSuchBucket / NoSuchKey, 403 otherwise. */
export function sourceRecord(ctx: Ctx, source: { bucket: string; key: string }): ObjectRecord {
  const bucket = ctx.em.store.bucket(source.bucket);
  if (!bucket) throw errors.noSuchBucket(source.bucket);
  const record = ctx.em.store.object(source.bucket, source.key);
  if (ctx.principal.kind === "anonymous") {
    const acl = record && record.acl !== "default" ? record.acl : bucket.acl;
    if (acl === "private") throw errors.accessDenied();
  }
  if (!record) throw errors.noSuchKey(source.key);
  const state = restoreStateOf(record);
  if (state === "frozen" || state === "ongoing") throw errors.invalidObjectState(source.key);
  return record;
}

function readable(ctx: Ctx): { record: ObjectRecord; link?: ObjectRecord } {
  const record = requireObject(ctx);
  if (record.type !== "Symlink" || record.symlinkTarget === undefined) return { record: thawed(ctx, record) };
  const target = ctx.em.store.object(ctx.bucket, record.symlinkTarget);
  if (!target) throw errors.symlinkTargetMissing(record.symlinkTarget);
  // The service follows one link, never a chain.
  if (target.type === "Symlink") throw errors.invalidTargetType(record.symlinkTarget);
  return { record: thawed(ctx, target), link: record };
}

// An archived object's bytes are readable only once restored; HEAD answers either way, as the service does.
function thawed(ctx: Ctx, record: ObjectRecord): ObjectRecord {
  if (ctx.method === "HEAD") return record;
  const state = restoreStateOf(record);
  if (state === "frozen" || state === "ongoing") throw errors.invalidObjectState(record.key);
  return record;
}

export async function restoreObject(ctx: Ctx): Promise<void> {
  const current = requireObject(ctx);
  if (!ARCHIVE_CLASSES.has(current.storageClass)) {
    throw errors.operationNotSupported("The operation is not supported for this resource: only Archive, ColdArchive and DeepColdArchive objects are restored.");
  }
  let days = 1;
  const declared = contentLengthOf(ctx);
  if ((declared ?? 0) > 0 || ctx.req.headers["transfer-encoding"] !== undefined) {
    const document = await readXmlBody(ctx, "RestoreRequest");
    const daysText = textOf(document, "Days");
    if (daysText !== undefined) {
      if (!/^\d+$/.test(daysText.trim()) || Number(daysText) < 1 || Number(daysText) > 365) throw errors.malformedXml();
      days = Number(daysText);
    }
    const tier = textOf(childOf(document, "JobParameters") ?? { name: "", children: [], text: "" }, "Tier");
    if (tier !== undefined && !["Expedited", "Standard", "Bulk"].includes(tier.trim())) throw errors.malformedXml();
  }
  let status = 202;
  await ctx.em.store.mutate(ctx.bucket, ctx.key, async (record) => {
    if (!record) throw errors.noSuchKey(ctx.key);
    const now = Date.now();
    const state = restoreStateOf(record, now);
    if (state === "ongoing") throw errors.restoreAlreadyInProgress();
    if (state === "restored") {
      // Restoring a restored object again extends how long its copy stays.
      status = 200;
      return { ...record, restore: { readyAt: record.restore!.readyAt, expiresAt: now + days * 86_400_000 } };
    }
    const readyAt = now + ctx.em.restoreDelayMs;
    return { ...record, restore: { readyAt, expiresAt: readyAt + days * 86_400_000 } };
  });
  sendEmpty(ctx, status);
}

async function updateObject(ctx: Ctx, change: (record: ObjectRecord) => ObjectRecord): Promise<void> {
  await ctx.em.store.mutate(ctx.bucket, ctx.key, async (current) => {
    if (!current) throw errors.noSuchKey(ctx.key);
    return change(current);
  });
}

function directiveOf(value: string, name: string): "COPY" | "REPLACE" {
  const upper = value.toUpperCase();
  if (upper === "" || upper === "COPY") return "COPY";
  if (upper === "REPLACE") return "REPLACE";
  throw errors.invalidArgument(`${name} is invalid.`, name, value);
}

// How much of a body of `length` bytes a reset fault lets through: as configured, or half; never all of it.
function resetCount(requested: number, length: number): number {
  return Math.max(0, Math.min(length - 1, requested >= 0 ? requested : Math.floor(length / 2)));
}

// Sends the head and `part` of the body, then resets the connection as a failing network would.
async function resetAfter(ctx: Ctx, part: Buffer, status: number, headers: OutgoingHttpHeaders): Promise<void> {
  ctx.res.writeHead(status, headers);
  await new Promise<void>((resolve) => ctx.res.write(part, () => resolve()));
  ctx.req.socket.resetAndDestroy();
}

function isMissing(error: unknown): boolean {
  return error instanceof Error && (error as NodeJS.ErrnoException).code === "ENOENT";
}

class RetryCopy extends OssError {
  constructor() {
    super(500, "InternalError", "The copy source changed during the copy.");
  }
}

