// The facts kept beside each object: its content type, user metadata and ETag, and a fingerprint of the file they
// describe. An object and its facts are two files, renamed one after the other; the fingerprint tells when they do
// not belong together (a crash between the renames, a file changed or dropped in by hand), so that stale facts
// are never served as the object's.
import type { BigIntStats } from "node:fs";
import { closeSync, constants, ftruncateSync, openSync, writeSync } from "node:fs";
import { open } from "node:fs/promises";
import { randomBytes } from "node:crypto";
import { basename, join } from "node:path";
import { StorageFailure } from "../Meta/index.ts";
import { NO_FOLLOW, isLinkError, realPathOf, realPathOfNow, type FileHandle } from "./confine.ts";
import type { Layout } from "./layout.ts";

// A FIFO put where facts belong must not block a thread of the pool.
const READ_FLAGS = constants.O_RDONLY | NO_FOLLOW | (constants.O_NONBLOCK ?? 0);
// Facts are rewritten in place, never truncated to nothing first: a reader sees old facts or new ones.
const WRITE_FLAGS = constants.O_WRONLY | constants.O_CREAT | NO_FOLLOW;

/** What metadata/ holds for one object. */
export interface Sidecar {
  contentType: string;
  meta: Record<string, string>;
  /** The version's ETag (see `versionEtag`). */
  etag: string;
  /** `fingerprintOf` the object file these facts were written for. */
  fingerprint: string;
  /** Upper-case hex MD5 of the bytes, once a caller asked for it (contentMd5). */
  md5?: string;
}

/** Inode, size and modification time: what changes when the file is replaced or written to. */
export function fingerprintOf(stats: BigIntStats): string {
  return `${stats.ino}:${stats.size}:${stats.mtimeNs}`;
}

/**
 * The ETag of the file version `stats` describes, as web servers make it: inode, size and modification time (in
 * base 36), and for a version this storage wrote a random tag, so that a new file that gets a freed inode number,
 * the same size and the same clock tick still gets a new ETag. Cheap: no byte is read.
 */
export function versionEtag(stats: BigIntStats, written = true): string {
  const base = `${stats.ino.toString(36)}-${stats.size.toString(36)}-${stats.mtimeNs.toString(36)}`;
  return written ? `${base}-${randomTag()}` : base;
}

// Random bytes for the tags, drawn a few KiB at a time: one draw costs about as much as 4 bytes do (≈10 µs).
const RANDOM_POOL_BYTES = 4096;
let randomPool = Buffer.alloc(0);
let randomAt = 0;

/** 8 hex digits of fresh randomness. */
function randomTag(): string {
  if (randomAt + 4 > randomPool.length) {
    randomPool = randomBytes(RANDOM_POOL_BYTES);
    randomAt = 0;
  }
  randomAt += 4;
  return randomPool.toString("hex", randomAt - 4, randomAt);
}

/**
 * The facts at `path` (under `layout.metadata`), or undefined when there are none or they cannot be read. A path
 * that goes through a link is refused (LinkRefused), never read.
 */
export async function readSidecar(layout: Layout, path: string): Promise<Sidecar | undefined> {
  let handle: FileHandle;
  try {
    handle = await open(path, READ_FLAGS);
  } catch (error) {
    if (isLinkError(error)) throw layout.refusal(path);
    return undefined;
  }
  let text: string;
  try {
    const [real, read] = await Promise.all([realPathOf(handle, path), handle.readFile("utf8")]);
    layout.check(path, real);
    text = read;
  } catch (error) {
    if (error instanceof StorageFailure) throw error;
    return undefined;
  } finally {
    await handle.close();
  }
  try {
    const parsed = JSON.parse(text) as unknown;
    return isSidecar(parsed) ? parsed : undefined;
  } catch {
    return undefined;
  }
}

/**
 * Writes `sidecar` at `path` (under `layout.metadata`), making its folders; a link on the way is refused. `folder`:
 * the real folder of `path`, when the caller has just resolved it.
 */
export async function writeSidecar(layout: Layout, path: string, sidecar: Sidecar, options: { fsync: boolean; folder?: string }): Promise<void> {
  const folder = options.folder ?? (await layout.folderOf(path)) ?? (await layout.makeFoldersOf(path, layout.metadata));
  const target = join(folder, basename(path));
  let handle: FileHandle;
  try {
    handle = await open(target, WRITE_FLAGS);
  } catch (error) {
    if (isLinkError(error)) throw layout.refusal(path);
    throw error;
  }
  try {
    layout.check(path, await realPathOf(handle, target));
    const bytes = Buffer.from(serializeSidecar(sidecar), "utf8");
    await handle.write(bytes, 0, bytes.length, 0);
    await handle.truncate(bytes.length);
    if (options.fsync) await handle.datasync();
  } finally {
    await handle.close();
  }
}

/**
 * `writeSidecar` at once, with no flush, into `folder` (the real folder of `path`, just resolved): a few hundred
 * bytes, written in less time than the five trips to the thread pool of the asynchronous form.
 */
export function writeSidecarNow(layout: Layout, path: string, sidecar: Sidecar, folder: string): void {
  const target = join(folder, basename(path));
  let fd: number;
  try {
    fd = openSync(target, WRITE_FLAGS);
  } catch (error) {
    if (isLinkError(error)) throw layout.refusal(path);
    throw error;
  }
  try {
    layout.check(path, realPathOfNow(fd, target));
    const bytes = Buffer.from(serializeSidecar(sidecar), "utf8");
    for (let done = 0; done < bytes.length; ) done += writeSync(fd, bytes, done, bytes.length - done, done);
    ftruncateSync(fd, bytes.length);
  } finally {
    closeSync(fd);
  }
}

/** The facts as stored. */
export function serializeSidecar(sidecar: Sidecar): string {
  return JSON.stringify({ contentType: sidecar.contentType, meta: sidecar.meta, etag: sidecar.etag, fingerprint: sidecar.fingerprint, md5: sidecar.md5 });
}

function isSidecar(value: unknown): value is Sidecar {
  if (typeof value !== "object" || value === null) return false;
  const record = value as Record<string, unknown>;
  const meta = record.meta;
  return (
    typeof record.contentType === "string" &&
    typeof record.etag === "string" &&
    typeof record.fingerprint === "string" &&
    (record.md5 === undefined || typeof record.md5 === "string") &&
    typeof meta === "object" &&
    meta !== null &&
    Object.values(meta).every((v) => typeof v === "string")
  );
}
