// Moving bytes between requests and files without holding them: bodies are streamed into a fresh file with
// their MD5 computed on the way, and objects are assembled or copied by streaming file to file.
import { digestOf } from "./digest.ts";
import { createHash, type Hash } from "node:crypto";
import { createReadStream, createWriteStream, writeFileSync } from "node:fs";
import { open, unlink } from "node:fs/promises";
import type { Readable } from "node:stream";
import { Transform, type TransformCallback } from "node:stream";
import { pipeline } from "node:stream/promises";
import { once } from "node:events";
import { crc64, Crc64 } from "./crc64.ts";
import { errors } from "./errors.ts";

/** What was written: the byte count, the binary MD5 and the CRC-64 (decimal, as x-oss-hash-crc64ecma) of the bytes. */
export interface WrittenBody {
  size: number;
  md5: Buffer;
  crc64: string;
}

const md5Of = (data: Buffer): Buffer => digestOf("md5", data);

// Small bodies are gathered and written with one synchronous call: a thread-pool round trip per open, write and
// close costs more than the write itself, and the memory is bounded (this many bytes per request at most).
const SMALL_BODY = 64 * 1024;

/**
 * Streams `source` into a new file at `path` (which must not exist), computing MD5 and size; `maxSize` bounds it
 * (400 EntityTooLarge) and `verify` may refuse it once its MD5 is known (a small body is then never written). On
 * any failure the file is removed, so a broken upload never leaves a partial file.
 */
export async function receiveToFile(
  source: Readable,
  path: string,
  options: { maxSize: number; contentLength?: number; verify?: (body: WrittenBody) => void },
): Promise<WrittenBody> {
  if (options.contentLength !== undefined && options.contentLength <= SMALL_BODY) {
    const { body, md5, crc64 } = await receiveSmall(source, options.contentLength);
    const written = { size: body.length, md5, crc64 };
    options.verify?.(written);
    writeFileSync(path, body, { flag: "wx" });
    return written;
  }
  try {
    const meter = new Meter(options.maxSize);
    await pipeline(source, meter, createWriteStream(path, { flags: "wx" }));
    const written = { size: meter.size, md5: meter.hash.digest(), crc64: meter.crc.value() };
    options.verify?.(written);
    return written;
  } catch (error) {
    await removeQuietly(path);
    throw error;
  }
}

/** Reads a body of a known, small length (at most SMALL_BODY bytes) into memory, with its MD5. */
export function receiveSmall(source: Readable, contentLength: number): Promise<{ body: Buffer; md5: Buffer; crc64: string }> {
  return new Promise((resolve, reject) => {
    // A client that left before the body was read (during a delay fault, say): nothing more will come.
    if (source.destroyed && !source.readableEnded) return reject(errors.incompleteBody());
    new SmallBodyReader(source, contentLength, resolve, reject).listen();
  });
}

// The listeners of one small body, as methods bound once: this runs for every small PUT, where plain events cost
// less than an async iterator and bound methods less than closures made per request.
class SmallBodyReader {
  private readonly chunks: Buffer[] = [];
  private size = 0;
  private readonly onData = this.data.bind(this);
  private readonly onEnd = this.end.bind(this);
  private readonly onClose = this.close.bind(this);
  private readonly onError = this.fail.bind(this);

  constructor(
    private readonly source: Readable,
    private readonly contentLength: number,
    private readonly resolve: (body: { body: Buffer; md5: Buffer; crc64: string }) => void,
    private readonly reject: (error: unknown) => void,
  ) {}

  listen(): void {
    this.source.on("data", this.onData);
    this.source.once("end", this.onEnd);
    this.source.once("error", this.onError);
    // A client that goes away mid-body: 'close' without 'end'.
    this.source.once("close", this.onClose);
  }

  private data(chunk: Buffer): void {
    this.size += chunk.length;
    if (this.size > this.contentLength) this.fail(errors.incompleteBody());
    else this.chunks.push(chunk);
  }

  private end(): void {
    this.source.off("error", this.onError);
    this.source.off("close", this.onClose);
    if (this.size !== this.contentLength) return this.reject(errors.incompleteBody());
    const body = this.chunks.length === 1 ? this.chunks[0]! : Buffer.concat(this.chunks, this.size);
    this.resolve({ body, md5: md5Of(body), crc64: crc64(body) });
  }

  private close(): void {
    if (!this.source.readableEnded) this.fail(errors.incompleteBody());
  }

  private fail(error: unknown): void {
    this.source.off("data", this.onData);
    this.source.off("end", this.onEnd);
    this.source.resume();
    this.reject(error);
  }
}

/**
 * Reads a small request body (an XML document) into a string; past `limit` bytes it stops reading and refuses it
 * (400 MalformedXML, as the service answers), leaving the rest to the error answer to drain or cut off.
 */
export function readSmallBody(source: Readable, limit: number): Promise<{ text: string; md5: Buffer }> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    const settle = () => {
      source.off("data", onData);
      source.off("end", onEnd);
      source.off("error", onError);
      source.off("close", onClose);
    };
    const onData = (chunk: Buffer) => {
      size += chunk.length;
      if (size > limit) {
        settle();
        source.pause();
        reject(errors.malformedXml("The XML you provided is too large."));
      } else {
        chunks.push(chunk);
      }
    };
    const onEnd = () => {
      settle();
      const body = Buffer.concat(chunks, size);
      resolve({ text: body.toString("utf8"), md5: createHash("md5").update(body).digest() });
    };
    const onError = (error: unknown) => {
      settle();
      reject(error);
    };
    const onClose = () => {
      if (source.readableEnded) return;
      settle();
      reject(errors.incompleteBody());
    };
    if (source.destroyed) return onClose();
    source.on("data", onData);
    source.once("end", onEnd);
    source.once("error", onError);
    source.once("close", onClose);
  });
}

/** Writes bytes `start`..`end` (inclusive) of each source file, in order, into a new file at `path`. */
export async function concatenateFiles(
  sources: Array<{ path: string; start?: number; end?: number }>,
  path: string,
): Promise<WrittenBody> {
  const hash = createHash("md5");
  const crc = new Crc64();
  let size = 0;
  const out = createWriteStream(path, { flags: "wx" });
  const failed = new Promise<never>((_, reject) => out.once("error", reject));
  failed.catch(() => undefined);
  try {
    for (const source of sources) {
      for await (const chunk of createReadStream(source.path, { start: source.start, end: source.end }) as AsyncIterable<Buffer>) {
        hash.update(chunk);
        crc.update(chunk);
        size += chunk.length;
        // Respect the file's pace so that a large assembly never queues more than one buffer.
        if (!out.write(chunk)) await Promise.race([once(out, "drain"), failed]);
      }
    }
    await Promise.race([new Promise<void>((resolve) => out.end(resolve)), failed]);
    return { size, md5: hash.digest(), crc64: crc.value() };
  } catch (error) {
    out.destroy();
    await removeQuietly(path);
    throw error;
  }
}

/** Appends the whole of `from` to `to` at byte `position`, cutting off anything beyond it first. */
export async function appendFile(from: string, to: string, position: number): Promise<void> {
  const handle = await open(to, "r+");
  try {
    // Bytes past `position` can only be the remains of an append that died before its record was written.
    await handle.truncate(position);
    let at = position;
    for await (const chunk of createReadStream(from) as AsyncIterable<Buffer>) {
      let written = 0;
      while (written < chunk.length) {
        written += (await handle.write(chunk, written, chunk.length - written, at + written)).bytesWritten;
      }
      at += chunk.length;
    }
  } finally {
    await handle.close();
  }
}

/** Removes a file, ignoring a missing one. */
export async function removeQuietly(path: string): Promise<void> {
  await unlink(path).catch(() => undefined);
}

// Counts and hashes bytes on their way through; fails once more than `maxSize` bytes have passed.
class Meter extends Transform {
  readonly hash: Hash = createHash("md5");
  readonly crc = new Crc64();
  size = 0;
  constructor(private readonly maxSize: number) {
    super();
  }
  override _transform(chunk: Buffer, _encoding: BufferEncoding, done: TransformCallback): void {
    this.size += chunk.length;
    if (this.size > this.maxSize) {
      done(errors.entityTooLarge());
      return;
    }
    this.hash.update(chunk);
    this.crc.update(chunk);
    done(null, chunk);
  }
}
