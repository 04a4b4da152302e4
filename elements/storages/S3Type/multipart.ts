// Multipart upload, driven part by part: a deadline and retries per part, a bounded number in flight, and an abort
// that stops this upload's parts (and only this upload's) and leaves no object behind.
import type { Readable } from "node:stream";
import type { S3Client } from "@aws-sdk/client-s3";
import { RequestScope, withRetries } from "../Meta/index.ts";
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
  // Stops everything of this upload: the caller's abort, or the first part that fails for good. Its requests in
  // flight (parts whose bodies are already sent included) are destroyed through their scope; other uploads on the
  // same client have scopes of their own.
  const stop = new AbortController();
  const scope = new RequestScope();
  const onAbort = () => stop.abort(request.signal?.reason);
  request.signal?.addEventListener("abort", onAbort, { once: true });
  stop.signal.addEventListener(
    "abort",
    () => {
      const reason = abortError();
      scope.abort(reason);
      request.source?.destroy(reason);
    },
    { once: true },
  );
  if (request.signal?.aborted === true) stop.abort(request.signal.reason);

  try {
    const created = await withRetries(
      () => scope.run(() => client.send(new CreateMultipartUploadCommand({ Bucket: bucket, Key: name, ContentType: request.contentType, Metadata: request.meta }))),
      policy,
      isTransient,
      stop.signal,
    );
    const uploadId = created.UploadId;
    if (uploadId === undefined) throw new Error("the service started a multipart upload without an UploadId");
    const done: Array<{ PartNumber: number; ETag: string }> = [];
    const running = new Set<Promise<void>>();
    let failure: { error: unknown } | undefined;
    let loaded = 0;

    const send = (part: Part) =>
      withRetries(
        async () => {
          if (stop.signal.aborted) throw abortError();
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

    try {
      for await (const part of request.parts) {
        if (stop.signal.aborted) break;
        const task: Promise<void> = send(part)
          .then(
            (landed) => {
              done.push(landed);
              loaded += part.size;
              try {
                request.progress(loaded);
              } catch (error) {
                // A progress callback that throws fails the upload, as every other failure does.
                failure ??= { error };
                stop.abort(error);
              }
            },
            (error: unknown) => {
              failure ??= { error };
              stop.abort(error);
            },
          )
          .finally(() => part.release?.());
        running.add(task);
        void task.finally(() => running.delete(task));
        while (running.size >= request.parallel) await Promise.race(running);
      }
    } catch (error) {
      // Reading the source failed (or was stopped): that is the upload's failure unless a part failed first.
      failure ??= { error };
      stop.abort(error);
    }
    await Promise.allSettled(running);
    if (failure === undefined && stop.signal.aborted) failure = { error: abortError() };
    if (failure !== undefined) {
      await abandon(request, uploadId);
      throw failure.error;
    }

    done.sort((a, b) => a.PartNumber - b.PartNumber);
    const size = loaded;
    let etag: string;
    try {
      etag = await scope.run(() => complete(request, uploadId, done, size));
    } catch (error) {
      await abandon(request, uploadId);
      throw error;
    }
    return { etag, size };
  } finally {
    request.signal?.removeEventListener("abort", onAbort);
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

function abortError(): Error {
  const error = new Error("The upload was aborted.");
  error.name = "AbortError";
  return error;
}

/** `"abc"` → `abc`. */
export function unquote(etag: string): string {
  return etag.replace(/^W\//, "").replace(/^"|"$/g, "");
}
