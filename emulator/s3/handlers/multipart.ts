// Multipart uploads in S3's words: create, upload part (and part copy), complete, abort, list parts, list uploads,
// on the OSS side's upload store (one folder per upload, one file per part).
import { createHash } from "node:crypto";
import { writeFileSync } from "node:fs";
import { headerValue } from "../../auth-v1.ts";
import { concatenateFiles, removeQuietly, type WrittenBody } from "../../body.ts";
import { evaluateConditions } from "../../conditions.ts";
import { xmlTime } from "../../context.ts";
import { crc64 } from "../../crc64.ts";
import { commitParts, uploadsPage } from "../../handlers/multipart.ts";
import { contentTypeOf, etagOf } from "../../headers.ts";
import { rangesOf } from "../../segments.ts";
import type { ObjectRecord } from "../../store.ts";
import type { PartRecord, Upload } from "../../uploads.ts";
import { childrenOf, textOf } from "../../xml.ts";
import { encodingOf, maxOf, OWNER, s3Etag, s3StorageClass, sendEmpty, sendXml, storageClassOf, storeEtag, type S3Ctx } from "../context.ts";
import { s3Errors } from "../errors.ts";
import { aclOf, copyConditions, taggingOf, copySourceOf, readXmlBody, receiveBody, s3EncryptionHeaders, storedHeaders, userMetaOf } from "../request.ts";
import { sourceRecord } from "./objects.ts";

// Every part but the last must be at least 5 MiB, as S3 requires.
const MAX_PART_NUMBER = 10000;

export async function createMultipartUpload(ctx: S3Ctx): Promise<void> {
  const { req, em, bucket, key } = ctx;
  const upload = await em.uploads.initiate({
    bucket,
    key,
    contentType: contentTypeOf(req.headers),
    headers: storedHeaders(req.headers),
    meta: userMetaOf(req.headers),
    acl: aclOf(req.headers),
    tags: taggingOf(req.headers),
    storageClass: storageClassOf(ctx, em.store.bucket(bucket)!.storageClass),
  });
  sendXml(ctx, 200, "InitiateMultipartUploadResult", { Bucket: bucket, Key: key, UploadId: upload.uploadId }, s3EncryptionHeaders(upload.headers));
}

export async function uploadPart(ctx: S3Ctx): Promise<void> {
  const { em } = ctx;
  const { upload, partNumber } = partOf(ctx);
  const received = await receiveBody(ctx, () => em.uploads.newPartFile(upload, partNumber), false);
  const file = received.file!;
  const part: PartRecord = {
    partNumber,
    etag: etagOf(received.md5),
    size: received.size,
    lastModified: Date.now(),
    file: file.file,
    crc64: received.crc64,
  };
  try {
    await em.uploads.commitPart(upload, part);
  } catch (error) {
    await removeQuietly(file.path);
    throw error;
  }
  const headers: Record<string, string> = { ...s3EncryptionHeaders(upload.record.headers), ETag: s3Etag(part.etag) };
  if (received.checksum) headers[`x-amz-checksum-${received.checksum.name}`] = received.checksum.value;
  sendEmpty(ctx, 200, headers);
}

export async function uploadPartCopy(ctx: S3Ctx): Promise<void> {
  const { req, em } = ctx;
  const { upload, partNumber } = partOf(ctx);
  const source = copySourceOf(ctx);
  const from = sourceRecord(ctx, source);
  if (evaluateConditions(copyConditions(req.headers), from, "if-") === "not-modified") {
    throw s3Errors.preconditionFailed("x-amz-copy-source-If-None-Match");
  }
  let start = 0;
  let end = from.size - 1;
  const rangeText = headerValue(req.headers["x-amz-copy-source-range"]);
  if (rangeText !== "") {
    const m = /^bytes=(\d+)-(\d+)$/.exec(rangeText.trim());
    if (!m) throw s3Errors.invalidArgument("The x-amz-copy-source-range value must be of the form bytes=first-last where first and last are the zero-based offsets of the first and last bytes to copy", "x-amz-copy-source-range", rangeText);
    start = Number(m[1]);
    end = Number(m[2]);
    if (start > end || end >= from.size) {
      throw s3Errors.invalidArgument("Range specified is not valid for source object of size: " + from.size, "x-amz-copy-source-range", rangeText);
    }
  }
  const { file, path } = em.uploads.newPartFile(upload, partNumber);
  let body: WrittenBody;
  if (from.blob) {
    const bytes = em.store.readBlob(source.bucket, from, start, end - start + 1);
    writeFileSync(path, bytes, { flag: "wx" });
    body = { size: bytes.length, md5: createHash("md5").update(bytes).digest(), crc64: crc64(bytes) };
  } else {
    // The source may be several files (a completed multipart upload): the range is cut across them.
    body = await concatenateFiles(end < start ? [] : rangesOf(em.store.dataFiles(source.bucket, from), start, end), path);
  }
  const part: PartRecord = { partNumber, etag: etagOf(body.md5), size: body.size, lastModified: Date.now(), file, crc64: body.crc64 };
  try {
    await em.uploads.commitPart(upload, part);
  } catch (error) {
    await removeQuietly(path);
    throw error;
  }
  sendXml(ctx, 200, "CopyPartResult", { ETag: s3Etag(part.etag), LastModified: xmlTime(part.lastModified) });
}

export async function completeMultipartUpload(ctx: S3Ctx): Promise<void> {
  const { req, em, bucket, key } = ctx;
  const upload = em.uploads.get(bucket, key, ctx.query.get("uploadId") ?? "");
  const document = await readXmlBody(ctx, "CompleteMultipartUpload");
  const requested = childrenOf(document, "Part").map((part) => {
    const number = (textOf(part, "PartNumber") ?? "").trim();
    const etag = textOf(part, "ETag");
    if (!/^\d+$/.test(number) || etag === undefined) throw s3Errors.malformedXml();
    return { partNumber: Number(number), etag: storeEtag(etag) };
  });
  if (requested.length === 0) throw s3Errors.malformedXml();
  let result: ObjectRecord | undefined;
  await em.uploads.finish(upload, async () => {
    const parts: PartRecord[] = [];
    for (let i = 0; i < requested.length; i++) {
      const { partNumber, etag } = requested[i]!;
      if (i > 0 && partNumber <= requested[i - 1]!.partNumber) throw s3Errors.invalidPartOrder();
      const part = upload.parts.get(partNumber);
      if (!part || part.etag !== etag) throw s3Errors.invalidPart();
      parts.push(part);
    }
    for (const part of parts.slice(0, -1)) if (part.size < em.s3MinPartSize) throw s3Errors.entityTooSmall();
    // Linked into the object as the OSS side's Complete does (no second copy of the parts), with the CRC-64
    // composed from the parts' so that OSS clients reading the object verify it.
    result = await commitParts(em, upload, parts);
    return true;
  });
  const host = headerValue(req.headers.host);
  sendXml(
    ctx,
    200,
    "CompleteMultipartUploadResult",
    {
      Location: `http://${host}/${bucket}/${encodeURIComponent(key).replace(/%2F/g, "/")}`,
      Bucket: bucket,
      Key: key,
      ETag: s3Etag(result!.etag),
    },
    s3EncryptionHeaders(result!.headers),
  );
}

export async function abortMultipartUpload(ctx: S3Ctx): Promise<void> {
  const upload = ctx.em.uploads.get(ctx.bucket, ctx.key, ctx.query.get("uploadId") ?? "");
  await ctx.em.uploads.finish(upload, async () => true);
  sendEmpty(ctx, 204);
}

export async function listParts(ctx: S3Ctx): Promise<void> {
  const uploadId = ctx.query.get("uploadId") ?? "";
  const upload = ctx.em.uploads.get(ctx.bucket, ctx.key, uploadId);
  const maxParts = maxOf(ctx, "max-parts", 1000, 1000);
  const markerText = ctx.query.get("part-number-marker") ?? "";
  if (markerText !== "" && !/^\d+$/.test(markerText)) {
    throw s3Errors.invalidArgument("Provided part-number-marker not an integer or within integer range", "part-number-marker", markerText);
  }
  const marker = Number(markerText || "0");
  const all = ctx.em.uploads.parts(upload).filter((p) => p.partNumber > marker);
  const page = all.slice(0, maxParts);
  const truncated = all.length > page.length;
  sendXml(ctx, 200, "ListPartsResult", {
    Bucket: ctx.bucket,
    Key: ctx.key,
    UploadId: uploadId,
    Initiator: OWNER,
    Owner: OWNER,
    StorageClass: s3StorageClass(upload.record.storageClass),
    PartNumberMarker: marker,
    NextPartNumberMarker: page.length > 0 ? page[page.length - 1]!.partNumber : marker,
    MaxParts: maxParts,
    IsTruncated: truncated,
    Part: page.map((p) => ({
      PartNumber: p.partNumber,
      LastModified: xmlTime(p.lastModified),
      ETag: s3Etag(p.etag),
      Size: p.size,
    })),
  });
}

export async function listMultipartUploads(ctx: S3Ctx): Promise<void> {
  const prefix = ctx.query.get("prefix") ?? "";
  const delimiter = ctx.query.get("delimiter") ?? "";
  const keyMarker = ctx.query.get("key-marker") ?? "";
  const uploadIdMarker = ctx.query.get("upload-id-marker") ?? "";
  const maxUploads = maxOf(ctx, "max-uploads", 1000, 1000);
  const encoder = encodingOf(ctx);
  const encode = encoder ?? ((text: string) => text);
  const page = uploadsPage(ctx.em.uploads.list(ctx.bucket), { prefix, delimiter, keyMarker, uploadIdMarker, maxUploads });
  sendXml(ctx, 200, "ListMultipartUploadsResult", {
    Bucket: ctx.bucket,
    KeyMarker: encode(keyMarker),
    UploadIdMarker: uploadIdMarker,
    NextKeyMarker: page.truncated ? encode(page.nextKey) : undefined,
    NextUploadIdMarker: page.truncated ? page.nextUploadId : undefined,
    Delimiter: delimiter === "" ? undefined : encode(delimiter),
    Prefix: encode(prefix),
    MaxUploads: maxUploads,
    IsTruncated: page.truncated,
    EncodingType: encoder ? "url" : undefined,
    Upload: page.uploads.map((upload) => ({
      Key: encode(upload.key),
      UploadId: upload.uploadId,
      Initiator: OWNER,
      Owner: OWNER,
      StorageClass: s3StorageClass(upload.storageClass),
      Initiated: xmlTime(upload.initiated),
    })),
    CommonPrefixes: page.prefixes.map((p) => ({ Prefix: encode(p) })),
  });
}

function partOf(ctx: S3Ctx): { upload: Upload; partNumber: number } {
  const text = ctx.query.get("partNumber") ?? "";
  const partNumber = Number(text);
  if (!/^\d+$/.test(text) || partNumber < 1 || partNumber > MAX_PART_NUMBER) {
    throw s3Errors.invalidArgument("Part number must be an integer between 1 and 10000, inclusive", "partNumber", text);
  }
  const upload = ctx.em.uploads.get(ctx.bucket, ctx.key, ctx.query.get("uploadId") ?? "");
  return { upload, partNumber };
}
