// Reading an object's bytes from disk: one data file, or, for a completed multipart upload, its parts' files in
// order (linked into the data folder on complete rather than copied). Files are opened synchronously together,
// right after the record was looked up, so that a write replacing the object meanwhile cannot take them away:
// an open file stays readable after it is removed.
import { closeSync, createReadStream, openSync, readSync } from "node:fs";
import { Readable } from "node:stream";

/** The open files of one object, with where each starts in the object. */
export interface OpenSegments {
  parts: Array<{ fd: number; offset: number; size: number }>;
}

/** Opens every file of an object; throws (with every file closed again) when one is missing. */
export function openSegments(files: Array<{ path: string; size: number }>): OpenSegments {
  const parts: OpenSegments["parts"] = [];
  let offset = 0;
  try {
    for (const file of files) {
      parts.push({ fd: openSync(file.path, "r"), offset, size: file.size });
      offset += file.size;
    }
  } catch (error) {
    for (const part of parts) closeSync(part.fd);
    throw error;
  }
  return { parts };
}

export function closeSegments(open: OpenSegments): void {
  for (const part of open.parts) closeSync(part.fd);
  open.parts = [];
}

/** Fills `buffer` with the object's bytes from `start`, then closes the files. */
export function readSegments(open: OpenSegments, buffer: Buffer, start: number): void {
  try {
    let filled = 0;
    for (const part of open.parts) {
      if (filled === buffer.length) break;
      const at = start + filled;
      if (at >= part.offset + part.size) continue;
      const want = Math.min(buffer.length - filled, part.offset + part.size - at);
      let done = 0;
      while (done < want) {
        const read = readSync(part.fd, buffer, filled + done, want - done, at - part.offset + done);
        if (read === 0) throw new Error("A data file is shorter than its record.");
        done += read;
      }
      filled += want;
    }
    if (filled !== buffer.length) throw new Error("The data files are shorter than their record.");
  } finally {
    closeSegments(open);
  }
}

/** The object's bytes `start`..`end` (inclusive) as a stream, one file after another; the files close at its end. */
export function streamSegments(open: OpenSegments, start: number, end: number): Readable {
  async function* pieces(): AsyncGenerator<Buffer> {
    try {
      for (const part of open.parts) {
        const from = Math.max(start, part.offset);
        const to = Math.min(end, part.offset + part.size - 1);
        if (from > to) continue;
        const stream = createReadStream("", { fd: part.fd, start: from - part.offset, end: to - part.offset, autoClose: false });
        for await (const chunk of stream as AsyncIterable<Buffer>) yield chunk;
      }
    } finally {
      closeSegments(open);
    }
  }
  return Readable.from(pieces(), { objectMode: false });
}

/** The pieces of files that hold the object's bytes `start`..`end` (inclusive), for concatenateFiles. */
export function rangesOf(files: Array<{ path: string; size: number }>, start: number, end: number): Array<{ path: string; start: number; end: number }> {
  const ranges: Array<{ path: string; start: number; end: number }> = [];
  let offset = 0;
  for (const file of files) {
    const from = Math.max(start, offset);
    const to = Math.min(end, offset + file.size - 1);
    if (from <= to) ranges.push({ path: file.path, start: from - offset, end: to - offset });
    offset += file.size;
  }
  return ranges;
}
