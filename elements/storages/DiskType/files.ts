// Moving bytes into and out of files, streamed (never a whole object in memory), or copied by the kernel. Reads and writes go straight through a FileHandle rather than fs streams over it, whose references would
// keep the handle from closing when the stream is not destroyed.
import { createHash } from "node:crypto";
import type { BigIntStats } from "node:fs";
import { closeSync, constants, createReadStream, fstatSync, openSync, read, writeSync } from "node:fs";
import { copyFile, open } from "node:fs/promises";
import { StorageFailure } from "../Meta/index.ts";
import type { UploadBody } from "../Meta/index.ts";
import { Readable } from "node:stream";
import { promisify } from "node:util";
import { NO_FOLLOW, type FileHandle } from "./confine.ts";

export type { FileHandle } from "./confine.ts";

// A new file, never an existing one, and never through a link in the last place.
const WRITE_FLAGS = constants.O_WRONLY | constants.O_CREAT | constants.O_EXCL | NO_FOLLOW;

/** What `writeFileFrom` wrote. */
export interface Written {
  size: number;
  /** The new file's stats once written: what its fingerprint and ETag come from. */
  stats: BigIntStats;
}

export interface WriteOptions {
  progress: (loaded: number) => void;
  signal: AbortSignal | undefined;
  /** Flush the file to the disk before returning. */
  fsync: boolean;
  /** Called with the new file open, before a byte is written: throws when it is not where it must be. */
  placed: (handle: FileHandle) => Promise<void>;
  /** Called before the kernel copies a file into the new file: throws when its folder is not where it must be. */
  before: () => Promise<void>;
}

/**
 * Buffers up to this size are written with synchronous calls: open, a write or two, a stat and a close of a small
 * file take less time than the trips to the thread pool their asynchronous forms cost (each a wake-up of a pool
 * thread and of the event loop), and block the loop for less than a trip. Larger ones go the asynchronous way.
 */
export const QUICK_BYTES = 1024 * 1024;

/** Bytes per read of a file. */
export const CHUNK_BYTES = 1024 * 1024;
// Buffers are written a slice at a time, so that progress moves while a large buffer goes down: a small first slice,
// so that it moves early, then large ones, since every write is a trip to the thread pool.
const FIRST_SLICE_BYTES = 256 * 1024;
const SLICE_BYTES = 4 * 1024 * 1024;

/**
 * Writes `body` (or, for a copy, the chunks of another file) into the new file `path`, which must not exist; the
 * caller removes it if this rejects. A file with no signal to stop it is copied by the kernel (copy_file_range,
 * or a reflink where the filesystem has them), without its bytes passing through this process.
 */
export async function writeFileFrom(body: UploadBody | { kind: "chunks"; chunks: AsyncIterable<Buffer> }, path: string, options: WriteOptions): Promise<Written> {
  if (body.kind === "file" && options.signal === undefined) return copyInto(body.path, body.size, path, options);
  const handle = await open(path, WRITE_FLAGS);
  try {
    await options.placed(handle);
    let size: number;
    if (body.kind === "buffer") {
      size = await writeChunks(slices(body.data), handle, options);
    } else if (body.kind === "chunks") {
      size = await writeChunks(body.chunks, handle, options);
    } else {
      const source = body.kind === "file" ? createReadStream(body.path, { highWaterMark: CHUNK_BYTES }) : body.stream;
      // An abort must also stop a source that is waiting for bytes that may never come.
      const stop = () => source.destroy(abortReason(options.signal));
      options.signal?.addEventListener("abort", stop, { once: true });
      try {
        size = await writeChunks(source, handle, options);
      } finally {
        options.signal?.removeEventListener("abort", stop);
        if (body.kind === "file") source.destroy();
      }
      if (body.kind === "file" && size !== body.size) throw changedWhileRead(body.path, size, body.size);
    }
    if (options.fsync) await handle.datasync();
    return { size, stats: await handle.stat({ bigint: true }) };
  } finally {
    await handle.close();
  }
}

/**
 * `writeFileFrom` for a buffer of at most QUICK_BYTES, at once (no trip to the thread pool): the same new file,
 * the same check of where it is before a byte goes in (`placed`, given the descriptor), the same progress in slices.
 */
export function writeBufferNow(data: Buffer, path: string, options: { progress: (loaded: number) => void; signal: AbortSignal | undefined; placed: (fd: number) => void }): Written {
  options.signal?.throwIfAborted();
  const fd = openSync(path, WRITE_FLAGS);
  try {
    options.placed(fd);
    let position = 0;
    for (const slice of slices(data)) {
      for (let done = 0; done < slice.length; ) done += writeSync(fd, slice, done, slice.length - done, position + done);
      position += slice.length;
      options.progress(position);
      // A progress listener may abort.
      options.signal?.throwIfAborted();
    }
    return { size: position, stats: fstatSync(fd, { bigint: true }) };
  } finally {
    closeSync(fd);
  }
}

/**
 * Copies the file `source` into the new file `path` through the kernel. `source` may be `/proc/self/fd/<n>` of a
 * file already open and checked: the copy then reads that very file, whatever its path leads to now.
 */
export async function copyInto(source: string, expectedSize: number | undefined, path: string, options: Pick<WriteOptions, "fsync" | "placed" | "before">): Promise<Written> {
  await options.before();
  await copyFile(source, path, constants.COPYFILE_EXCL);
  const handle = await open(path, constants.O_RDONLY | NO_FOLLOW);
  try {
    await options.placed(handle);
    if (options.fsync) await handle.datasync();
    const stats = await handle.stat({ bigint: true });
    const size = Number(stats.size);
    if (expectedSize !== undefined && size !== expectedSize) throw changedWhileRead(source, size, expectedSize);
    return { size, stats };
  } finally {
    await handle.close();
  }
}

/** Bytes `start` to `end` (both included) of an open file, a chunk at a time; the handle stays open. */
export async function* fileChunks(handle: FileHandle, start = 0, end = Number.POSITIVE_INFINITY): AsyncGenerator<Buffer, void, undefined> {
  for (let position = start; position <= end; ) {
    const buffer = Buffer.allocUnsafe(Math.min(CHUNK_BYTES, end - position + 1));
    const { bytesRead } = await handle.read(buffer, 0, buffer.length, position);
    if (bytesRead === 0) return;
    position += bytesRead;
    yield bytesRead === buffer.length ? buffer : buffer.subarray(0, bytesRead);
  }
}

/**
 * Bytes `start` to `end` (both included) of an open file as a stream that owns the handle: it closes the file when
 * the bytes are out or the stream is destroyed. Each read asks for exactly what is left (up to a chunk), so that a
 * small object takes one read.
 */
export function fileStream(handle: FileHandle, start: number, end: number): Readable {
  let position = start;
  let closing: Promise<void> | undefined;
  const close = () => (closing ??= handle.close().catch(() => {}));
  return new Readable({
    highWaterMark: CHUNK_BYTES,
    read() {
      if (position > end) {
        this.push(null);
        void close();
        return;
      }
      const buffer = Buffer.allocUnsafe(Math.min(CHUNK_BYTES, end - position + 1));
      handle.read(buffer, 0, buffer.length, position).then(
        ({ bytesRead }) => {
          if (bytesRead === 0) {
            // The file got shorter while it was read: say so rather than end early as if whole.
            this.destroy(new StorageFailure("INTEGRITY_ERROR", `the file ended at byte ${position}, before byte ${end} that was to be read`));
            return;
          }
          position += bytesRead;
          this.push(bytesRead === buffer.length ? buffer : buffer.subarray(0, bytesRead));
          if (position > end) {
            this.push(null);
            void close();
          }
        },
        (error: unknown) => this.destroy(error instanceof Error ? error : new Error(String(error))),
      );
    },
    destroy(error, callback) {
      close().then(() => callback(error), callback);
    },
  });
}

/** The MD5 (upper-case hex) of chunks of bytes: computed only when a caller asks for it (contentMd5). */
export async function md5Of(chunks: AsyncIterable<Buffer>): Promise<string> {
  const hash = createHash("md5");
  for await (const chunk of chunks) hash.update(chunk);
  return hash.digest("hex").toUpperCase();
}

async function writeChunks(chunks: Iterable<unknown> | AsyncIterable<unknown>, handle: FileHandle, options: WriteOptions): Promise<number> {
  options.signal?.throwIfAborted();
  let position = 0;
  for await (const chunk of chunks) {
    const bytes = asBytes(chunk);
    await writeAll(handle, bytes, position);
    position += bytes.length;
    options.progress(position);
    options.signal?.throwIfAborted();
  }
  return position;
}

function* slices(data: Buffer): Generator<Buffer, void, undefined> {
  for (let at = 0; at < data.length; ) {
    const end = at === 0 ? FIRST_SLICE_BYTES : at + SLICE_BYTES;
    yield data.subarray(at, end);
    at = end;
  }
}

async function writeAll(handle: FileHandle, bytes: Buffer, position: number): Promise<void> {
  for (let done = 0; done < bytes.length; ) {
    const { bytesWritten } = await handle.write(bytes, done, bytes.length - done, position + done);
    done += bytesWritten;
  }
}

function asBytes(chunk: unknown): Buffer {
  if (Buffer.isBuffer(chunk)) return chunk;
  if (chunk instanceof Uint8Array) return Buffer.from(chunk.buffer, chunk.byteOffset, chunk.byteLength);
  if (typeof chunk === "string") return Buffer.from(chunk, "utf8");
  throw new StorageFailure("INVALID_ARGUMENT", "the stream to upload gave something other than bytes or text");
}

function changedWhileRead(path: string, size: number, expected: number): StorageFailure {
  return new StorageFailure("INTEGRITY_ERROR", `the file ${path} changed while it was read (${size} bytes instead of ${expected}); nothing was stored`);
}

function abortReason(signal: AbortSignal | undefined): Error {
  const reason: unknown = signal?.reason;
  if (reason instanceof Error) return reason;
  const error = new Error("The upload was aborted.");
  error.name = "AbortError";
  return error;
}

/** Bytes `start` to `end` (both included) of the file open as `fd`, read straight into one buffer: a whole object at once. */
export async function readInto(fd: number, start: number, end: number): Promise<Buffer> {
  const whole = Buffer.allocUnsafe(end - start + 1);
  for (let at = 0; at < whole.length; ) {
    const { bytesRead } = await readAt(fd, whole, at, Math.min(whole.length - at, READ_BYTES), start + at);
    if (bytesRead === 0) throw new StorageFailure("INTEGRITY_ERROR", `the file ended at byte ${start + at}, before byte ${end} that was to be read`);
    at += bytesRead;
  }
  return whole;
}

// Reads into a whole object go in large steps: each is one trip to the thread pool.
const READ_BYTES = 64 * 1024 * 1024;
const readAt = promisify(read);
