// What an HTTP answer for a stored file is made of: ranges, validators and Content-Disposition, per RFC 9110 and
// RFC 6266. Plain functions, so the service builds responses that any server (http, Express, Fastify, Koa) can send.
import type { Readable } from "node:stream";

/** A file's HTTP answer, ready to send: status, headers, and the bytes as a stream (never read whole). */
export interface FileResponse {
  status: 200 | 206 | 304 | 416;
  headers: Record<string, string>;
  /** The bytes to send; `undefined` for HEAD, 304 and 416. Pipe it to the response, or destroy it if unsent. */
  body: Readable | undefined;
}

/** The parts of a request that shape the answer: its method and its conditional and Range headers. */
export interface FileRequest {
  method?: "GET" | "HEAD";
  /** The `Range` header, e.g. `bytes=0-99`. */
  range?: string;
  /** The `If-None-Match` header. */
  ifNoneMatch?: string;
  /** The `If-Range` header: the range applies only while the ETag is still this one. */
  ifRange?: string;
}

/** Bytes `start` to `end`, both included. */
export interface SatisfiableRange {
  start: number;
  end: number;
}

/**
 * The byte range a `Range` header asks for in an object of `size` bytes: a range, "unsatisfiable" (416), or
 * undefined to send the whole object (no header, another unit, several ranges or a malformed one may be ignored).
 */
export function parseRange(header: string | undefined, size: number): SatisfiableRange | "unsatisfiable" | undefined {
  if (header === undefined) return undefined;
  const match = /^\s*bytes\s*=\s*(\d*)\s*-\s*(\d*)\s*$/i.exec(header);
  if (match === null) return undefined;
  const [, first = "", last = ""] = match;
  if (first === "" && last === "") return undefined;
  if (first === "") {
    const suffix = Number(last);
    if (suffix === 0 || size === 0) return "unsatisfiable";
    return { start: Math.max(0, size - suffix), end: size - 1 };
  }
  const start = Number(first);
  const end = last === "" ? size - 1 : Math.min(Number(last), size - 1);
  if (last !== "" && Number(last) < start) return undefined; // invalid: ignored, as RFC 9110 allows
  if (start >= size) return "unsatisfiable";
  return { start, end };
}

/** Whether an `If-None-Match` header matches `etag` (weak comparison, `*` included). */
export function noneMatch(header: string | undefined, etag: string): boolean {
  if (header === undefined) return false;
  if (header.trim() === "*") return true;
  return header.split(",").some((tag) => opaque(tag) === etag);
}

/** Whether an `If-Range` header still names `etag` (a date form is never trusted: the whole object is sent). */
export function rangeStillValid(header: string | undefined, etag: string): boolean {
  if (header === undefined) return true;
  const tag = header.trim();
  return !tag.startsWith("W/") && opaque(tag) === etag;
}

/** `inline` or `attachment` with the file's name: a quoted ASCII fallback and RFC 6266's `filename*` for the rest. */
export function contentDisposition(kind: "inline" | "attachment", fileName: string): string {
  const fallback = fileName.replace(/[^\x20-\x7e]/g, "_").replace(/["\\]/g, "_").replace(/%(?=[0-9A-Fa-f]{2})/g, "_");
  const plain = fallback === fileName;
  return `${kind}; filename="${fallback}"${plain ? "" : `; filename*=UTF-8''${encodeRfc5987(fileName)}`}`;
}

function encodeRfc5987(value: string): string {
  return encodeURIComponent(value).replace(/['()*]/g, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`);
}

function opaque(tag: string): string {
  return tag.trim().replace(/^W\//, "").replace(/^"(.*)"$/, "$1");
}
