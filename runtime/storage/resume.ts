// A download stream that survives a broken connection: it asks again from the first byte it has not delivered.
import { Readable } from "node:stream";
import { setTimeout as sleep } from "node:timers/promises";
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
  /** A body that sends nothing for this long is given up and asked again (milliseconds). */
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
 * in a row (a read that makes progress earns its retries back). The consumer sees one stream of the right bytes,
 * or an error once retrying is pointless.
 */
export function resumingStream(first: OpenedRead, options: ResumeOptions): Readable {
  let current: Readable = first.stream;
  async function* chunks(): AsyncGenerator<Buffer> {
    let opened = first;
    let offset = options.start;
    let failures = 0;
    try {
      for (;;) {
        let received = 0;
        try {
          for await (const chunk of withIdleTimeout(opened.stream, options.idleTimeoutMs)) {
            received += chunk.length;
            offset += chunk.length;
            if (failures > 0 && received > 0) failures = 0;
            yield chunk;
          }
          if (opened.length !== undefined && received < opened.length) {
            throw new PrematureEnd(`the connection ended after ${received} of ${opened.length} bytes`);
          }
          return;
        } catch (error) {
          failures++;
          if (failures > options.policy.retries || !options.isTransient(error)) throw error;
        }
        for (;;) {
          await sleep(backoffDelay(failures, options.policy));
          try {
            opened = await options.open(offset, opened.etag);
            current = opened.stream;
            break;
          } catch (error) {
            failures++;
            if (failures > options.policy.retries || !options.isTransient(error)) throw error;
          }
        }
      }
    } finally {
      if (!current.destroyed) current.destroy();
    }
  }
  return Readable.from(chunks(), { objectMode: false });
}

/** The chunks of `stream`, failing with IdleTimeout when none comes for `ms`. */
async function* withIdleTimeout(stream: Readable, ms: number): AsyncGenerator<Buffer> {
  let timer: NodeJS.Timeout | undefined;
  const arm = () => {
    clearTimeout(timer);
    timer = setTimeout(() => stream.destroy(new IdleTimeout(`no bytes for ${ms} ms`)), ms);
  };
  try {
    arm();
    for await (const chunk of stream as AsyncIterable<Buffer>) {
      clearTimeout(timer);
      yield chunk;
      arm();
    }
  } finally {
    clearTimeout(timer);
  }
}
