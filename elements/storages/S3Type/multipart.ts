// Multipart upload in S3's words: the shared part driver (Meta) decides what is sent when, retried, abandoned or
// reported after an abort; this module says how each request goes through @aws-sdk/client-s3.
import type { S3Client } from "@aws-sdk/client-s3";
import { uploadInParts as drive } from "../Meta/index.ts";
import type { MultipartProtocol, MultipartUploadOptions } from "../Meta/index.ts";
import type { Sdk } from "./sdk.ts";

/** The upload's own facts, beside what the part driver takes (parts, parallelism, retries, progress, abort). */
export interface MultipartRequest extends Omit<MultipartUploadOptions, "protocol"> {
  sdk: Sdk;
  client: S3Client;
  bucket: string;
  name: string;
  contentType: string;
  meta: Record<string, string>;
}

/** Uploads `parts` as one object; resolves with its ETag and size, or rejects after aborting the upload. */
export function uploadInParts(request: MultipartRequest): Promise<{ etag: string; size: number }> {
  const { parts, parallel, policy, isTransient, progress, signal, source } = request;
  return drive({ protocol: s3Protocol(request), parts, parallel, policy, isTransient, progress, signal, source });
}

function s3Protocol(request: MultipartRequest): MultipartProtocol {
  const { sdk, client, bucket, name } = request;
  const { AbortMultipartUploadCommand, CompleteMultipartUploadCommand, CreateMultipartUploadCommand, HeadObjectCommand, UploadPartCommand } = sdk.s3;
  return {
    async initiate() {
      const created = await client.send(new CreateMultipartUploadCommand({ Bucket: bucket, Key: name, ContentType: request.contentType, Metadata: request.meta }));
      if (created.UploadId === undefined) throw new Error("the service started a multipart upload without an UploadId");
      return created.UploadId;
    },
    async uploadPart(uploadId, part, body) {
      const result = await client.send(new UploadPartCommand({ Bucket: bucket, Key: name, UploadId: uploadId, PartNumber: part.number, Body: body, ContentLength: part.size }));
      return result.ETag ?? "";
    },
    async complete(uploadId, parts) {
      const Parts = parts.map((p) => ({ PartNumber: p.number, ETag: p.etag }));
      const result = await client.send(new CompleteMultipartUploadCommand({ Bucket: bucket, Key: name, UploadId: uploadId, MultipartUpload: { Parts } }));
      return unquote(result.ETag ?? "");
    },
    async head() {
      const head = await client.send(new HeadObjectCommand({ Bucket: bucket, Key: name }));
      return { etag: unquote(head.ETag ?? ""), size: head.ContentLength ?? -1, lastModified: head.LastModified };
    },
    async abort(uploadId) {
      await client.send(new AbortMultipartUploadCommand({ Bucket: bucket, Key: name, UploadId: uploadId }));
    },
    isNoSuchUpload: (error) => (error as { name?: unknown } | null)?.name === "NoSuchUpload",
    answerOf(error) {
      const { name, $metadata } = (error ?? {}) as { name?: unknown; $metadata?: { httpStatusCode?: unknown } };
      const status = $metadata?.httpStatusCode;
      return typeof status === "number" && status > 0 ? { code: typeof name === "string" ? name : undefined, status } : undefined;
    },
    // s3rver, for one, gives a multipart object the MD5 of its parts' MD5s without the count.
    partsInEtag: false,
  };
}

/** `"abc"` → `abc`. */
export function unquote(etag: string): string {
  return etag.replace(/^W\//, "").replace(/^"|"$/g, "");
}
