// Who sent an S3 request: AWS Signature V4 in the Authorization header or in presigned URL parameters
// (X-Amz-Algorithm, X-Amz-Credential, …), checked as S3 checks them, or nobody. The keys are the emulator's own
// (the same as the OSS side's); the region is whichever the client signed for (see README: S3 dialect).
import { timingSafeEqual } from "node:crypto";
import type { IncomingHttpHeaders } from "node:http";
import { headerValue } from "../auth-v1.ts";
import type { AuthConfig, KeyEntry } from "../auth.ts";
import { s3Errors } from "./errors.ts";
import {
  ALGORITHM,
  canonicalRequest,
  formatAmzDate,
  hmacHex,
  parseAmzDate,
  signingKey,
  stringToSign,
} from "./sigv4.ts";

// S3 refuses requests dated more than 15 minutes from its clock.
const MAX_SKEW_MS = 15 * 60 * 1000;
// A presigned URL lives at most seven days.
const MAX_EXPIRES = 7 * 24 * 3600;

/** What a verified signature lets the body decoder check: chunk signatures chain from the seed signature. */
export interface SigningContext {
  key: Buffer;
  timestamp: string;
  scope: string;
  seedSignature: string;
}

export interface S3Principal {
  kind: "owner" | "anonymous";
  accessKeyId?: string;
  method: "anonymous" | "s3-v4-header" | "s3-v4-url";
  /** What `x-amz-content-sha256` declared (header auth), or UNSIGNED-PAYLOAD. */
  payloadHash: string;
  signing?: SigningContext;
}

export interface S3AuthRequest {
  method: string;
  headers: IncomingHttpHeaders;
  /** Decoded query parameters in order. */
  query: Array<[string, string]>;
  /** Canonical URI readings to try, most likely first (see canonicalPaths). */
  paths: string[];
}

/** True for a request an S3 client sent: an `AWS4-HMAC-SHA256` (or V2 `AWS`) signature, or x-amz-* without OSS auth. */
export function isS3Request(headers: IncomingHttpHeaders, url: string): boolean {
  const authorization = headerValue(headers.authorization);
  // `AWS id:sig` is S3's retired Signature V2: answered by the S3 side, which refuses it in S3's words.
  if (authorization.startsWith(`${ALGORITHM} `) || authorization.startsWith("AWS ")) return true;
  if (authorization !== "") return false;
  if (/[?&]X-Amz-Algorithm=/i.test(url)) return true;
  return headers["x-amz-date"] !== undefined || headers["x-amz-content-sha256"] !== undefined;
}

/** Authenticates `request`, or throws S3's 400/403. */
export function authenticateS3(request: S3AuthRequest, config: AuthConfig, now = Date.now()): S3Principal {
  const authorization = headerValue(request.headers.authorization);
  if (authorization !== "") return viaHeader(request, authorization, config, now);
  if (request.query.some(([name]) => name === "X-Amz-Algorithm")) return viaQuery(request, config, now);
  return { kind: "anonymous", method: "anonymous", payloadHash: headerValue(request.headers["x-amz-content-sha256"]) || "UNSIGNED-PAYLOAD" };
}

function viaHeader(request: S3AuthRequest, authorization: string, config: AuthConfig, now: number): S3Principal {
  if (!authorization.startsWith(`${ALGORITHM} `)) {
    throw s3Errors.invalidRequest("The authorization mechanism you have provided is not supported. Please use AWS4-HMAC-SHA256.");
  }
  const fields = new Map<string, string>();
  for (const part of authorization.slice(ALGORITHM.length + 1).split(",")) {
    const at = part.indexOf("=");
    if (at < 0) throw s3Errors.headerMalformed("The authorization header is malformed; the authorization component is not in the form name=value.");
    fields.set(part.slice(0, at).trim(), part.slice(at + 1).trim());
  }
  const credential = fields.get("Credential");
  const signedList = fields.get("SignedHeaders");
  const signature = fields.get("Signature");
  if (!credential || !signedList || !signature) {
    throw s3Errors.headerMalformed("The authorization header is malformed; it must name a Credential, SignedHeaders and a Signature.");
  }
  const timestamp = headerValue(request.headers["x-amz-date"]);
  const requestTime = timestamp === "" ? Date.parse(headerValue(request.headers.date)) : parseAmzDate(timestamp);
  if (!Number.isFinite(requestTime)) throw s3Errors.missingDate();
  const amzDate = timestamp === "" ? formatAmzDate(requestTime) : timestamp;
  const scope = parseCredential(credential, amzDate, (m) => s3Errors.headerMalformed(m));
  const key = lookUp(config, scope.accessKeyId, headerValue(request.headers["x-amz-security-token"]), now);
  if (Math.abs(requestTime - now) > MAX_SKEW_MS) throw s3Errors.timeTooSkewed(amzDate, formatAmzDate(now));
  const payloadHash = headerValue(request.headers["x-amz-content-sha256"]);
  if (payloadHash === "") throw s3Errors.invalidRequest("Missing required header for this request: x-amz-content-sha256");
  const signed = signedHeadersOf(signedList, request.headers, true);
  const signingKeyBytes = signingKey(key.secret, scope.day, scope.region, scope.service);
  verify(request, request.query, signed, payloadHash, amzDate, scope, signingKeyBytes, signature);
  return {
    kind: "owner",
    accessKeyId: scope.accessKeyId,
    method: "s3-v4-header",
    payloadHash,
    signing: { key: signingKeyBytes, timestamp: amzDate, scope: scope.text, seedSignature: signature },
  };
}

function viaQuery(request: S3AuthRequest, config: AuthConfig, now: number): S3Principal {
  const params = new Map(request.query);
  if (params.get("X-Amz-Algorithm") !== ALGORITHM) {
    throw s3Errors.queryMalformed(`X-Amz-Algorithm only supports "${ALGORITHM}"`);
  }
  const credential = params.get("X-Amz-Credential") ?? "";
  const timestamp = params.get("X-Amz-Date") ?? "";
  const expires = params.get("X-Amz-Expires") ?? "";
  const signedList = params.get("X-Amz-SignedHeaders") ?? "";
  const signature = params.get("X-Amz-Signature") ?? "";
  if (!credential || !timestamp || !expires || !signedList || !signature) {
    throw s3Errors.queryMalformed(
      "Query-string authentication version 4 requires the X-Amz-Algorithm, X-Amz-Credential, X-Amz-Signature, X-Amz-Date, X-Amz-SignedHeaders, and X-Amz-Expires parameters.",
    );
  }
  const requestTime = parseAmzDate(timestamp);
  if (!Number.isFinite(requestTime)) throw s3Errors.queryMalformed("X-Amz-Date must be in the ISO8601 Long Format \"yyyyMMdd'T'HHmmss'Z'\"");
  if (!/^\d+$/.test(expires)) throw s3Errors.queryMalformed("X-Amz-Expires should be a number");
  if (Number(expires) > MAX_EXPIRES) throw s3Errors.queryMalformed("X-Amz-Expires must be less than a week (in seconds) that is 604800");
  const scope = parseCredential(credential, timestamp, (m) => s3Errors.queryMalformed(m));
  const key = lookUp(config, scope.accessKeyId, params.get("X-Amz-Security-Token") ?? "", now);
  if (requestTime - now > MAX_SKEW_MS) throw s3Errors.notYetValid();
  const expiresAt = requestTime + Number(expires) * 1000;
  if (expiresAt < now) throw s3Errors.expired(expires, new Date(expiresAt).toISOString(), new Date(now).toISOString());
  const signed = signedHeadersOf(signedList, request.headers, false);
  const payloadHash = params.get("X-Amz-Content-Sha256") ?? "UNSIGNED-PAYLOAD";
  const query = request.query.filter(([name]) => name !== "X-Amz-Signature");
  const signingKeyBytes = signingKey(key.secret, scope.day, scope.region, scope.service);
  verify(request, query, signed, payloadHash, timestamp, scope, signingKeyBytes, signature);
  return { kind: "owner", accessKeyId: scope.accessKeyId, method: "s3-v4-url", payloadHash };
}

interface Scope {
  accessKeyId: string;
  day: string;
  region: string;
  service: string;
  text: string;
}

// `AKID/yyyymmdd/region/s3/aws4_request`. Any region is accepted: the signature proves which one the client used.
function parseCredential(credential: string, timestamp: string, malformed: (message: string) => Error): Scope {
  const parts = credential.split("/");
  if (parts.length !== 5 || !/^\d{8}$/.test(parts[1]!) || parts[2] === "" || parts[0] === "") {
    throw malformed(`The credential "${credential}" is malformed; expecting "<YOUR-AKID>/YYYYMMDD/REGION/SERVICE/aws4_request".`);
  }
  const [accessKeyId, day, region, service, terminator] = parts as [string, string, string, string, string];
  if (terminator !== "aws4_request") throw malformed(`Incorrect terminal "${terminator}". This endpoint uses "aws4_request".`);
  if (service !== "s3") throw malformed(`The credential is scoped to the wrong service: "${service}". This endpoint uses "s3".`);
  if (!timestamp.startsWith(day)) throw malformed(`Invalid credential date "${day}". It must be the day of "${timestamp}".`);
  return { accessKeyId, day, region, service, text: `${day}/${region}/${service}/aws4_request` };
}

// The signed headers: lower-case names in the order given (clients sort them; the canonical request keeps theirs). Host must be among them, and (with the header form)
// every x-amz-* header the request carries, as S3 demands.
function signedHeadersOf(list: string, headers: IncomingHttpHeaders, header: boolean): string[] {
  const names = list.split(";").map((n) => n.trim().toLowerCase());
  if (names.some((n) => n === "")) throw s3Errors.headerMalformed("SignedHeaders is malformed.");
  if (new Set(names).size !== names.length) throw s3Errors.headerMalformed("SignedHeaders must name each header once.");
  if (!names.includes("host")) throw s3Errors.accessDenied("The host header must be signed.");
  for (const name of names) {
    if (headers[name] === undefined) throw s3Errors.accessDenied(`The signed header ${name} is not in the request.`);
  }
  if (header) {
    const unsigned = Object.keys(headers).filter((n) => n.startsWith("x-amz-") && !names.includes(n));
    if (unsigned.length > 0) throw s3Errors.headersNotSigned(unsigned);
  }
  return names;
}

function verify(
  request: S3AuthRequest,
  query: Array<[string, string]>,
  signedHeaders: string[],
  payloadHash: string,
  timestamp: string,
  scope: Scope,
  key: Buffer,
  signature: string,
): void {
  let first: { toSign: string; canonical: string } | undefined;
  for (const path of request.paths) {
    const canonical = canonicalRequest({ method: request.method, path, query, headers: request.headers, signedHeaders, payloadHash });
    const toSign = stringToSign(timestamp, scope.text, canonical);
    first ??= { toSign, canonical };
    if (safeEqual(hmacHex(key, toSign), signature)) return;
  }
  throw s3Errors.signatureDoesNotMatch(scope.accessKeyId, first?.toSign ?? "", signature, first?.canonical);
}

function lookUp(config: AuthConfig, accessKeyId: string, token: string, now: number): KeyEntry {
  const key = config.keys.get(accessKeyId);
  if (!key) throw s3Errors.invalidAccessKeyId(accessKeyId);
  if (key.token.kind === "sts") {
    // A temporary key means nothing without its token: S3 reports the key itself as unknown.
    if (token === "") throw s3Errors.invalidAccessKeyId(accessKeyId);
    if (token !== key.token.token) throw s3Errors.invalidToken();
    if (key.token.expires !== undefined && key.token.expires < now) throw s3Errors.expiredToken();
  } else if (token !== "" && !key.token.accepted.has(token)) {
    throw s3Errors.invalidToken();
  }
  return key;
}

export function safeEqual(a: string, b: string): boolean {
  const x = Buffer.from(a);
  const y = Buffer.from(b);
  return x.length === y.length && timingSafeEqual(x, y);
}
