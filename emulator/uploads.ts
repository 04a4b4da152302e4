// Multipart uploads on disk: each upload a folder, each part its own file, so that parts can arrive in any order
// and in parallel, and the object is assembled by streaming them in order on complete.
//
//   buckets/<bucket>/uploads/<uploadId>/upload.json            what InitiateMultipartUpload was given
//   buckets/<bucket>/uploads/<uploadId>/<n>.json               part n's record
//   buckets/<bucket>/uploads/<uploadId>/<n>.<version>.data     part n's bytes
import { randomBytes } from "node:crypto";
import { mkdir, readdir, readFile, rename, rm, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { removeQuietly } from "./body.ts";
import { errors } from "./errors.ts";
import { compareKeys } from "./names.ts";
import type { ObjectAcl, Store } from "./store.ts";

export interface UploadRecord {
  uploadId: string;
  bucket: string;
  key: string;
  /** Milliseconds since the epoch. */
  initiated: number;
  contentType: string;
  headers: Record<string, string>;
  meta: Record<string, string>;
  acl: ObjectAcl;
  tags: Array<[string, string]>;
  storageClass: string;
}

export interface PartRecord {
  partNumber: number;
  /** Upper-case hex MD5 of the part, without quotes. */
  etag: string;
  size: number;
  lastModified: number;
  /** The part's data file, relative to the upload's folder. */
  file: string;
  /** CRC-64/ECMA-182 of the part, decimal; absent on parts stored before it was kept. */
  crc64?: string;
}

export interface Upload {
  record: UploadRecord;
  parts: Map<number, PartRecord>;
}

export class Uploads {
  private readonly uploads = new Map<string, Upload>();

  private constructor(private readonly store: Store) {}

  /** Loads every upload of every bucket in `store`, sweeping part files no record names. */
  static async open(store: Store): Promise<Uploads> {
    const uploads = new Uploads(store);
    for (const bucket of store.listBuckets()) {
      const dir = join(store.bucketDir(bucket.name), "uploads");
      for (const id of await readdir(dir).catch(() => [] as string[])) {
        const record = await readJson<UploadRecord>(join(dir, id, "upload.json"));
        if (!record || record.uploadId !== id) continue;
        const files = await readdir(join(dir, id));
        const parts = new Map<number, PartRecord>();
        for (const file of files) {
          if (!/^\d+\.json$/.test(file)) continue;
          const part = await readJson<PartRecord>(join(dir, id, file));
          if (part) parts.set(part.partNumber, part);
        }
        const named = new Set([...parts.values()].map((p) => p.file));
        for (const file of files) {
          if (file.endsWith(".tmp") || (file.endsWith(".data") && !named.has(file))) await removeQuietly(join(dir, id, file));
        }
        uploads.uploads.set(id, { record, parts });
      }
    }
    return uploads;
  }

  /** Starts an upload and returns its record. */
  async initiate(init: Omit<UploadRecord, "uploadId" | "initiated">): Promise<UploadRecord> {
    const record: UploadRecord = { ...init, uploadId: randomBytes(16).toString("hex").toUpperCase(), initiated: Date.now() };
    const dir = this.dir(record);
    await mkdir(dir, { recursive: true });
    await writeAtomically(join(dir, "upload.json"), record);
    this.uploads.set(record.uploadId, { record, parts: new Map() });
    return record;
  }

  /** The upload `uploadId` of `key` in `bucket`; 404 NoSuchUpload otherwise. */
  get(bucket: string, key: string, uploadId: string): Upload {
    const upload = this.uploads.get(uploadId);
    if (!upload || upload.record.bucket !== bucket || upload.record.key !== key) throw errors.noSuchUpload(uploadId);
    return upload;
  }

  /** Uploads of `bucket`, ordered by key then by upload id, as the service orders them. */
  list(bucket: string): UploadRecord[] {
    return [...this.uploads.values()]
      .map((u) => u.record)
      .filter((r) => r.bucket === bucket)
      .sort((a, b) => compareKeys(a.key, b.key) || compareKeys(a.uploadId, b.uploadId));
  }

  hasUploads(bucket: string): boolean {
    for (const upload of this.uploads.values()) if (upload.record.bucket === bucket) return true;
    return false;
  }

  /** Parts in part-number order. */
  parts(upload: Upload): PartRecord[] {
    return [...upload.parts.values()].sort((a, b) => a.partNumber - b.partNumber);
  }

  /** A path for a new data file of part `partNumber`. */
  newPartFile(upload: Upload, partNumber: number): { file: string; path: string } {
    const file = `${partNumber}.${randomBytes(8).toString("hex")}.data`;
    return { file, path: join(this.dir(upload.record), file) };
  }

  partPath(upload: Upload, part: PartRecord): string {
    return join(this.dir(upload.record), part.file);
  }

  /** Records a part whose data file is written; a part uploaded again replaces the earlier one. */
  async commitPart(upload: Upload, part: PartRecord): Promise<void> {
    await this.store.withLock(this.lockName(upload), async () => {
      if (this.uploads.get(upload.record.uploadId) !== upload) {
        await removeQuietly(join(this.dir(upload.record), part.file));
        throw errors.noSuchUpload(upload.record.uploadId);
      }
      await writeAtomically(join(this.dir(upload.record), `${part.partNumber}.json`), part);
      const previous = upload.parts.get(part.partNumber);
      upload.parts.set(part.partNumber, part);
      if (previous) await removeQuietly(join(this.dir(upload.record), previous.file));
    });
  }

  /** Runs `work` while no part of `upload` can change, then forgets the upload if `work` returns true. */
  async finish(upload: Upload, work: () => Promise<boolean>): Promise<void> {
    await this.store.withLock(this.lockName(upload), async () => {
      if (this.uploads.get(upload.record.uploadId) !== upload) throw errors.noSuchUpload(upload.record.uploadId);
      if (await work()) {
        this.uploads.delete(upload.record.uploadId);
        await rm(this.dir(upload.record), { recursive: true, force: true });
      }
    });
  }

  private lockName(upload: Upload): string {
    return `upload:${upload.record.uploadId}`;
  }

  private dir(record: UploadRecord): string {
    return join(this.store.bucketDir(record.bucket), "uploads", record.uploadId);
  }
}

// Writes JSON to a temporary file and renames it into place, so that a reader sees the old or the new, never a part.
async function writeAtomically(path: string, value: unknown): Promise<void> {
  const temporary = `${path}.${randomBytes(6).toString("hex")}.tmp`;
  await writeFile(temporary, JSON.stringify(value));
  try {
    await rename(temporary, path);
  } catch (error) {
    await removeQuietly(temporary);
    throw error;
  }
}

// A JSON file's value; undefined when missing or unreadable (a record never committed).
async function readJson<T>(path: string): Promise<T | undefined> {
  try {
    return JSON.parse(await readFile(path, "utf8")) as T;
  } catch {
    return undefined;
  }
}
