// A download stream that survives a broken connection: it asks again from the first byte it has not delivered.
// Event-driven rather than a chain of async iterators, so that a chunk costs a function call, not promises.
import { Readable } from "node:stream";
import { backoffDelay, type RetryPolicy } from "./retry.ts";

/** One response: its body, how many bytes it announced, and the object's version to resume against. */
export interface OpenedRead {
  stream: Readable;
  /** Content-Length of this response, when announced. */
  length: number | undefined;
  /** The object's ETag, so that a resumed read of a replaced object fails instead of mixing versions. */
  etag: string | undefined;
}

export interface ResumeOptions {
  /** First byte wanted (0 for the whole object). */
  start: number;
  /** Opens the object from byte `offset` (to the original end), only if its ETag is still `etag` when given. */
  open: (offset: number, etag: string | undefined) => Promise<OpenedRead>;
  policy: RetryPolicy;
  isTransient: (error: unknown) => boolean;
  /** A body that sends nothing for this long, while the reader wants more, is given up and asked again (ms). */
  idleTimeoutMs: number;
}

/** Thrown into a body that stalled. */
export class IdleTimeout extends Error {
  override readonly name = "IdleTimeout";
  readonly code = "TIMEOUT";
}

/** Thrown when a body ends before the length its response announced. */
export class PrematureEnd extends Error {
  override readonly name = "PrematureEnd";
  readonly code = "NETWORK_ERROR";
}

/**
 * Reads through `first` and, when its body breaks or stalls, opens the rest again, up to `policy.retries` times
 * in a row (a read that makes progress earns its retries back). The reader sees one stream of the right bytes, or
 * an error once retrying is pointless.
 */
export function resumingStream(first: OpenedRead, options: ResumeOptions): Readable {
  let current = first;
  let offset = options.start;
  let received = 0;
  let failures = 0;
  let waiting = false;
  let idle: NodeJS.Timeout | undefined;

  const out = new Readable({
    highWaterMark: 1 << 20,
    read() {
      if (current.stream.isPaused()) current.stream.resume();
      if (!waiting) arm();
    },
    destroy(error, callback) {
      disarm();
      detach(current.stream);
      current.stream.destroy();
      callback(error);
    },
  });

  const arm = () => {
    if (idle === undefined) idle = setTimeout(onIdle, options.idleTimeoutMs);
    else idle.refresh();
  };
  const disarm = () => {
    clearTimeout(idle);
    idle = undefined;
  };
  const onIdle = () => {
    idle = undefined;
    current.stream.destroy(new IdleTimeout(`no bytes for ${options.idleTimeoutMs} ms`));
  };

  const onData = (chunk: Buffer) => {
    received += chunk.length;
    offset += chunk.length;
    failures = 0;
    if (out.push(chunk)) arm();
    else {
      // The reader is full: waiting on it is not the body stalling.
      current.stream.pause();
      disarm();
    }
  };
  const onEnd = () => {
    if (current.length !== undefined && received < current.length) {
      onFailure(new PrematureEnd(`the connection ended after ${received} of ${current.length} bytes`));
      return;
    }
    disarm();
    detach(current.stream);
    out.push(null);
  };
  const onClose = () => {
    // A body closed without "end" and without an error was cut short all the same.
    if (!current.stream.readableEnded) onFailure(new PrematureEnd(`the connection closed after ${received} bytes`));
  };
  const onFailure = (error: unknown) => {
    disarm();
    detach(current.stream);
    current.stream.destroy();
    if (out.destroyed) return;
    failures++;
    if (failures > options.policy.retries || !options.isTransient(error)) {
      out.destroy(error instanceof Error ? error : new Error(String(error)));
      return;
    }
    void reopen();
  };

  const attach = (stream: Readable) => {
    stream.on("data", onData);
    stream.once("end", onEnd);
    stream.once("error", onFailure);
    stream.once("close", onClose);
  };
  const detach = (stream: Readable) => {
    stream.off("data", onData);
    stream.off("end", onEnd);
    stream.off("error", onFailure);
    stream.off("close", onClose);
    // A late error from a body we gave up must not go unhandled.
    stream.on("error", () => {});
  };

  const reopen = async () => {
    waiting = true;
    try {
      for (;;) {
        await new Promise((resolve) => setTimeout(resolve, backoffDelay(failures, options.policy)));
        if (out.destroyed) return;
        try {
          const next = await options.open(offset, current.etag);
          if (out.destroyed) {
            next.stream.destroy();
            return;
          }
          current = next;
          received = 0;
          attach(next.stream);
          arm();
          return;
        } catch (error) {
          failures++;
          if (failures > options.policy.retries || !options.isTransient(error)) {
            out.destroy(error instanceof Error ? error : new Error(String(error)));
            return;
          }
        }
      }
    } finally {
      waiting = false;
    }
  };

  attach(first.stream);
  return out;
}
