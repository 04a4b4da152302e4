// The shapes the storages category speaks in: what app code passes to a storage and what it gets back.
import type { Readable } from "node:stream";

/** What `upload` accepts: bytes in memory, a stream, or the path of a local file (streamed, never read whole). */
export type UploadSource = Buffer | Uint8Array | Readable | string;

/** How far an upload has come. `total` is undefined while the size of a stream is not known yet. */
export interface UploadProgress {
  loaded: number;
  total: number | undefined;
}

export interface UploadOptions {
  /** Content-Type stored with the object; "application/octet-stream" when not given. */
  contentType?: string;
  /** User metadata stored with the object (`x-oss-meta-*` on OSS): lower-case ASCII names, string values. */
  meta?: Record<string, string>;
  /** Called as parts land, and once at the end with `loaded === total`. */
  onProgress?: (progress: UploadProgress) => void;
  /** Stops the upload, parts in flight included; the promise rejects with code `ABORTED` and no object is left. */
  signal?: AbortSignal;
}

/** What an upload gives back. `url` is the object's address (not signed: see `getSignUrl` for private buckets). */
export interface UploadResult {
  url: string;
  name: string;
  size: number;
  etag: string;
  contentType: string;
}

/** An object's facts, without its bytes. */
export interface ObjectInfo {
  name: string;
  size: number;
  /** Without quotes; a multipart object's ends in `-<parts>`. */
  etag: string;
  contentType: string;
  lastModified: Date;
  /** User metadata, names lower-cased. */
  meta: Record<string, string>;
}

/** Bytes `start` to `end`, both included, as in an HTTP Range; without `end`, to the end of the object. */
export interface ByteRange {
  start: number;
  end?: number;
}

export interface DownloadOptions {
  range?: ByteRange;
}

export interface DownloadToFileResult {
  name: string;
  path: string;
  size: number;
}

export interface SignUrlOptions {
  /** "GET" (default): a link that serves the object with the given Content-Type. "PUT": an upload link bound to it. */
  method?: "GET" | "PUT";
}

export interface ListOptions {
  /** Only names that start with this. */
  prefix?: string;
  /** Groups names by the part before this after the prefix (usually "/"), yielded once as a `prefix` entry. */
  delimiter?: string;
  /** Stop after this many entries (objects and prefixes together). */
  limit?: number;
  /** Entries asked for per request, 1 to 1000 (default 1000); the listing pages by itself either way. */
  pageSize?: number;
}

/** One entry of a listing: an object, or (with a delimiter) a common prefix such as `docs/2024/`. */
export type ListEntry =
  | { type: "object"; name: string; size: number; etag: string; lastModified: Date }
  | { type: "prefix"; name: string };

export interface DeleteResult {
  name: string;
  deleted: true;
}

export interface DeleteManyResult {
  /** Every name asked for; deleting a missing object succeeds, as the service does. */
  deleted: string[];
}

export interface CopyResult {
  name: string;
  source: string;
  etag: string;
}

/**
 * An upload's bytes as a Type receives them: the facade has already looked at the source, so that a Type knows the
 * size when it can be known and can read a buffer or file again for a retry.
 */
export type UploadBody =
  | { kind: "buffer"; data: Buffer; size: number }
  | { kind: "file"; path: string; size: number }
  | { kind: "stream"; stream: Readable; size: undefined };

/** What a Type's `putObject` gets besides the bytes. */
export interface PutRequest {
  contentType: string;
  meta: Record<string, string>;
  /** Report bytes that have landed so far; the facade turns it into `onProgress`. */
  progress: (loaded: number) => void;
  signal: AbortSignal | undefined;
}

/** What a Type's `listPage` returns: a page of entries and where the next one starts. */
export interface ListPage {
  entries: ListEntry[];
  /** Undefined on the last page. */
  cursor: string | undefined;
}

/** A Type's account of one failure, for the facade to put into a `StorageError`. */
export interface FailureFacts {
  code: string;
  status?: number;
  requestId?: string;
  /** What went wrong in words, when the code alone does not say it. Must hold no secret. */
  explanation?: string;
  /** How many attempts were made, when more than one. */
  attempts?: number;
  /** For an upload that failed or was aborted: whether the object was stored all the same (see StorageError.stored). */
  stored?: boolean;
  /** The stored object's ETag, when `stored` is true. */
  etag?: string;
}
