// The part driver every storage Type's multipart upload shares: one stop per upload, and the parts sent a bounded
// number at a time, in the order the source yields them, with progress and the first failure winning. What a part
// is sent with (the protocol's request, its retries) stays the Type's own.
import type { Readable } from "node:stream";
import type { RequestScope } from "./cancel.ts";
import type { Part } from "./parts.ts";

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
