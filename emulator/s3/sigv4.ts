// AWS Signature Version 4 as Amazon S3 checks it (docs: "Signature Calculations for the Authorization Header",
// "Authenticating Requests: Using Query Parameters", "Transferring Payload in Multiple Chunks"): the canonical
// request, the string to sign, the signing key and the chunk and trailer signatures of aws-chunked bodies.
import { createHash, createHmac } from "node:crypto";
import { headerValue } from "../auth-v1.ts";
import { encodeRfc3986 } from "../auth-v4.ts";

export const ALGORITHM = "AWS4-HMAC-SHA256";
/** The SHA-256 of nothing: the hash of an empty body, and of the empty chunk headers in a chunk's string to sign. */
export const EMPTY_SHA256 = "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855";

export interface CanonicalInput {
  method: string;
  /** The path as it is signed: each segment URI-encoded once (S3 does not double-encode), `/` kept. */
  path: string;
  /** Query parameters, decoded, without X-Amz-Signature. */
  query: Array<[string, string]>;
  headers: Record<string, string | string[] | undefined>;
  /** Lower-case names, in the order SignedHeaders lists them. */
  signedHeaders: string[];
  payloadHash: string;
}

/** The canonical request: method, URI, sorted query, signed headers with values, their names, payload hash. */
export function canonicalRequest(input: CanonicalInput): string {
  const query = input.query
    .map(([name, value]) => [encodeRfc3986(name), encodeRfc3986(value)] as const)
    // By name, then by value: sorting the joined `name=value` texts would put `a-b` before `a`.
    .sort(([a, x], [b, y]) => (a < b ? -1 : a > b ? 1 : x < y ? -1 : x > y ? 1 : 0))
    .map(([name, value]) => `${name}=${value}`)
    .join("&");
  // Values are trimmed and runs of spaces folded to one, as the reference says; repeated headers are joined by commas.
  const headers = input.signedHeaders
    .map((name) => `${name}:${headerValue(input.headers[name]).trim().replace(/ +/g, " ")}\n`)
    .join("");
  return [input.method, input.path, query, headers, input.signedHeaders.join(";"), input.payloadHash].join("\n");
}

/** A decoded path encoded as S3 signs it: every byte but the unreserved ones and `/` percent-encoded. */
export function canonicalPath(decodedPath: string): string {
  return encodeRfc3986(decodedPath).replace(/%2F/g, "/");
}

export function sha256Hex(data: string | Buffer): string {
  return createHash("sha256").update(data).digest("hex");
}

/** `AWS4-HMAC-SHA256`, the timestamp, the scope and the hash of the canonical request. */
export function stringToSign(timestamp: string, scope: string, canonical: string): string {
  return `${ALGORITHM}\n${timestamp}\n${scope}\n${sha256Hex(canonical)}`;
}

/** The signing key: HMAC-SHA256 from "AWS4" + secret over the day, region, service and "aws4_request". */
export function signingKey(secret: string, day: string, region: string, service: string): Buffer {
  const dateKey = createHmac("sha256", `AWS4${secret}`).update(day).digest();
  const regionKey = createHmac("sha256", dateKey).update(region).digest();
  const serviceKey = createHmac("sha256", regionKey).update(service).digest();
  return createHmac("sha256", serviceKey).update("aws4_request").digest();
}

export function hmacHex(key: Buffer, text: string): string {
  return createHmac("sha256", key).update(text, "utf8").digest("hex");
}

/** The string to sign of one chunk of a STREAMING-AWS4-HMAC-SHA256-PAYLOAD body. */
export function chunkStringToSign(timestamp: string, scope: string, previousSignature: string, chunkSha256: string): string {
  return `AWS4-HMAC-SHA256-PAYLOAD\n${timestamp}\n${scope}\n${previousSignature}\n${EMPTY_SHA256}\n${chunkSha256}`;
}

/** The string to sign of the trailing headers of a STREAMING-AWS4-HMAC-SHA256-PAYLOAD-TRAILER body. */
export function trailerStringToSign(timestamp: string, scope: string, previousSignature: string, trailerSha256: string): string {
  return `AWS4-HMAC-SHA256-TRAILER\n${timestamp}\n${scope}\n${previousSignature}\n${trailerSha256}`;
}

/** Parses `yyyymmddTHHMMSSZ` into milliseconds since the epoch; NaN when malformed. */
export function parseAmzDate(text: string): number {
  const m = /^(\d{4})(\d{2})(\d{2})T(\d{2})(\d{2})(\d{2})Z$/.exec(text);
  if (!m) return NaN;
  const ms = Date.UTC(+m[1]!, +m[2]! - 1, +m[3]!, +m[4]!, +m[5]!, +m[6]!);
  return new Date(ms).getUTCDate() === +m[3]! ? ms : NaN;
}

/** Milliseconds since the epoch as `yyyymmddTHHMMSSZ`. */
export function formatAmzDate(ms: number): string {
  return new Date(ms).toISOString().replace(/[-:]/g, "").replace(/\.\d{3}/, "");
}
