// Buckets and objects on disk, with an in-memory index for lookups and listing.
//
// Layout under dataDir:
//   buckets/<bucket>/bucket.json                     the bucket's record
//   buckets/<bucket>/objects.log                     the objects' records: a journal of JSON lines
//   buckets/<bucket>/data/<h2>/<h>.<version>.data    an object's bytes (h = sha256 of the key: every key is safe);
//                                                    every write makes a new file, never touching the old one
//   buckets/<bucket>/blobs/<n>.seg                   small objects' bytes, packed (see blobs.ts)
//   buckets/<bucket>/uploads/…                       multipart uploads (see uploads.ts)
//
// A write streams its body into a new data file (a small body is appended to a segment instead, see blobs.ts)
// and then appends one line to the journal, which is what makes it visible; the replaced data file is removed
// afterwards. A write that dies before its line leaves the old object, plus at most a data file no line names,
// swept at the next start. A torn last line (a crash during the append) is cut off at start. Changes to one key
// are serialized, so concurrent writers end with exactly one complete version: the last to commit.
//
// Why a journal rather than a record file per object: replacing a file by rename is the usual atomic write, but
// ext4 flushes the new file's data when a rename replaces an existing file, which costs a quarter of a millisecond
// per write; appending a line costs a few microseconds. The journal is compacted when mostly superseded.
import { createHash, randomBytes } from "node:crypto";
import { closeSync, fstatSync, ftruncateSync, mkdirSync, openSync, readFileSync, renameSync, unlinkSync, writeSync } from "node:fs";
import { mkdir, readdir, rm } from "node:fs/promises";
import { join } from "node:path";
import { Blobs, type BlobRef } from "./blobs.ts";
import { errors } from "./errors.ts";
import { compareKeys } from "./names.ts";

export type Acl = "private" | "public-read" | "public-read-write";
export type ObjectAcl = Acl | "default";
export type ObjectType = "Normal" | "Appendable" | "Multipart" | "Symlink";

/** One CORS rule, as PutBucketCors takes it. */
export interface CorsRule {
  allowedOrigins: string[];
  allowedMethods: string[];
  allowedHeaders: string[];
  exposeHeaders: string[];
  maxAgeSeconds?: number;
}

export interface BucketRecord {
  name: string;
  /** Milliseconds since the epoch. */
  created: number;
  acl: Acl;
  storageClass: string;
  /** null: no rules were put (the emulator's `cors` option then decides). */
  cors: CorsRule[] | null;
  /** Sub-resource documents as put (lifecycle, policy, `inventory:<id>` …), kept and returned, not acted on. */
  subresources?: Record<string, string>;
}

/** A restore as kept with the object: when its copy is readable, and until when. Milliseconds since the epoch. */
export interface RestoreRecord {
  readyAt: number;
  expiresAt: number;
}

export interface ObjectRecord {
  key: string;
  size: number;
  /** Upper-case hex, without quotes (`"…"` is added on the wire). */
  etag: string;
  /** Milliseconds since the epoch. */
  lastModified: number;
  type: ObjectType;
  contentType: string;
  /** Standard headers stored as given: content-disposition, content-encoding, content-language, cache-control, expires. */
  headers: Record<string, string>;
  /** User metadata: lower-case names without the `x-oss-meta-` prefix. */
  meta: Record<string, string>;
  acl: ObjectAcl;
  tags: Array<[string, string]>;
  storageClass: string;
  symlinkTarget?: string;
  /** The data file, relative to the bucket's data folder; "" for symlinks, small objects and segmented ones. */
  file: string;
  /** A completed multipart upload's bytes: its parts' files in order (relative, as `file`), linked, not copied. */
  segments?: Array<{ file: string; size: number }>;
  /** Where a small object's bytes are (see blobs.ts). */
  blob?: BlobRef;
  /** For archive classes: the restore asked for, if any (see archive.ts). */
  restore?: RestoreRecord;
  /** CRC-64/ECMA-182 of the bytes, decimal (x-oss-hash-crc64ecma); absent on records written before it was kept. */
  crc64?: string;
}

/** What a change made under a key's lock returns: a new record, `null` to delete, `undefined` to leave as is. */
export type Mutation = (current: ObjectRecord | undefined) => Promise<ObjectRecord | null | undefined>;

// A journal is rewritten once it holds this many more lines than live objects (and twice as many).
const COMPACT_SLACK = 10_000;

export class Store {
  private readonly buckets = new Map<string, BucketState>();
  private readonly locks = new Map<string, Promise<unknown>>();
  private readonly madeDirs = new Set<string>();
  private closed = false;

  private constructor(readonly dataDir: string) {}

  /** Opens (or creates) the store in `dataDir`, loading every record and sweeping files left by a crash. */
  static async open(dataDir: string): Promise<Store> {
    const store = new Store(dataDir);
    await mkdir(join(dataDir, "buckets"), { recursive: true });
    for (const name of await readdir(join(dataDir, "buckets"))) {
      const dir = store.bucketDir(name);
      let record: BucketRecord | undefined;
      try {
        record = JSON.parse(readFileSync(join(dir, "bucket.json"), "utf8")) as BucketRecord;
      } catch {
        continue;
      }
      if (record.name === name) store.buckets.set(name, await loadBucket(dir, record));
    }
    for (const [name, state] of store.buckets) for (const segment of state.blobs.sparse()) store.scheduleCompaction(name, segment);
    return store;
  }

  /** Writes what is waiting for a group commit, then closes the journals; the store is unusable afterwards. */
  close(): void {
    this.closed = true;
    for (const state of this.buckets.values()) {
      if (state.batch.length > 0) this.flush(state);
      closeSync(state.journal.fd);
      state.blobs.close();
    }
    this.buckets.clear();
  }

  bucketDir(bucket: string): string {
    return join(this.dataDir, "buckets", bucket);
  }

  listBuckets(): BucketRecord[] {
    return [...this.buckets.values()].map((b) => b.record).sort((a, b) => compareKeys(a.name, b.name));
  }

  bucket(name: string): BucketRecord | undefined {
    return this.buckets.get(name)?.record;
  }

  /** Creates a bucket; 409 BucketAlreadyExists when it exists. */
  async createBucket(name: string, init: { acl: Acl; storageClass: string }): Promise<BucketRecord> {
    return this.withLock(`bucket:${name}`, async () => {
      if (this.buckets.has(name)) throw errors.bucketAlreadyExists(name);
      const record: BucketRecord = { name, created: Date.now(), acl: init.acl, storageClass: init.storageClass, cors: null };
      const dir = this.bucketDir(name);
      await mkdir(join(dir, "data"), { recursive: true });
      writeRecordFile(join(dir, "bucket.json"), record);
      this.buckets.set(name, {
        record,
        objects: new Map(),
        sorted: [],
        journal: openJournal(join(dir, "objects.log"), 0),
        blobs: new Blobs(join(dir, "blobs"), []),
        batch: [],
      });
      return record;
    });
  }

  /** Replaces a bucket's record (ACL, CORS). */
  async saveBucket(record: BucketRecord): Promise<void> {
    const state = this.state(record.name);
    await this.withLock(`bucket:${record.name}`, async () => {
      writeRecordFile(join(this.bucketDir(record.name), "bucket.json"), record);
      state.record = record;
    });
  }

  /** Deletes an empty bucket; 409 BucketNotEmpty when it holds objects or `inUse` says so (uploads). */
  async deleteBucket(name: string, inUse: () => boolean): Promise<void> {
    await this.withLock(`bucket:${name}`, async () => {
      const state = this.state(name);
      if (state.objects.size > 0 || inUse()) throw errors.bucketNotEmpty(name);
      this.buckets.delete(name);
      closeSync(state.journal.fd);
      state.blobs.close();
      await rm(this.bucketDir(name), { recursive: true, force: true });
    });
  }

  /** The object's record, or undefined. */
  object(bucket: string, key: string): ObjectRecord | undefined {
    return this.buckets.get(bucket)?.objects.get(key);
  }

  /** Records in key order, strictly after `after` (if given) and starting with `prefix`. */
  *list(bucket: string, prefix: string, after: string | undefined): Generator<ObjectRecord> {
    const state = this.state(bucket);
    const sorted = state.sorted;
    let i = lowerBound(sorted, prefix);
    if (after !== undefined) {
      const j = lowerBound(sorted, after);
      i = Math.max(i, sorted[j] === after ? j + 1 : j);
    }
    for (; i < sorted.length; i++) {
      const key = sorted[i]!;
      if (!key.startsWith(prefix)) return;
      const record = state.objects.get(key);
      if (record) yield record;
    }
  }

  /** A path for a new data file of `key`; nothing names it until a record does. */
  newDataFile(bucket: string, key: string): { file: string; path: string } {
    const hash = createHash("sha256").update(key, "utf8").digest("hex");
    const dir = join(this.bucketDir(bucket), "data", hash.slice(0, 2));
    if (!this.madeDirs.has(dir)) {
      mkdirSync(dir, { recursive: true });
      this.madeDirs.add(dir);
    }
    const file = `${hash.slice(0, 2)}/${hash}.${nextVersion()}.data`;
    return { file, path: join(this.bucketDir(bucket), "data", file) };
  }

  /** Stores a small body (at most MAX_BLOB_SIZE bytes) for a record that is about to be committed. */
  writeBlob(bucket: string, body: Buffer): BlobRef {
    return this.state(bucket).blobs.append(body);
  }

  /** Bytes `start`…`start + length - 1` of a small object; they may be shared with other reads: do not change them. */
  readBlob(bucket: string, record: ObjectRecord, start: number, length: number): Buffer {
    return this.state(bucket).blobs.read(record.blob!, start, length, record.size);
  }

  /** Gives back a body written with writeBlob whose record was never committed. */
  releaseBlob(bucket: string, ref: BlobRef, size: number): void {
    const state = this.buckets.get(bucket);
    const sparse = state?.blobs.release(ref, size);
    if (state && sparse !== undefined) this.scheduleCompaction(bucket, sparse);
  }

  /** The absolute path of a record's data file (single-file objects only; see dataFiles). */
  dataPath(bucket: string, record: ObjectRecord): string {
    return join(this.bucketDir(bucket), "data", record.file);
  }

  /** Every data file of a record, in order, with its size: one for most objects, the parts for a segmented one. */
  dataFiles(bucket: string, record: ObjectRecord): Array<{ path: string; size: number }> {
    return filesOf(record).map(({ file, size }) => ({ path: join(this.bucketDir(bucket), "data", file), size }));
  }

  /**
   * Changes one key under its lock: `mutation` sees the current record and returns the next one (or null to
   * delete, undefined for no change). The change is journaled before it is visible; a data file no longer named
   * is removed.
   */
  mutate(bucket: string, key: string, mutation: Mutation): Promise<ObjectRecord | undefined> {
    // Not async itself: the lock's promise is the answer, without one more promise and two turns around it.
    return this.withLock(`object:${bucket}\n${key}`, async () => {
      const state = this.state(bucket);
      const current = state.objects.get(key);
      const next = await mutation(current);
      if (next === undefined) return current;
      if (next === null && !current) return undefined;
      await this.journal(state, next === null ? { del: key } : { put: next });
      if (next === null) {
        state.objects.delete(key);
        removeSorted(state.sorted, key);
      } else {
        if (!current) insertSorted(state.sorted, key);
        state.objects.set(key, next);
      }
      if (current?.blob && !sameBlob(current.blob, next?.blob)) this.releaseBlob(bucket, current.blob, current.size);
      if (current && (current.file !== "" || current.segments)) {
        // Readers open files synchronously right after looking a record up, or retry when it is gone, and an open
        // file stays readable after its removal. Synchronous: cheaper than handing it to the thread pool.
        const kept = new Set(next ? filesOf(next).map((f) => f.file) : []);
        for (const { file } of filesOf(current)) {
          if (kept.has(file)) continue;
          try {
            unlinkSync(join(this.bucketDir(bucket), "data", file));
          } catch {
            // Already gone: nothing to clean up.
          }
        }
      }
      return next ?? undefined;
    });
  }

  // Group commit: the changes of one turn of the event loop are written together, small bodies first and then
  // their journal lines, each in one call; every change becomes visible once its line is written.
  private journal(state: BucketState, entry: JournalLine): Promise<void> {
    return new Promise<void>((resolve, reject) => {
      state.batch.push({ entry, resolve, reject });
      if (state.batch.length === 1) setImmediate(this.flushLater, state);
    });
  }

  // Made once: a closure per group commit is a small cost paid thousands of times a second.
  private readonly flushLater = (state: BucketState): void => this.flush(state);

  private flush(state: BucketState): void {
    if (state.batch.length === 0) return;
    const batch = state.batch;
    state.batch = [];
    try {
      state.blobs.flush();
      appendLines(state.journal, batch.map((b) => b.entry));
    } catch (error) {
      for (const item of batch) item.reject(error);
      return;
    }
    for (const item of batch) item.resolve();
    if (this.buckets.get(state.record.name) === state && state.journal.lines > 2 * state.objects.size + COMPACT_SLACK) {
      compact(state, this.bucketDir(state.record.name));
    }
  }

  /** Runs `work` alone among all work for `name`. */
  async withLock<T>(name: string, work: () => Promise<T>): Promise<T> {
    const previous = this.locks.get(name);
    const run = previous ? previous.then(work, work) : work();
    const settled = run.then(nothing, nothing);
    this.locks.set(name, settled);
    try {
      return await run;
    } finally {
      if (this.locks.get(name) === settled) this.locks.delete(name);
    }
  }

  private compactions: Promise<void> = Promise.resolve();
  private readonly compacting = new Set<string>();

  // Segments are compacted one at a time, in the background: a compaction moves records, so it takes their locks.
  private scheduleCompaction(bucket: string, segment: number): void {
    const id = `${bucket}/${segment}`;
    if (this.compacting.has(id)) return;
    this.compacting.add(id);
    this.compactions = this.compactions
      .then(() => this.compactSegment(bucket, segment))
      .catch((error: unknown) => console.error(`oss-emulator: compacting ${id} failed:`, error))
      .finally(() => this.compacting.delete(id));
  }

  /** Moves the live bodies of a mostly dead segment to the active one, then removes the segment. */
  private async compactSegment(bucket: string, segment: number): Promise<void> {
    const state = this.buckets.get(bucket);
    if (!state) return;
    const keys = [...state.objects.values()].filter((r) => r.blob?.segment === segment).map((r) => r.key);
    for (const key of keys) {
      if (this.closed || this.buckets.get(bucket) !== state) return;
      await this.mutate(bucket, key, async (current) => {
        if (!current?.blob || current.blob.segment !== segment) return undefined;
        const body = state.blobs.read(current.blob, 0, current.size, current.size);
        return { ...current, blob: state.blobs.append(body) };
      });
    }
    if (this.buckets.get(bucket) === state) state.blobs.drop(segment);
  }

  private state(bucket: string): BucketState {
    const state = this.buckets.get(bucket);
    if (!state) throw errors.noSuchBucket(bucket);
    return state;
  }
}

function nothing(): undefined {
  return undefined;
}

interface Journal {
  fd: number;
  path: string;
  /** Lines in the file: how much a compaction would save. */
  lines: number;
}

interface BucketState {
  record: BucketRecord;
  objects: Map<string, ObjectRecord>;
  /** Keys in listing order. */
  sorted: string[];
  journal: Journal;
  blobs: Blobs;
  /** Changes waiting for the next group commit. */
  batch: Array<{ entry: JournalLine; resolve: () => void; reject: (error: unknown) => void }>;
}

type JournalLine = { put: ObjectRecord } | { del: string };

async function loadBucket(dir: string, record: BucketRecord): Promise<BucketState> {
  const objects = new Map<string, ObjectRecord>();
  const journalPath = join(dir, "objects.log");
  let text: Buffer;
  try {
    text = readFileSync(journalPath);
  } catch {
    text = Buffer.alloc(0);
  }
  // Everything after the last newline is a line whose append was cut short: it never happened.
  const valid = text.lastIndexOf(0x0a) + 1;
  let lines = 0;
  for (const line of text.subarray(0, valid).toString("utf8").split("\n")) {
    if (line === "") continue;
    lines++;
    let entry: JournalLine;
    try {
      entry = JSON.parse(line) as JournalLine;
    } catch {
      continue;
    }
    if ("put" in entry) objects.set(entry.put.key, entry.put);
    else objects.delete(entry.del);
  }
  const dataDir = join(dir, "data");
  await mkdir(dataDir, { recursive: true });
  const named = new Set<string>();
  for (const object of objects.values()) for (const { file } of filesOf(object)) named.add(file);
  // Data files that no record names are the remains of writes that never committed.
  for (const shard of await readdir(dataDir)) {
    for (const file of await readdir(join(dataDir, shard)).catch(() => [] as string[])) {
      if (!named.has(`${shard}/${file}`)) await rm(join(dataDir, shard, file), { force: true });
    }
  }
  const live: Array<{ ref: BlobRef; size: number }> = [];
  for (const object of objects.values()) if (object.blob) live.push({ ref: object.blob, size: object.size });
  const state: BucketState = {
    record,
    objects,
    sorted: [...objects.keys()].sort(compareKeys),
    journal: openJournal(journalPath, lines, valid),
    blobs: new Blobs(join(dir, "blobs"), live),
    batch: [],
  };
  if (valid !== text.length || lines > objects.size) compact(state, dir);
  return state;
}

// The data files a record names, relative to the data folder.
function filesOf(record: ObjectRecord): Array<{ file: string; size: number }> {
  if (record.segments) return record.segments;
  return record.file === "" ? [] : [{ file: record.file, size: record.size }];
}

function sameBlob(a: BlobRef, b: BlobRef | undefined): boolean {
  return b !== undefined && a.segment === b.segment && a.offset === b.offset;
}

function openJournal(path: string, lines: number, validLength?: number): Journal {
  const fd = openSync(path, "a");
  if (validLength !== undefined && fstatSync(fd).size > validLength) ftruncateSync(fd, validLength);
  return { fd, path, lines };
}

// One write for a batch of lines: a torn write can only cut the last line short, and loading drops that.
function appendLines(journal: Journal, entries: JournalLine[]): void {
  let text = "";
  for (const entry of entries) text += `${JSON.stringify(entry)}\n`;
  // The string goes to the file as it is (Node encodes it on the way, cheaper than a Buffer made first); a short
  // write, rare on a regular file, has the rest written from its bytes.
  const written = writeSync(journal.fd, text);
  if (written < Buffer.byteLength(text, "utf8")) writeFully(journal.fd, Buffer.from(text, "utf8").subarray(written));
  journal.lines += entries.length;
}

// Rewrites the journal with one line per live object and swaps it in by rename: the only rename over an
// existing file, and a rare one.
function compact(state: BucketState, dir: string): void {
  const temporary = `${state.journal.path}.${randomBytes(6).toString("hex")}.tmp`;
  const fd = openSync(temporary, "w");
  try {
    let chunk = "";
    for (const record of state.objects.values()) {
      chunk += `${JSON.stringify({ put: record })}\n`;
      if (chunk.length > 1 << 20) {
        writeFully(fd, Buffer.from(chunk, "utf8"));
        chunk = "";
      }
    }
    writeFully(fd, Buffer.from(chunk, "utf8"));
  } finally {
    closeSync(fd);
  }
  renameSync(temporary, state.journal.path);
  closeSync(state.journal.fd);
  state.journal = openJournal(join(dir, "objects.log"), state.objects.size);
}

// Version names: unique within a run by the counter, and across runs by the random start (drawing random bytes
// for every write costs more than it should).
const VERSION_PREFIX = randomBytes(4).toString("hex");
let versionCounter = 0;
function nextVersion(): string {
  versionCounter++;
  return `${VERSION_PREFIX}${versionCounter.toString(36)}`;
}

function writeFully(fd: number, buffer: Buffer): void {
  let offset = 0;
  while (offset < buffer.length) offset += writeSync(fd, buffer, offset, buffer.length - offset);
}

// Small records (the bucket's) are written to a temporary file and renamed into place: readers see the old or
// the new record, never a part.
function writeRecordFile(path: string, value: unknown): void {
  const temporary = `${path}.${randomBytes(6).toString("hex")}.tmp`;
  const fd = openSync(temporary, "w");
  try {
    writeFully(fd, Buffer.from(JSON.stringify(value), "utf8"));
  } finally {
    closeSync(fd);
  }
  renameSync(temporary, path);
}

function lowerBound(sorted: string[], key: string): number {
  let lo = 0;
  let hi = sorted.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (compareKeys(sorted[mid]!, key) < 0) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

function insertSorted(sorted: string[], key: string): void {
  const at = lowerBound(sorted, key);
  if (sorted[at] !== key) sorted.splice(at, 0, key);
}

function removeSorted(sorted: string[], key: string): void {
  const at = lowerBound(sorted, key);
  if (sorted[at] === key) sorted.splice(at, 1);
}
