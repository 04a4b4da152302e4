// Conditional requests (If-Match, If-None-Match, If-Modified-Since, If-Unmodified-Since and their
// x-oss-copy-source-if-* twins on copy) and byte ranges, evaluated as the service evaluates them.
import type { IncomingHttpHeaders } from "node:http";
import { headerValue } from "./auth-v1.ts";
import { errors } from "./errors.ts";
import type { ObjectRecord } from "./store.ts";

// The header names of each family, spelled out once rather than for every read.
const CONDITION_HEADERS = {
  "if-": { match: "if-match", noneMatch: "if-none-match", modifiedSince: "if-modified-since", unmodifiedSince: "if-unmodified-since" },
  "x-oss-copy-source-if-": {
    match: "x-oss-copy-source-if-match",
    noneMatch: "x-oss-copy-source-if-none-match",
    modifiedSince: "x-oss-copy-source-if-modified-since",
    unmodifiedSince: "x-oss-copy-source-if-unmodified-since",
  },
} as const;

/**
 * "proceed", or "not-modified" (answer 304); throws 412 PreconditionFailed. The order is RFC 7232's: If-Match,
 * then If-Unmodified-Since only without If-Match; If-None-Match, then If-Modified-Since only without If-None-Match.
 */
export function evaluateConditions(
  headers: IncomingHttpHeaders,
  record: ObjectRecord,
  prefix: "if-" | "x-oss-copy-source-if-",
): "proceed" | "not-modified" {
  const names = CONDITION_HEADERS[prefix];
  const ifMatch = headerValue(headers[names.match]);
  const ifNoneMatch = headerValue(headers[names.noneMatch]);
  const ifModifiedSince = parseHttpDate(headerValue(headers[names.modifiedSince]));
  const ifUnmodifiedSince = parseHttpDate(headerValue(headers[names.unmodifiedSince]));
  // HTTP dates have whole seconds: compare at that grain, or an object is always "modified" after itself.
  const modified = Math.floor(record.lastModified / 1000) * 1000;
  if (ifMatch !== "") {
    if (!etagListMatches(ifMatch, record.etag)) throw errors.preconditionFailed(label(prefix, "Match"));
  } else if (ifUnmodifiedSince !== undefined && modified > ifUnmodifiedSince) {
    throw errors.preconditionFailed(label(prefix, "Unmodified-Since"));
  }
  if (ifNoneMatch !== "") {
    if (etagListMatches(ifNoneMatch, record.etag)) return "not-modified";
  } else if (ifModifiedSince !== undefined && modified <= ifModifiedSince) {
    return "not-modified";
  }
  return "proceed";
}

/** The bytes a Range header asks for, or "whole" when the service would ignore it; throws 416 InvalidRange. */
export function evaluateRange(
  header: string,
  size: number,
  standard: boolean,
): { start: number; end: number } | "whole" {
  const m = /^bytes=(\d*)-(\d*)$/.exec(header.trim());
  // Malformed and multi-part ranges are ignored by the service: the whole object, 200.
  if (!m || (m[1] === "" && m[2] === "") || size === 0) return "whole";
  let start: number;
  let end: number;
  if (m[1] === "") {
    const suffix = Number(m[2]);
    if (suffix === 0) return "whole";
    if (suffix > size && !standard) return "whole";
    start = Math.max(0, size - suffix);
    end = size - 1;
  } else {
    start = Number(m[1]);
    // A last byte before the first is a malformed range, ignored; only then is the start compared with the size,
    // so that an open range starting at or past the end (`bytes=10-` of 10 bytes) is unsatisfiable, not ignored.
    if (m[2] !== "" && Number(m[2]) < start) return "whole";
    if (start >= size) {
      if (standard) throw errors.invalidRange(size);
      return "whole";
    }
    end = m[2] === "" ? size - 1 : Number(m[2]);
    if (end >= size) {
      // Without `x-oss-range-behavior: standard`, a range running past the end is invalid and ignored.
      if (!standard) return "whole";
      end = size - 1;
    }
  }
  return { start, end };
}

function etagListMatches(list: string, etag: string): boolean {
  return list.split(",").some((item) => {
    const tag = item.trim().replace(/^W\//, "").replace(/^"|"$/g, "");
    return tag === "*" || tag.toUpperCase() === etag.toUpperCase();
  });
}

function parseHttpDate(text: string): number | undefined {
  if (text === "") return undefined;
  const ms = Date.parse(text);
  return Number.isFinite(ms) ? ms : undefined;
}

// The service names the condition as the plain header does, for the copy-source twins too.
function label(_prefix: string, condition: string): string {
  return `If-${condition}`;
}
