// Multipart upload, driven part by part: a deadline and retries per part, a bounded number in flight, and an abort
// that stops this upload's parts (and only this upload's) and leaves no object behind.
import type { Readable } from "node:stream";
import type OSS from "ali-oss";
import { NO_SUCH_KEY, RequestScope, RetriesExhausted, StorageFailure, sendParts, uploadAbortError, uploadStop, withRetries } from "../Meta/index.ts";
import type { Part, RetryPolicy } from "../Meta/index.ts";

export interface MultipartRequest {
  client: OSS;
  name: string;
  contentType: string;
  /** `x-oss-meta-*` headers. */
  headers: Record<string, string>;
  parts: Iterable<Part> | AsyncIterable<Part>;
  parallel: number;
  /** Deadline of each request, each part included (milliseconds). */
  timeout: number;
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
  const { client, name, timeout, policy, isTransient } = request;
  // Stops everything of this upload: the caller's abort, or the first part that fails for good (parts whose bodies
  // are already sent included, through the scope).
  const scope = new RequestScope();
  const { stop, detach } = uploadStop(request.signal, scope, request.source);

  try {
    // Initiate is not cut by an abort: the service may create the upload all the same, and only its answer names
    // it. The abort waits for that answer (at most `timeout`) and aborts the upload it names.
    const { uploadId } = await withRetries(
      () => client.initMultipartUpload(name, { mime: request.contentType, headers: request.headers, timeout }),
      policy,
      isTransient,
      stop.signal,
    );
    if (stop.signal.aborted) {
      await abandon(client, name, uploadId, timeout, policy, isTransient);
      throw uploadAbortError();
    }
    const startedAt = Date.now();
    const send = (part: Part) =>
      withRetries(
        async () => {
          if (stop.signal.aborted) throw uploadAbortError();
          const body = part.open();
          try {
            const result = await scope.run(() => client.uploadPart(name, uploadId, part.number, body, 0, part.size, { timeout }));
            return { number: part.number, etag: result.etag };
          } finally {
            if (!body.destroyed) body.destroy();
          }
        },
        policy,
        isTransient,
        stop.signal,
      );

    let sent: { landed: Array<{ number: number; etag: string }>; loaded: number };
    try {
      sent = await sendParts({ parts: request.parts, parallel: request.parallel, stop, progress: request.progress, send });
    } catch (error) {
      await abandon(client, name, uploadId, timeout, policy, isTransient);
      throw error;
    }
    const done = sent.landed;
    done.sort((a, b) => a.number - b.number);
    const size = sent.loaded;
    // Once Complete is sent the service may store the object whatever this process does, so an abort no longer
    // cuts it: it waits for the answer (no retry after it) and the error says what became of the object.
    let etag: string;
    try {
      etag = await complete(client, name, uploadId, done, size, timeout, policy, isTransient, stop.signal);
    } catch (error) {
      if (!stop.signal.aborted) {
        await abandon(client, name, uploadId, timeout, policy, isTransient);
        throw error;
      }
      // No answer (a broken connection, a timeout): a HEAD tells whether the service completed it all the same.
      const found = hasAnswer(error) ? undefined : await landed(client, name, done.length, size, startedAt, timeout);
      if (found !== undefined) throw storedAnyway(found, "a HEAD found it");
      await abandon(client, name, uploadId, timeout, policy, isTransient);
      throw new StorageFailure(
        "ABORTED",
        `it was aborted while the service was completing the upload, and the service did not complete it (${describe(error)}): the upload was abandoned and nothing was stored`,
        { cause: error, stored: false },
      );
    }
    if (stop.signal.aborted) throw storedAnyway(etag, "the service answered");
    return { etag, size };
  } finally {
    detach();
  }
}

/**
 * Completes the upload. A retried Complete that finds no upload means the first one landed and its answer was
 * lost: the object then has this many parts and this size, which a HEAD confirms.
 */
async function complete(
  client: OSS,
  name: string,
  uploadId: string,
  parts: Array<{ number: number; etag: string }>,
  size: number,
  timeout: number,
  policy: RetryPolicy,
  isTransient: (error: unknown) => boolean,
  stop: AbortSignal,
): Promise<string> {
  return withRetries(
    async (attempt) => {
      try {
        const result = await client.completeMultipartUpload(name, uploadId, parts, { timeout });
        return unquote(result.etag);
      } catch (error) {
        if (attempt > 1 && (error as { code?: unknown }).code === "NoSuchUpload") {
          const head = await client.head(name, { timeout });
          const headers = head.res.headers as Record<string, string | undefined>;
          const etag = unquote(headers.etag ?? "");
          if (etag.endsWith(`-${parts.length}`) && Number(headers["content-length"]) === size) return etag;
        }
        throw error;
      }
    },
    policy,
    isTransient,
    // After an abort the answer in flight is awaited, but no attempt follows it.
    stop,
  );
}

/** The ETag of `name` when a HEAD finds the object that Complete would have made (that many parts, that size, made since `since`). */
async function landed(client: OSS, name: string, parts: number, size: number, since: number, timeout: number): Promise<string | undefined> {
  try {
    const head = await client.head(name, { timeout });
    const headers = head.res.headers as Record<string, string | undefined>;
    const etag = unquote(headers.etag ?? "");
    const modified = Date.parse(headers["last-modified"] ?? "");
    // Last-Modified has whole seconds.
    const recent = Number.isFinite(modified) && modified >= Math.floor(since / 1000) * 1000;
    return etag.endsWith(`-${parts}`) && Number(headers["content-length"]) === size && recent ? etag : undefined;
  } catch {
    return undefined;
  }
}

function storedAnyway(etag: string, how: string): StorageFailure {
  return new StorageFailure(
    "ABORTED",
    `it was aborted while the service was completing the upload, too late to stop it: the object is stored (${how}), ETag ${etag}; delete it if it must not stay`,
    { stored: true, etag },
  );
}

/** Whether the service answered the request (with an error status), rather than the connection failing. */
function hasAnswer(error: unknown): boolean {
  const inner = error instanceof RetriesExhausted ? error.last : error;
  const status = (inner as { status?: unknown } | null)?.status;
  return typeof status === "number" && status > 0;
}

function describe(error: unknown): string {
  const inner = error instanceof RetriesExhausted ? error.last : error;
  const { code, status } = (inner ?? {}) as { code?: unknown; status?: unknown };
  return [typeof code === "string" ? code : "no answer", typeof status === "number" && status > 0 ? `(${status})` : ""].join(" ").trim();
}

/** Aborts the upload so that its parts are dropped; best effort, since the failure being reported matters more. */
async function abandon(client: OSS, name: string, uploadId: string, timeout: number, policy: RetryPolicy, isTransient: (error: unknown) => boolean): Promise<void> {
  try {
    // abortMultipartUpload also sets the client's cancel flag, which only the managed multipartUpload reads; this
    // module does not use it, so other uploads on the client go on.
    await withRetries(() => client.abortMultipartUpload(name, uploadId, { timeout }), policy, isTransient);
  } catch (error) {
    if ((error as { code?: unknown }).code === "NoSuchUpload" || (error as { code?: unknown }).code === NO_SUCH_KEY) return;
    // An upload that cannot be aborted holds no object; the service's lifecycle rules clean such leftovers.
  }
}


/** `"ABC"` → `ABC`. */
export function unquote(etag: string): string {
  return etag.replace(/^W\//, "").replace(/^"|"$/g, "");
}
