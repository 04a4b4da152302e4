// Small object bodies, packed into append-only segment files (as object stores do for small objects): a write is
// one append to an open file instead of creating a file, and a read is one positioned read instead of an open,
// a read and a close. File creation and removal cost a tenth of a millisecond or more on common file systems,
// which for small objects is most of the work.
//
//   buckets/<bucket>/blobs/<n>.seg    segment n: bodies back to back, found by (segment, offset) in their records
//
// A body is appended before the record that names it is journaled, so a crash leaves unnamed bytes, never a
// record naming missing ones. Bytes no record names any more are dead; a segment that is mostly dead has its live
// bodies moved to the active segment (see Store.compactSegment) and is then removed.
import { closeSync, fstatSync, mkdirSync, openSync, readdirSync, readSync, unlinkSync, writevSync } from "node:fs";
import { join } from "node:path";

/** Where a body lives. */
export interface BlobRef {
  segment: number;
  offset: number;
}

/** Bodies up to this size are kept in segments; larger ones get a file of their own. */
export const MAX_BLOB_SIZE = 64 * 1024;
// Bodies read whole are kept in memory up to this many bytes per bucket, the oldest let go first: a read of a
// kept body is a lookup instead of a positioned read (a system call and a copy). A body never changes while a
// record names it (a write appends a new one), and is let go when released.
const CACHE_BYTES = 16 * 1024 * 1024;
// A new segment is started once the active one is this large.
const SEGMENT_SIZE = 64 * 1024 * 1024;

interface Segment {
  fd: number;
  /** Bytes in the segment, counting those reserved and not yet written. */
  size: number;
  /** Bytes that some record names. */
  live: number;
}

export class Blobs {
  private readonly segments = new Map<number, Segment>();
  private active = 0;
  // Bodies appended since the last flush: they follow each other in the active segment from `pendingStart`.
  private pending: Buffer[] = [];
  private pendingStart = 0;
  private readonly cache = new Map<number, Buffer>();
  private cacheBytes = 0;

  /**
   * Opens the segments in `dir`: `live` names every body a record points to. Segments that hold none are
   * removed, and a new segment is started for this run's writes (a crash may have torn the old one's tail).
   */
  constructor(
    private readonly dir: string,
    live: Iterable<{ ref: BlobRef; size: number }>,
  ) {
    mkdirSync(dir, { recursive: true });
    const liveBytes = new Map<number, number>();
    for (const { ref, size } of live) liveBytes.set(ref.segment, (liveBytes.get(ref.segment) ?? 0) + size);
    for (const name of readdirSync(dir)) {
      const m = /^(\d+)\.seg$/.exec(name);
      const number = m ? Number(m[1]) : NaN;
      if (!liveBytes.has(number)) {
        unlinkSync(join(dir, name));
        continue;
      }
      const fd = openSync(join(dir, name), "r");
      this.segments.set(number, { fd, size: fstatSync(fd).size, live: liveBytes.get(number)! });
      this.active = Math.max(this.active, number);
    }
    this.startSegment();
  }

  /**
   * Reserves room for `body` at the end of the active segment and returns where it will be. The bytes are written
   * by the next `flush`, which must come before any record names them.
   */
  append(body: Buffer): BlobRef {
    let segment = this.segments.get(this.active)!;
    if (segment.size + body.length > SEGMENT_SIZE && segment.size > 0) {
      this.startSegment();
      segment = this.segments.get(this.active)!;
    }
    if (this.pending.length === 0) this.pendingStart = segment.size;
    const ref = { segment: this.active, offset: segment.size };
    segment.size += body.length;
    segment.live += body.length;
    this.pending.push(body);
    return ref;
  }

  /** Writes every body appended since the last flush, in one call. */
  flush(): void {
    if (this.pending.length === 0) return;
    const segment = this.segments.get(this.active)!;
    let buffers = this.pending;
    let position = this.pendingStart;
    this.pending = [];
    while (buffers.length > 0) {
      let written = writevSync(segment.fd, buffers, position);
      position += written;
      // A short write leaves the rest of the buffers (and of the one cut through) for another round.
      while (buffers.length > 0 && written >= buffers[0]!.length) written -= buffers.shift()!.length;
      if (written > 0) buffers = [buffers[0]!.subarray(written), ...buffers.slice(1)];
    }
  }

  /**
   * Reads `length` bytes of the body at `ref` (of `size` bytes), from byte `start` of it. The bytes may be shared
   * with other reads: they must not be changed.
   */
  read(ref: BlobRef, start: number, length: number, size: number): Buffer {
    const id = cacheId(ref);
    const kept = this.cache.get(id);
    if (kept !== undefined && kept.length === size) return start === 0 && length === size ? kept : kept.subarray(start, start + length);
    const buffer = this.readFromSegment(ref, start, length);
    if (start === 0 && length === size && size <= MAX_BLOB_SIZE) this.keep(id, buffer);
    return buffer;
  }

  private keep(id: number, body: Buffer): void {
    this.cache.set(id, body);
    this.cacheBytes += body.length;
    for (const [oldest, bytes] of this.cache) {
      if (this.cacheBytes <= CACHE_BYTES) break;
      this.cache.delete(oldest);
      this.cacheBytes -= bytes.length;
    }
  }

  private forget(id: number): void {
    const kept = this.cache.get(id);
    if (kept === undefined) return;
    this.cache.delete(id);
    this.cacheBytes -= kept.length;
  }

  private readFromSegment(ref: BlobRef, start: number, length: number): Buffer {
    const segment = this.segments.get(ref.segment);
    if (!segment) throw new Error(`Segment ${ref.segment} is gone.`);
    const buffer = Buffer.allocUnsafe(length);
    let offset = 0;
    while (offset < length) {
      const read = readSync(segment.fd, buffer, offset, length - offset, ref.offset + start + offset);
      if (read === 0) throw new Error("A segment is shorter than its records.");
      offset += read;
    }
    return buffer;
  }

  /**
   * Marks a body no record names any more. Returns the segment's number when it has become mostly dead and
   * should be compacted (never the active one).
   */
  release(ref: BlobRef, size: number): number | undefined {
    this.forget(cacheId(ref));
    const segment = this.segments.get(ref.segment);
    if (!segment) return undefined;
    segment.live -= size;
    if (ref.segment === this.active) return undefined;
    if (segment.live <= 0) {
      this.drop(ref.segment);
      return undefined;
    }
    return segment.live < segment.size / 2 ? ref.segment : undefined;
  }

  /** Removes a segment; its records must all have moved. */
  drop(number: number): void {
    const segment = this.segments.get(number);
    if (!segment || number === this.active) return;
    this.segments.delete(number);
    for (const [id, body] of this.cache) {
      if (Math.floor(id / 2 ** 32) !== number) continue;
      this.cache.delete(id);
      this.cacheBytes -= body.length;
    }
    closeSync(segment.fd);
    try {
      unlinkSync(this.path(number));
    } catch {
      // Already gone.
    }
  }

  /** Segments that are mostly dead, to compact. */
  sparse(): number[] {
    return [...this.segments.entries()]
      .filter(([number, s]) => number !== this.active && s.live < s.size / 2)
      .map(([number]) => number);
  }

  close(): void {
    for (const segment of this.segments.values()) closeSync(segment.fd);
    this.segments.clear();
    this.cache.clear();
    this.cacheBytes = 0;
  }

  private startSegment(): void {
    this.flush();
    const current = this.segments.get(this.active);
    const number = current || this.segments.size > 0 ? this.active + 1 : this.active;
    const fd = openSync(this.path(number), "wx+");
    this.segments.set(number, { fd, size: 0, live: 0 });
    this.active = number;
  }

  private path(number: number): string {
    return join(this.dir, `${number}.seg`);
  }
}

// A body's place as one number (offsets stay below 2^32: a segment is closed at 64 MiB).
function cacheId(ref: BlobRef): number {
  return ref.segment * 2 ** 32 + ref.offset;
}
