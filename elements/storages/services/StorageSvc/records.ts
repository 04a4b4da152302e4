// A file's record, as JitAI's FileModel keeps it, stored with the object itself as its user metadata: so it works
// on every storage Type, needs no database and survives restarts.
import { createHash } from "node:crypto";
import { posix } from "node:path";
import type { ObjectInfo } from "../../Meta/index.ts";

/** What the service knows of a stored file (JitAI's FileModel fields, plus the stored `name`). */
export interface FileRecord {
  /** The file's unique id: the MD5 of its stored name. */
  uid: string;
  /** The storage instance it is in, e.g. `storages.MyOss`. */
  storeFullName: string;
  /** The name it is stored under (`{md5}.{ext}` when uploaded with an md5). */
  name: string;
  /** The name it was uploaded as, without folders: what a download is called. */
  fileName: string;
  /** When it was uploaded, in ms since the epoch. */
  uploadTime: number;
  /** When it expires, in ms since the epoch; `null`: never. */
  expires: number | null;
  /** MD5 of its bytes (hex), when the upload gave it or could compute it; otherwise `null`. */
  md5: string | null;
  /** Where it is reached. */
  url: string;
  /** Bytes. */
  size: number;
  /** Its MIME type. */
  type: string;
}

// Meta names are lower-case ASCII with "-"; values printable ASCII, so the original name is percent-encoded.
const KEYS = { uid: "jit-uid", uploadTime: "jit-upload-time", expires: "jit-expires", md5: "jit-md5", fileName: "jit-file-name" } as const;

/** The user metadata that records a file being uploaded. */
export function recordMeta(record: { name: string; fileName: string; uploadTime: number; expires: number | null; md5: string | null }): Record<string, string> {
  const meta: Record<string, string> = {
    [KEYS.uid]: uidOf(record.name),
    [KEYS.uploadTime]: String(record.uploadTime),
    [KEYS.fileName]: encodeURIComponent(record.fileName),
  };
  if (record.expires !== null) meta[KEYS.expires] = String(record.expires);
  if (record.md5 !== null) meta[KEYS.md5] = record.md5;
  return meta;
}

/**
 * The record of an object from its facts. An object stored without the service (no metadata) has a record too:
 * uploaded when last modified, never expiring, named as stored.
 */
export function recordOf(info: ObjectInfo, storeFullName: string, url: string): FileRecord {
  const meta = info.meta;
  return {
    uid: meta[KEYS.uid] ?? uidOf(info.name),
    storeFullName,
    name: info.name,
    fileName: decodeName(meta[KEYS.fileName]) ?? posix.basename(info.name),
    uploadTime: wholeNumber(meta[KEYS.uploadTime]) ?? info.lastModified.getTime(),
    expires: wholeNumber(meta[KEYS.expires]) ?? null,
    md5: meta[KEYS.md5] !== undefined && /^[0-9a-f]{32}$/.test(meta[KEYS.md5]) ? meta[KEYS.md5] : null,
    url,
    size: info.size,
    type: info.contentType,
  };
}

/** Whether the object with these facts is past its expiry at `now` (ms). */
export function isExpired(info: ObjectInfo, now: number): boolean {
  const expires = wholeNumber(info.meta[KEYS.expires]);
  return expires !== undefined && expires <= now;
}

function uidOf(name: string): string {
  return createHash("md5").update(name).digest("hex");
}

function wholeNumber(value: string | undefined): number | undefined {
  if (value === undefined || !/^\d{1,16}$/.test(value)) return undefined;
  return Number(value);
}

function decodeName(value: string | undefined): string | undefined {
  if (value === undefined) return undefined;
  try {
    return decodeURIComponent(value);
  } catch {
    return undefined; // someone else's metadata under our name: fall back to the stored name
  }
}
