// The part driver every storage Type's multipart upload shares: one stop per upload, the parts sent a bounded
// number at a time, in the order the source yields them, with progress and the first failure winning, and the
// upload's fate told truthfully when an abort comes while the service decides it (Initiate, Complete). What each
// request is (the protocol's words, its client) stays the Type's own, given as a MultipartProtocol.
import type { Readable } from "node:stream";
import { RequestScope } from "./cancel.ts";
import { StorageFailure } from "./errors.ts";
import type { Part } from "./parts.ts";
import { RetriesExhausted, withRetries, type RetryPolicy } from "./retry.ts";

/** The error an aborted upload rejects with (a Type's failure mapping turns it into `ABORTED`). */
export function uploadAbortError(): Error {
  const error = new Error("The upload was aborted.");
  error.name = "AbortError";
  return error;
}

/**
 * One upload's stop: aborted by the caller's `signal` or by the first part that fails for good. Aborting it cuts
 * the upload's requests in flight through `scope` (other uploads on the same client have scopes of their own) and
 * destroys `source`, so that a stalled source cannot hold the upload. `detach()` once the upload is over.
 */
export function uploadStop(signal: AbortSignal | undefined, scope: RequestScope, source: Readable | undefined): { stop: AbortController; detach(): void } {
  const stop = new AbortController();
  const onAbort = () => stop.abort(signal?.reason);
  signal?.addEventListener("abort", onAbort, { once: true });
  stop.signal.addEventListener(
    "abort",
    () => {
      const reason = uploadAbortError();
      scope.abort(reason);
      source?.destroy(reason);
    },
    { once: true },
  );
  if (signal?.aborted === true) stop.abort(signal.reason);
  return { stop, detach: () => signal?.removeEventListener("abort", onAbort) };
}

export interface PartDriverOptions<Landed> {
  parts: Iterable<Part> | AsyncIterable<Part>;
  /** Parts in flight at most. */
  parallel: number;
  /** The upload's stop (see uploadStop): the driver aborts it on the first failure and stops when it is aborted. */
  stop: AbortController;
  /** Bytes landed so far; a callback that throws fails the upload, as every other failure does. */
  progress(loaded: number): void;
  /** Sends one part, retries included; what it resolves with is the part as the Type completes with it. */
  send(part: Part): Promise<Landed>;
}

/**
 * Sends every part. Resolves with the parts in the order they landed and the bytes landed; rejects, once every
 * part in flight has settled, with the first failure: a part's, the source's, the progress callback's, or the abort.
 */
export async function sendParts<Landed>(options: PartDriverOptions<Landed>): Promise<{ landed: Landed[]; loaded: number }> {
  const { stop } = options;
  const landed: Landed[] = [];
  const running = new Set<Promise<void>>();
  let failure: { error: unknown } | undefined;
  let loaded = 0;
  const fail = (error: unknown) => {
    failure ??= { error };
    stop.abort(error);
  };
  try {
    for await (const part of options.parts) {
      if (stop.signal.aborted) break;
      const task: Promise<void> = options
        .send(part)
        .then(
          (done) => {
            landed.push(done);
            loaded += part.size;
            try {
              options.progress(loaded);
            } catch (error) {
              fail(error);
            }
          },
          fail,
        )
        .finally(() => part.release?.());
      running.add(task);
      void task.finally(() => running.delete(task));
      while (running.size >= options.parallel) await Promise.race(running);
    }
  } catch (error) {
    // Reading the source failed (or was stopped): that is the upload's failure unless a part failed first.
    fail(error);
  }
  await Promise.allSettled(running);
  if (failure === undefined && stop.signal.aborted) failure = { error: uploadAbortError() };
  if (failure !== undefined) throw failure.error;
  return { landed, loaded };
}

/** One multipart upload's requests in a Type's protocol: each one attempt, which the driver retries. */
export interface MultipartProtocol {
  /** Starts the upload; resolves with the upload id its answer names. */
  initiate(): Promise<string>;
  /** Sends one part's bytes (`body`, `part.size` of them); resolves with the part's ETag as Complete takes it. */
  uploadPart(uploadId: string, part: Part, body: Readable): Promise<string>;
  /** Completes the upload with `parts` in order; resolves with the object's ETag, unquoted. */
  complete(uploadId: string, parts: Array<{ number: number; etag: string }>): Promise<string>;
  /** The object as a HEAD finds it (ETag unquoted); rejects when there is none. */
  head(): Promise<{ etag: string; size: number; lastModified: Date | undefined }>;
  /** Aborts the upload, dropping its parts. */
  abort(uploadId: string): Promise<void>;
  /** Whether `error` is the service's answer that there is no such upload. */
  isNoSuchUpload(error: unknown): boolean;
  /** The service's code and status when it answered with an error; undefined when no answer came (a reset, a timeout). */
  answerOf(error: unknown): { code: string | undefined; status: number } | undefined;
  /**
   * Whether the service's multipart ETags always end in `-<parts>` (OSS, AWS). Some S3-compatible servers give
   * none; their objects are then recognised by size (and, after an abort, by age), and the suffix when present.
   */
  partsInEtag: boolean;
}

export interface MultipartUploadOptions {
  protocol: MultipartProtocol;
  parts: Iterable<Part> | AsyncIterable<Part>;
  /** Parts in flight at most. */
  parallel: number;
  policy: RetryPolicy;
  isTransient: (error: unknown) => boolean;
  /** Bytes landed so far. */
  progress: (loaded: number) => void;
  signal: AbortSignal | undefined;
  /** A stream the parts are read from, destroyed on abort so that a stalled source cannot hold the upload. */
  source?: Readable;
}

/**
 * Uploads `parts` as one object; resolves with its ETag and size, or rejects after aborting the upload. An abort
 * stops the parts at once; it does not cut Initiate or Complete, whose effect the service may keep whatever this
 * process does: it waits for their answer (no retry after it), aborts the upload Initiate names, and says what
 * Complete did, a HEAD deciding when no answer came (StorageFailure `ABORTED` with `stored` true or false).
 */
export async function uploadInParts(options: MultipartUploadOptions): Promise<{ etag: string; size: number }> {
  const { protocol, policy, isTransient } = options;
  // Stops everything of this upload: the caller's abort, or the first part that fails for good (parts whose bodies
  // are already sent included, through the scope).
  const scope = new RequestScope();
  const { stop, detach } = uploadStop(options.signal, scope, options.source);
  const abandon = (uploadId: string) => abandonUpload(protocol, uploadId, policy, isTransient);

  try {
    // Initiate is not cut by an abort: the service may create the upload all the same, and only its answer names
    // it. The abort waits for that answer (at most the request's deadline) and aborts the upload it names.
    const uploadId = await withRetries(() => protocol.initiate(), policy, isTransient, stop.signal);
    if (stop.signal.aborted) {
      await abandon(uploadId);
      throw uploadAbortError();
    }
    const startedAt = Date.now();
    const send = (part: Part) =>
      withRetries(
        async () => {
          if (stop.signal.aborted) throw uploadAbortError();
          const body = part.open();
          try {
            return { number: part.number, etag: await scope.run(() => protocol.uploadPart(uploadId, part, body)) };
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
      sent = await sendParts({ parts: options.parts, parallel: options.parallel, stop, progress: options.progress, send });
    } catch (error) {
      await abandon(uploadId);
      throw error;
    }
    const done = sent.landed;
    done.sort((a, b) => a.number - b.number);
    const size = sent.loaded;
    // Once Complete is sent the service may store the object whatever this process does, so an abort no longer
    // cuts it: it waits for the answer (no retry after it) and the error says what became of the object.
    let etag: string;
    try {
      etag = await complete(protocol, uploadId, done, size, policy, isTransient, stop.signal);
    } catch (error) {
      if (!stop.signal.aborted) {
        await abandon(uploadId);
        throw error;
      }
      const inner = error instanceof RetriesExhausted ? error.last : error;
      const answer = protocol.answerOf(inner);
      // No answer (a broken connection, a timeout): a HEAD tells whether the service completed it all the same.
      const found = answer === undefined ? await landed(protocol, done.length, size, startedAt) : undefined;
      if (found !== undefined) throw storedAnyway(found, "a HEAD found it");
      await abandon(uploadId);
      const outcome = answer === undefined ? "no answer came, and a HEAD found no such object" : `it answered ${[answer.code, `(${answer.status})`].filter((w) => w !== undefined).join(" ")}`;
      throw new StorageFailure(
        "ABORTED",
        `it was aborted while the service was completing the upload, and the service did not complete it (${outcome}): the upload was abandoned and nothing was stored`,
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
  protocol: MultipartProtocol,
  uploadId: string,
  parts: Array<{ number: number; etag: string }>,
  size: number,
  policy: RetryPolicy,
  isTransient: (error: unknown) => boolean,
  stop: AbortSignal,
): Promise<string> {
  return withRetries(
    async (attempt) => {
      try {
        return await protocol.complete(uploadId, parts);
      } catch (error) {
        if (attempt > 1 && protocol.isNoSuchUpload(error)) {
          const head = await protocol.head();
          if (madeOf(head, parts.length, size, protocol.partsInEtag)) return head.etag;
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

/** The ETag of the object when a HEAD finds the one Complete would have made: that many parts, that size, made since `since`. */
async function landed(protocol: MultipartProtocol, parts: number, size: number, since: number): Promise<string | undefined> {
  try {
    const head = await protocol.head();
    // Last-Modified has whole seconds.
    const modified = head.lastModified?.getTime() ?? Number.NaN;
    const recent = Number.isFinite(modified) && modified >= Math.floor(since / 1000) * 1000;
    return recent && madeOf(head, parts, size, protocol.partsInEtag) ? head.etag : undefined;
  } catch {
    return undefined;
  }
}

/** Whether `head` is an object of `size` bytes completed from `parts` parts, as far as its ETag says. */
function madeOf(head: { etag: string; size: number }, parts: number, size: number, partsInEtag: boolean): boolean {
  if (head.size !== size) return false;
  const suffix = /-(\d+)$/.exec(head.etag);
  return suffix === null ? !partsInEtag : Number(suffix[1]) === parts;
}

function storedAnyway(etag: string, how: string): StorageFailure {
  return new StorageFailure(
    "ABORTED",
    `it was aborted while the service was completing the upload, too late to stop it: the object is stored (${how}), ETag ${etag}; delete it if it must not stay`,
    { stored: true, etag },
  );
}

/** Aborts the upload so that its parts are dropped; best effort, since the failure being reported matters more. */
async function abandonUpload(protocol: MultipartProtocol, uploadId: string, policy: RetryPolicy, isTransient: (error: unknown) => boolean): Promise<void> {
  try {
    await withRetries(() => protocol.abort(uploadId), policy, isTransient);
  } catch {
    // An upload that cannot be aborted (or is gone already) holds no object; the service's lifecycle rules
    // (AbortIncompleteMultipartUpload) clean such leftovers.
  }
}

/** What a single-request upload sent: its size, and its MD5 (hex) when known. */
/** How a Type sends one object in one request, and how it reads the answers (see putWhole). */
export interface WholePutProtocol<T> {
  /** Sends the object once, a body of its own per attempt. */
  send(): Promise<T>;
  etagOf(answer: T): string;
  /** The object's facts as a HEAD finds them; undefined when there is none. */
  head(): Promise<{ etag: string; size: number; lastModified: Date | undefined } | undefined>;
  /** The HTTP status of the service's answer that an error carries, when there was one. */
  statusOf(error: unknown): number | undefined;
  /** What was sent: its size, and its MD5 (hex) where it is known without reading a file again. */
  sent(): { size: number; md5Hex?: string };
}

/**
 * Uploads an object in one request, with retries, and resolves with its ETag. An abort cuts the request while its
 * body is on its way, so that the service never has all of it; once the body has gone out whole the service may
 * store it whatever this process does, so the request is left to finish, and the error its answer (or a HEAD)
 * makes says what became of the object.
 */
export async function putWhole<T>(
  protocol: WholePutProtocol<T>,
  options: { signal: AbortSignal | undefined; policy: RetryPolicy; isTransient: (error: unknown) => boolean },
): Promise<string> {
  const { signal } = options;
  const scope = new RequestScope();
  const since = Date.now();
  let spared = false;
  const stop = () => {
    spared = scope.abortUnsent(uploadAbortError()) > 0;
  };
  signal?.addEventListener("abort", stop, { once: true });
  const sent = () => ({ ...protocol.sent(), since });
  const head = () => protocol.head();
  let answer: T;
  try {
    answer = await withRetries(
      () =>
        scope.run(async () => {
          signal?.throwIfAborted();
          return protocol.send();
        }),
      options.policy,
      options.isTransient,
      signal,
    );
  } catch (error) {
    if (!spared) throw error;
    const status = protocol.statusOf(error instanceof RetriesExhausted ? error.last : error);
    throw await abortedPut({ error, answered: typeof status === "number" && status > 0 }, head, sent());
  } finally {
    signal?.removeEventListener("abort", stop);
  }
  const etag = protocol.etagOf(answer);
  if (spared) throw await abortedPut({ etag }, head, sent());
  return etag;
}

export interface SentObject {
  size: number;
  md5Hex?: string;
  /** When the upload began (milliseconds since the epoch). */
  since: number;
}

/**
 * What a single-request upload became when an abort came after its body had gone out whole (an abort before that
 * cuts the request, and the service never has the whole body): the request is left to finish, as Complete is, and
 * `outcome` is its answer. Stored when the service said so; not when it refused; with no answer (a broken
 * connection, a timeout), a HEAD decides: an object of that size, with that MD5 as its ETag when known (else any
 * single-request ETag), made since the upload began. `head` resolves undefined when there is no object.
 */
export async function abortedPut(
  outcome: { etag: string } | { error: unknown; answered: boolean },
  head: () => Promise<{ etag: string; size: number; lastModified: Date | undefined } | undefined>,
  sent: SentObject,
): Promise<StorageFailure> {
  const tooLate = (etag: string, how: string, cause?: unknown) =>
    new StorageFailure("ABORTED", `it was aborted after its body had gone out whole, too late to stop it: the object is stored (${how}), ETag ${etag}; delete it if it must not stay`, {
      cause,
      stored: true,
      etag,
    });
  if ("etag" in outcome) return tooLate(outcome.etag, "the service answered");
  const notStored = (how: string) =>
    new StorageFailure("ABORTED", `it was aborted after its body had gone out whole, and the service did not store it (${how}): nothing was stored`, { cause: outcome.error, stored: false });
  if (outcome.answered) return notStored("it refused the request");
  let found: { etag: string; size: number; lastModified: Date | undefined } | undefined;
  try {
    found = await head();
  } catch {
    // Unknown, and said so: `stored` stays undefined rather than guessing either way.
    return new StorageFailure(
      "ABORTED",
      "it was aborted after its body had gone out whole; no answer came and a HEAD to check failed, so whether it was stored is unknown: check with exists() before relying on either",
      { cause: outcome.error },
    );
  }
  const modified = found?.lastModified?.getTime() ?? Number.NaN;
  const recent = Number.isFinite(modified) && modified >= Math.floor(sent.since / 1000) * 1000;
  const same =
    found !== undefined &&
    found.size === sent.size &&
    (sent.md5Hex === undefined ? !/-\d+$/.test(found.etag) : found.etag.toLowerCase() === sent.md5Hex.toLowerCase());
  if (found !== undefined && recent && same) return tooLate(found.etag, "no answer came; a HEAD found it", outcome.error);
  return notStored("no answer came, and a HEAD found no object from this upload");
}
