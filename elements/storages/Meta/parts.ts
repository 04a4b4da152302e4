// Cutting an upload into parts that can each be sent, and sent again, without holding the whole upload in memory.
import { createReadStream } from "node:fs";
import { Readable } from "node:stream";
import type { UploadBody } from "./types.ts";

/** One part of an upload: its 1-based number, its size, and a way to read its bytes (again, for a retry). */
export interface Part {
  number: number;
  size: number;
  /** A fresh stream of the part's bytes; each call starts from its first byte. */
  open(): Readable;
  /** Called once the part has landed or failed for good: its memory may be used again. */
  release?(): void;
}

/** A buffer or file of known size, or a stream too large to hold: its first bytes, the rest, and the stream. */
export type SettledBody =
  | Exclude<UploadBody, { kind: "stream" }>
  | { kind: "large-stream"; head: Buffer[]; rest: AsyncIterator<Buffer>; stream: Readable };

/**
 * A body whose size is settled: a buffer or a file as given, or a stream read up to `threshold` bytes. When the
 * stream ends within that, it becomes a buffer (small streams need no multipart and can be retried); otherwise
 * the bytes read so far stay at the front of `rest`.
 */
export async function settleBody(body: UploadBody, threshold: number): Promise<SettledBody> {
  if (body.kind !== "stream") return body;
  const iterator = body.stream[Symbol.asyncIterator]() as AsyncIterator<Buffer | string | Uint8Array>;
  const head: Buffer[] = [];
  let read = 0;
  while (read <= threshold) {
    const next = await iterator.next();
    if (next.done === true) {
      const data = Buffer.concat(head, read);
      return { kind: "buffer", data, size: data.length };
    }
    const chunk = toBuffer(next.value);
    head.push(chunk);
    read += chunk.length;
  }
  const rest: AsyncIterator<Buffer> = {
    next: async () => {
      const next = await iterator.next();
      return next.done === true ? { done: true, value: undefined } : { done: false, value: toBuffer(next.value) };
    },
  };
  return { kind: "large-stream", head, rest, stream: body.stream };
}

/** The part size to use for `size` bytes so that there are at most `maxParts` parts. */
export function partSizeFor(size: number | undefined, partSize: number, maxParts = 10_000): number {
  if (size === undefined) return partSize;
  return Math.max(partSize, Math.ceil(size / maxParts));
}

/** The parts of a buffer: slices, no copies. */
export function* bufferParts(data: Buffer, partSize: number): Generator<Part> {
  for (let start = 0, number = 1; start < data.length; start += partSize, number++) {
    const slice = data.subarray(start, Math.min(start + partSize, data.length));
    yield { number, size: slice.length, open: () => Readable.from([slice], { objectMode: false }) };
  }
}

/** The parts of a file: each read from disk when it is sent, so memory holds only what is in flight. */
export function* fileParts(path: string, size: number, partSize: number): Generator<Part> {
  for (let start = 0, number = 1; start < size; start += partSize, number++) {
    const from = start;
    const to = Math.min(start + partSize, size);
    yield { number, size: to - from, open: () => createReadStream(path, { start: from, end: to - 1, highWaterMark: 1 << 20 }) };
  }
}

/**
 * The parts of a stream: `partSize` bytes each (the last may be shorter), copied into part buffers that are used
 * again once their part has landed (`release`), so that memory holds a fixed set of buffers and the stream's own
 * chunks die young. The caller pulls the next part only when it has room, which is what bounds their number.
 */
export async function* streamParts(head: Buffer[], rest: AsyncIterator<Buffer>, partSize: number): AsyncGenerator<Part> {
  const free: Buffer[] = [];
  let number = 1;
  let carry: Buffer | undefined;
  const queue = [...head];
  const nextChunk = async (): Promise<Buffer | undefined> => {
    if (carry !== undefined) {
      const chunk = carry;
      carry = undefined;
      return chunk;
    }
    if (queue.length > 0) return queue.shift();
    const next = await rest.next();
    return next.done === true ? undefined : next.value;
  };
  for (;;) {
    const buffer = free.pop() ?? Buffer.allocUnsafeSlow(partSize);
    let filled = 0;
    let ended = false;
    while (filled < partSize) {
      const chunk = await nextChunk();
      if (chunk === undefined) {
        ended = true;
        break;
      }
      const take = Math.min(chunk.length, partSize - filled);
      chunk.copy(buffer, filled, 0, take);
      filled += take;
      if (take < chunk.length) carry = chunk.subarray(take);
    }
    if (filled === 0) return;
    const bytes = buffer.subarray(0, filled);
    let released = false;
    yield {
      number: number++,
      size: filled,
      open: () => Readable.from([bytes], { objectMode: false }),
      release: () => {
        if (!released) free.push(buffer);
        released = true;
      },
    };
    if (ended) return;
  }
}

function toBuffer(chunk: Buffer | string | Uint8Array): Buffer {
  if (Buffer.isBuffer(chunk)) return chunk;
  if (typeof chunk === "string") return Buffer.from(chunk, "utf8");
  return Buffer.from(chunk.buffer, chunk.byteOffset, chunk.byteLength);
}
