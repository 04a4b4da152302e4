// What the disk suites share: the fixture app loaded as a user would, on a fresh temporary folder, and test data.
import { createHash } from "node:crypto";
import { mkdtemp, readdir, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Readable } from "node:stream";
import { fileURLToPath } from "node:url";
import { expect } from "vitest";
import { loadApp, StorageError, type App } from "../../index.ts";
import DiskStorage from "../../elements/storages/DiskType/index.ts";

/** The fixture app: MyDisk (baseUrl, signingSecret), Unsigned (directory only), Served (serve: true), Relative, Durable. */
export const diskApp = fileURLToPath(new URL("../fixtures/disk-apps/basic/", import.meta.url));

/**
 * The fixture app on a temporary folder of its own (`DISK_DIR`); `dispose()` closes it and removes the folder. With
 * `DISK_DIR` in `env`, on that folder instead, which `dispose()` leaves in place.
 */
export interface DiskFixture {
  app: App;
  /** `storages.MyDisk`. */
  disk: DiskStorage;
  /** The storage folder (`DISK_DIR`). */
  dir: string;
  /** Another instance of the app, e.g. `storages.Unsigned`. */
  element(fullName: string): DiskStorage;
  dispose(): Promise<void>;
}

export async function openDiskApp(env: Record<string, string> = {}): Promise<DiskFixture> {
  const owned = env.DISK_DIR === undefined;
  const dir = env.DISK_DIR ?? (await mkdtemp(join(tmpdir(), "disk-storage-")));
  const app = await loadApp(diskApp, { env: { ...env, DISK_DIR: dir } });
  const element = (fullName: string) => asDisk(app.getElement(fullName));
  return {
    app,
    disk: element("storages.MyDisk"),
    dir,
    element,
    async dispose() {
      await app.close();
      if (owned) await rm(dir, { recursive: true, force: true });
    },
  };
}

/** `element` as the DiskStorage it must be. */
export function asDisk(element: object): DiskStorage {
  if (!(element instanceof DiskStorage)) throw new Error(`expected a DiskStorage, got ${element.constructor.name}`);
  return element;
}

/** Awaits `promise`, expecting a StorageError with `fields`; returns it. */
export async function expectStorageError(promise: Promise<unknown>, fields: Partial<StorageError>): Promise<StorageError> {
  const error = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(StorageError);
  expect(error).toMatchObject(fields);
  return error as StorageError;
}

/** `size` bytes of deterministic noise in memory; the same `seed` gives the same bytes. */
export function noise(size: number, seed = 1): Buffer {
  const data = Buffer.allocUnsafe(size);
  let x = seed >>> 0 || 1;
  for (let i = 0; i < size; i++) {
    // xorshift32, one byte per step: cheap and different everywhere.
    x ^= x << 13;
    x >>>= 0;
    x ^= x >>> 17;
    x ^= x << 5;
    x >>>= 0;
    data[i] = x & 0xff;
  }
  return data;
}

/** `size` bytes made as they are read, in 1 MiB chunks, never held whole; each chunk differs from the others. */
export function noiseStream(size: number, seed = 1): Readable {
  const chunkSize = 1024 * 1024;
  const block = noise(chunkSize, seed);
  let produced = 0;
  return new Readable({
    read() {
      if (produced >= size) return void this.push(null);
      const chunk = Buffer.from(block.subarray(0, Math.min(chunkSize, size - produced)));
      chunk.writeUInt32LE(produced / chunkSize, 0);
      produced += chunk.length;
      this.push(chunk);
    },
  });
}

/** SHA-256 (hex) of a buffer or of everything a stream gives. */
export async function sha256(source: Buffer | Readable): Promise<string> {
  const hash = createHash("sha256");
  if (Buffer.isBuffer(source)) return hash.update(source).digest("hex");
  for await (const chunk of source as AsyncIterable<Buffer>) hash.update(chunk);
  return hash.digest("hex");
}

/**
 * What a disk object's ETag looks like: inode, size and modification time in base 36, and for a version the storage
 * wrote, a random tag (see versionEtag in elements/storages/DiskType/sidecar.ts).
 */
export const VERSION_ETAG = /^[0-9a-z]+-[0-9a-z]+-[0-9a-z]+(-[0-9a-f]{8})?$/;

/** MD5 in upper-case hex: what `contentMd5` of a disk object gives. */
export function md5(data: Buffer): string {
  return createHash("md5").update(data).digest("hex").toUpperCase();
}

/** Every file under `dir`, as paths relative to it with "/", sorted. */
export async function filesUnder(dir: string): Promise<string[]> {
  const entries = await readdir(dir, { recursive: true, withFileTypes: true });
  return entries
    .filter((entry) => !entry.isDirectory())
    .map((entry) => join(entry.parentPath, entry.name).slice(dir.length + 1).split("\\").join("/"))
    .sort();
}
