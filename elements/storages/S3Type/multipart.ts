// Multipart upload, driven part by part: a deadline and retries per part, a bounded number in flight, and an abort
// that stops this upload's parts (and only this upload's) and leaves no object behind.
import type { Readable } from "node:stream";
import type { S3Client } from "@aws-sdk/client-s3";
import { RequestScope, sendParts, uploadAbortError, uploadStop, withRetries } from "../Meta/index.ts";
import type { Part, RetryPolicy } from "../Meta/index.ts";
import type { Sdk } from "./sdk.ts";

export interface MultipartRequest {
  sdk: Sdk;
  client: S3Client;
  bucket: string;
  name: string;
  contentType: string;
  meta: Record<string, string>;
  parts: Iterable<Part> | AsyncIterable<Part>;
  parallel: number;
  policy: RetryPolicy;
  isTransient: (error: unknown) => boolean;
  /** Bytes landed so far. */
  progress: (loaded: number) => void;
  signal: AbortSignal | undefined;
  /** A stream the parts are read from, destroyed on abort so that a stalled source cannot hold the upload. */
  source?: Readable;
}

/** Uploads `parts` as one object; resolves with its ETag and size, or rejects after aborting the upload. */
export async function uploadInParts(request: MultipartRequest): Promise<{ etag: string; size: number }> {
  const { sdk, client, bucket, name, policy, isTransient } = request;
  const { CreateMultipartUploadCommand, UploadPartCommand } = sdk.s3;
  // Stops everything of this upload: the caller's abort, or the first part that fails for good (parts whose bodies
  // are already sent included, through the scope).
  const scope = new RequestScope();
  const { stop, detach } = uploadStop(request.signal, scope, request.source);

  try {
    const created = await withRetries(
      () => scope.run(() => client.send(new CreateMultipartUploadCommand({ Bucket: bucket, Key: name, ContentType: request.contentType, Metadata: request.meta }))),
      policy,
      isTransient,
      stop.signal,
    );
    const uploadId = created.UploadId;
    if (uploadId === undefined) throw new Error("the service started a multipart upload without an UploadId");
    const send = (part: Part) =>
      withRetries(
        async () => {
          if (stop.signal.aborted) throw uploadAbortError();
          const body = part.open();
          try {
            const result = await scope.run(() =>
              client.send(new UploadPartCommand({ Bucket: bucket, Key: name, UploadId: uploadId, PartNumber: part.number, Body: body, ContentLength: part.size })),
            );
            return { PartNumber: part.number, ETag: result.ETag ?? "" };
          } finally {
            if (!body.destroyed) body.destroy();
          }
        },
        policy,
        isTransient,
        stop.signal,
      );

    let sent: { landed: Array<{ PartNumber: number; ETag: string }>; loaded: number };
    try {
      sent = await sendParts({ parts: request.parts, parallel: request.parallel, stop, progress: request.progress, send });
    } catch (error) {
      await abandon(request, uploadId);
      throw error;
    }
    const done = sent.landed;
    done.sort((a, b) => a.PartNumber - b.PartNumber);
    const size = sent.loaded;
    let etag: string;
    try {
      etag = await scope.run(() => complete(request, uploadId, done, size));
    } catch (error) {
      await abandon(request, uploadId);
      throw error;
    }
    return { etag, size };
  } finally {
    detach();
  }
}

/**
 * Completes the upload. A retried Complete that finds no upload means the first one landed and its answer was
 * lost: the object then has this size, which a HEAD confirms.
 */
async function complete(request: MultipartRequest, uploadId: string, parts: Array<{ PartNumber: number; ETag: string }>, size: number): Promise<string> {
  const { sdk, client, bucket, name } = request;
  return withRetries(
    async (attempt) => {
      try {
        const result = await client.send(new sdk.s3.CompleteMultipartUploadCommand({ Bucket: bucket, Key: name, UploadId: uploadId, MultipartUpload: { Parts: parts } }));
        return unquote(result.ETag ?? "");
      } catch (error) {
        if (attempt > 1 && (error as { name?: unknown }).name === "NoSuchUpload") {
          const head = await client.send(new sdk.s3.HeadObjectCommand({ Bucket: bucket, Key: name }));
          if (head.ContentLength === size) return unquote(head.ETag ?? "");
        }
        throw error;
      }
    },
    request.policy,
    request.isTransient,
  );
}

/** Aborts the upload so that its parts are dropped; best effort, since the failure being reported matters more. */
async function abandon(request: MultipartRequest, uploadId: string): Promise<void> {
  const { sdk, client, bucket, name } = request;
  try {
    await withRetries(() => client.send(new sdk.s3.AbortMultipartUploadCommand({ Bucket: bucket, Key: name, UploadId: uploadId })), request.policy, request.isTransient);
  } catch {
    // An upload that cannot be aborted holds no object; the bucket's lifecycle rules (AbortIncompleteMultipartUpload)
    // clean such leftovers.
  }
}


/** `"abc"` → `abc`. */
export function unquote(etag: string): string {
  return etag.replace(/^W\//, "").replace(/^"|"$/g, "");
}
