// A download stream that survives a broken connection: it asks again from the first byte it has not delivered.
// Event-driven rather than a chain of async iterators, so that a chunk costs a function call, not promises; one
// class with its handlers bound once, so that a stream costs one object and a few bindings, not a dozen closures;
// and it is the only layer over the response body: the facade hands it out as it is, with its failures reported
// as the facade's errors (`reportFailuresAs`), instead of wrapping it in a second stream.
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
export function resumingStream(first: OpenedRead, options: ResumeOptions): ResumingRead {
  return new ResumingRead(first, options);
}

/** The stream `resumingStream` gives. */
export class ResumingRead extends Readable {
  readonly #options: ResumeOptions;
  #current: OpenedRead;
  #offset: number;
  /** Bytes of the current body delivered. */
  #received = 0;
  /** Failures in a row, without a byte delivered between them. */
  #failures = 0;
  /** Between a failure and the next body. */
  #waiting = false;
  #idle: NodeJS.Timeout | undefined;
  #report: ((error: Error) => Error) | undefined;
  /** The first body was whole when it came: all its bytes are in this stream's buffer, and its end after them. */
  #arrivedWhole = false;
  readonly #onData = this.#data.bind(this);
  readonly #onEnd = this.#end.bind(this);
  readonly #onClose = this.#close.bind(this);
  readonly #onFailure = this.#failure.bind(this);
  readonly #onIdle = this.#stalled.bind(this);

  constructor(first: OpenedRead, options: ResumeOptions) {
    super({ highWaterMark: 1 << 20 });
    this.#options = options;
    this.#current = first;
    this.#offset = options.start;
    if (isWhole(first)) {
      // A small body arrives with its headers: it is all here, and nothing can break it any more. Its bytes are
      // taken at once (which also ends it, so that its connection goes back to the pool), with no timer and no
      // listeners to set up and take down again.
      for (let chunk = first.stream.read() as Buffer | null; chunk !== null; chunk = first.stream.read() as Buffer | null) this.push(chunk);
      first.stream.on("error", ignore);
      this.push(null);
      this.#arrivedWhole = true;
      return;
    }
    this.#attach(first.stream);
  }

  /**
   * The whole body at once, when it arrived whole with its headers and is `size` bytes long (none read yet): no
   * stream machinery for a caller that wants all of it. Undefined otherwise; the stream is then as it was.
   */
  takeWhole(size: number): Buffer | undefined {
    if (!this.#arrivedWhole || this.readableLength !== size || size === 0) return undefined;
    return this.read(size) as Buffer;
  }

  /** Has the failures that end this stream reported as `report(failure)` gives them (once, before any is read). */
  reportFailuresAs(report: (error: Error) => Error): this {
    this.#report = report;
    return this;
  }

  override _read(): void {
    const body = this.#current.stream;
    if (body.isPaused()) body.resume();
    if (!this.#waiting) this.#arm();
  }

  override _destroy(error: Error | null, callback: (error?: Error | null) => void): void {
    this.#disarm();
    this.#detach(this.#current.stream);
    this.#current.stream.destroy();
    callback(error);
  }

  #arm(): void {
    if (this.#idle === undefined) this.#idle = setTimeout(this.#onIdle, this.#options.idleTimeoutMs);
    else this.#idle.refresh();
  }

  #disarm(): void {
    if (this.#idle === undefined) return;
    clearTimeout(this.#idle);
    this.#idle = undefined;
  }

  #stalled(): void {
    this.#idle = undefined;
    this.#current.stream.destroy(new IdleTimeout(`no bytes for ${this.#options.idleTimeoutMs} ms`));
  }

  #data(chunk: Buffer): void {
    this.#received += chunk.length;
    this.#offset += chunk.length;
    this.#failures = 0;
    if (this.push(chunk)) this.#arm();
    else {
      // The reader is full: waiting on it is not the body stalling.
      this.#current.stream.pause();
      this.#disarm();
    }
  }

  #end(): void {
    const { length } = this.#current;
    if (length !== undefined && this.#received < length) {
      this.#failure(new PrematureEnd(`the connection ended after ${this.#received} of ${length} bytes`));
      return;
    }
    this.#disarm();
    this.#detach(this.#current.stream);
    this.push(null);
  }

  #close(): void {
    // A body closed without "end" and without an error was cut short all the same.
    if (!this.#current.stream.readableEnded) this.#failure(new PrematureEnd(`the connection closed after ${this.#received} bytes`));
  }

  #failure(error: unknown): void {
    this.#disarm();
    this.#detach(this.#current.stream);
    this.#current.stream.destroy();
    if (this.destroyed) return;
    this.#failures++;
    if (this.#givesUp(error)) return;
    void this.#reopen();
  }

  /** Ends the stream with `error` when retrying cannot help or the retries are used up. */
  #givesUp(error: unknown): boolean {
    if (this.#failures <= this.#options.policy.retries && this.#options.isTransient(error)) return false;
    const failure = error instanceof Error ? error : new Error(String(error));
    this.destroy(this.#report === undefined ? failure : this.#report(failure));
    return true;
  }

  #attach(stream: Readable): void {
    stream.on("data", this.#onData);
    stream.once("end", this.#onEnd);
    stream.once("error", this.#onFailure);
    stream.once("close", this.#onClose);
  }

  #detach(stream: Readable): void {
    stream.off("data", this.#onData);
    stream.off("end", this.#onEnd);
    stream.off("error", this.#onFailure);
    stream.off("close", this.#onClose);
    // A late error from a body we gave up must not go unhandled.
    stream.on("error", ignore);
  }

  async #reopen(): Promise<void> {
    this.#waiting = true;
    try {
      for (;;) {
        await new Promise((resolve) => setTimeout(resolve, backoffDelay(this.#failures, this.#options.policy)));
        if (this.destroyed) return;
        try {
          const next = await this.#options.open(this.#offset, this.#current.etag);
          if (this.destroyed) {
            next.stream.destroy();
            return;
          }
          this.#current = next;
          this.#received = 0;
          this.#attach(next.stream);
          this.#arm();
          return;
        } catch (error) {
          this.#failures++;
          if (this.#givesUp(error)) return;
        }
      }
    } finally {
      this.#waiting = false;
    }
  }
}

function ignore(): void {}

/**
 * Whether the whole of a response's body is already buffered in its stream: an HTTP response (IncomingMessage)
 * parsed to its end, holding every byte its Content-Length announced, none of them read yet.
 */
function isWhole(read: OpenedRead): boolean {
  const { stream, length } = read;
  if ((stream as Readable & { complete?: unknown }).complete !== true || stream.readableFlowing === true || stream.destroyed) return false;
  return length === undefined || stream.readableLength === length;
}
