// The facts kept beside each object: its content type, user metadata and ETag, and a fingerprint of the file they
// describe. An object and its facts are two files, renamed one after the other; the fingerprint tells when they do
// not belong together (a crash between the renames, a file changed or dropped in by hand), so that stale facts
// are never served as the object's.
import type { BigIntStats } from "node:fs";
import { readFile } from "node:fs/promises";

/** What metadata/ holds for one object. */
export interface Sidecar {
  contentType: string;
  meta: Record<string, string>;
  /** Upper-case hex MD5 of the bytes. */
  etag: string;
  /** `fingerprintOf` the object file these facts were written for. */
  fingerprint: string;
}

/** Inode, size and modification time: what changes when the file is replaced or written to. */
export function fingerprintOf(stats: BigIntStats): string {
  return `${stats.ino}:${stats.size}:${stats.mtimeNs}`;
}

/** The facts at `path`, or undefined when there are none or they cannot be read. */
export async function readSidecar(path: string): Promise<Sidecar | undefined> {
  let text: string;
  try {
    text = await readFile(path, "utf8");
  } catch {
    return undefined;
  }
  try {
    const parsed = JSON.parse(text) as unknown;
    return isSidecar(parsed) ? parsed : undefined;
  } catch {
    return undefined;
  }
}

/** The facts as stored. */
export function serializeSidecar(sidecar: Sidecar): string {
  return JSON.stringify({ contentType: sidecar.contentType, meta: sidecar.meta, etag: sidecar.etag, fingerprint: sidecar.fingerprint });
}

function isSidecar(value: unknown): value is Sidecar {
  if (typeof value !== "object" || value === null) return false;
  const record = value as Record<string, unknown>;
  const meta = record.meta;
  return (
    typeof record.contentType === "string" &&
    typeof record.etag === "string" &&
    typeof record.fingerprint === "string" &&
    typeof meta === "object" &&
    meta !== null &&
    Object.values(meta).every((v) => typeof v === "string")
  );
}
