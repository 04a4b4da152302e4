// Who sent a request: V1 or V4, in the Authorization header or in presigned URL parameters, or nobody.
//
// One request line can address different resources depending on how the client addressed it: on the emulator's own
// host name, `/a/b` is object `b` in bucket `a` (path style) or object `a/b` in the default bucket (cname). The
// signature names the resource the client meant, so a signed request is matched against each candidate target and
// the one whose signature verifies wins; an unsigned request takes the first candidate.
import type { IncomingHttpHeaders } from "node:http";
import { headerValue, SIGNED_SUBRESOURCES, v1Signature, v1StringToSign } from "./auth-v1.ts";
import { v2Signature, v2StringToSign } from "./auth-v2.ts";
import { parseV4Timestamp, v4CanonicalRequest, v4Signature, v4StringToSign } from "./auth-v4.ts";
import { errors } from "./errors.ts";

/** What a request addresses: a bucket (undefined for the service itself) and a key ("" for the bucket). */
export interface Target {
  bucket: string | undefined;
  key: string;
}

export interface Principal {
  /** "owner": a valid signature by a known key; "anonymous": no signature at all. */
  kind: "owner" | "anonymous";
  accessKeyId?: string;
  /** How the request was authenticated, for logs and tests. */
  method: "anonymous" | "v1-header" | "v1-url" | "v2-header" | "v2-url" | "v4-header" | "v4-url";
}

/** An access key the emulator accepts, and the security token that must (or may) come with it. */
export interface KeyEntry {
  secret: string;
  /** STS keys need exactly their token; the main key takes no token or one of `tokens`. */
  token: { kind: "main"; accepted: Set<string> } | { kind: "sts"; token: string; expires?: number };
}

export interface AuthConfig {
  region: string;
  keys: Map<string, KeyEntry>;
}

export interface AuthRequest {
  method: string;
  headers: IncomingHttpHeaders;
  /** Decoded query parameters in order. */
  query: Array<[string, string]>;
}

// The service refuses requests dated more than 15 minutes from its clock.
const MAX_SKEW_MS = 15 * 60 * 1000;
// A V4 presigned URL lives at most seven days.
const MAX_V4_EXPIRES = 7 * 24 * 3600;

/** Authenticates `request`; returns the principal and the target it addresses, or throws the service's 403/400. */
export function authenticate(
  request: AuthRequest,
  targets: Target[],
  config: AuthConfig,
  now = Date.now(),
): { principal: Principal; target: Target } {
  const authorization = headerValue(request.headers.authorization);
  if (authorization !== "") {
    if (authorization.startsWith("OSS4-HMAC-SHA256 ")) return v4Header(request, authorization, targets, config, now);
    if (authorization.startsWith("OSS ")) return v1Header(request, authorization, targets, config, now);
    if (authorization.startsWith("OSS2 ")) return v2Header(request, authorization, targets, config, now);
    throw errors.invalidArgument("Authorization header is invalid.", "Authorization", authorization.split(" ")[0]);
  }
  const names = new Set(request.query.map(([name]) => name));
  if (names.has("OSSAccessKeyId") || names.has("Signature")) return v1Url(request, targets, config, now);
  if (request.query.some(([name, value]) => name === "x-oss-signature-version" && value === "OSS2")) {
    return v2Url(request, targets, config, now);
  }
  if (names.has("x-oss-signature-version") || names.has("x-oss-signature")) return v4Url(request, targets, config, now);
  return { principal: { kind: "anonymous", method: "anonymous" }, target: targets[0]! };
}

/** The V1 canonical resource of a target: `/`, `/bucket/` or `/bucket/key`. */
function resourceOf(target: Target): string {
  if (target.bucket === undefined) return "/";
  return `/${target.bucket}/${target.key}`;
}

function v1Header(
  request: AuthRequest,
  authorization: string,
  targets: Target[],
  config: AuthConfig,
  now: number,
): { principal: Principal; target: Target } {
  const m = /^OSS ([^:\s]+):(\S+)$/.exec(authorization.trim());
  if (!m) throw errors.invalidArgument("Authorization header is invalid.", "Authorization", authorization);
  const [, accessKeyId, signature] = m as unknown as [string, string, string];
  const key = lookUp(config, accessKeyId, headerValue(request.headers["x-oss-security-token"]), now);
  // The client signs x-oss-date in the date slot (it never sends Date); raw HTTP clients sign Date.
  const ossDate = headerValue(request.headers["x-oss-date"]);
  const httpDate = headerValue(request.headers.date);
  const dates = ossDate === "" ? [httpDate] : httpDate === "" || httpDate === ossDate ? [ossDate] : [ossDate, httpDate];
  if (dates[0] === "") throw errors.accessDenied("OSS authentication requires a valid Date.");
  const requestTime = parseHttpDate(dates[0]!);
  if (!Number.isFinite(requestTime)) throw errors.accessDenied("OSS authentication requires a valid Date.");
  checkSkew(requestTime, now, dates[0]!);
  return v1Verify(request, targets, dates, key.secret, signature, { kind: "owner", accessKeyId, method: "v1-header" });
}

/**
 * The key, signature and expiry a V1 or V2 presigned URL carries under `names`: all three required, the key known
 * (with its security token), the expiry a number of seconds not yet past.
 */
function presigned(
  request: AuthRequest,
  names: { accessKeyId: string; signature: string; expires: string },
  config: AuthConfig,
  now: number,
): { accessKeyId: string; signature: string; expires: string; key: ReturnType<typeof lookUp> } {
  const params = new Map(request.query);
  const accessKeyId = params.get(names.accessKeyId) ?? "";
  const signature = params.get(names.signature) ?? "";
  const expires = params.get(names.expires) ?? "";
  if (accessKeyId === "" || signature === "" || expires === "") {
    throw errors.accessDenied(`${names.accessKeyId}, ${names.signature} and ${names.expires} must all be given in a signed URL.`);
  }
  const key = lookUp(config, accessKeyId, params.get("security-token") ?? "", now);
  if (!/^\d+$/.test(expires)) throw errors.invalidArgument(`${names.expires} is not a number.`, names.expires, expires);
  if (Number(expires) * 1000 < now) throw errors.expired(expires, new Date(now).toISOString());
  return { accessKeyId, signature, expires, key };
}

function v1Url(
  request: AuthRequest,
  targets: Target[],
  config: AuthConfig,
  now: number,
): { principal: Principal; target: Target } {
  const { accessKeyId, signature, expires, key } = presigned(request, { accessKeyId: "OSSAccessKeyId", signature: "Signature", expires: "Expires" }, config, now);
  return v1Verify(request, targets, [expires], key.secret, signature, { kind: "owner", accessKeyId, method: "v1-url" });
}

/**
 * The target (addressing reading) and date-slot value whose V1 string to sign matches `signature`; the header and
 * URL forms differ only in what fills the date slot (x-oss-date or Date, or Expires).
 */
function v1Verify(
  request: AuthRequest,
  targets: Target[],
  dates: string[],
  secret: string,
  signature: string,
  principal: Principal,
): { principal: Principal; target: Target } {
  let first: string | undefined;
  const contentMd5 = headerValue(request.headers["content-md5"]);
  const contentType = headerValue(request.headers["content-type"]);
  for (const target of targets) {
    for (const date of dates) {
      const stringToSign = v1StringToSign({
        method: request.method,
        contentMd5,
        contentType,
        date,
        headers: request.headers,
        resource: resourceOf(target),
        query: request.query,
      });
      first ??= stringToSign;
      if (v1Matches(secret, stringToSign, target, signature)) return { principal, target };
    }
  }
  throw errors.signatureDoesNotMatch(principal.accessKeyId ?? "", first ?? "");
}

// The client hashes the string as UTF-8, which for a key in the resource means its UTF-8 bytes; a client set to
// `headerEncoding: latin1` signs raw bytes instead. Both read the same when everything is ASCII.
function v1Matches(secret: string, stringToSign: string, target: Target, signature: string): boolean {
  if (safeEqual(v1Signature(secret, stringToSign), signature)) return true;
  if (/^[\x00-\x7f]*$/.test(stringToSign)) return false;
  const resource = resourceOf(target);
  const raw = stringToSign.replace(resource, Buffer.from(resource, "utf8").toString("latin1"));
  return safeEqual(v1Signature(secret, raw, "latin1"), signature);
}

/**
 * The `name<separator>value` fields after `scheme` in an Authorization header, split at commas. The client writes
 * no space after the commas; the documentation does: both are accepted.
 */
function authorizationFields(authorization: string, scheme: string, separator: ":" | "="): Map<string, string> {
  const fields = new Map<string, string>();
  for (const part of authorization.slice(scheme.length).split(",")) {
    const at = part.indexOf(separator);
    if (at < 0) throw errors.invalidArgument("Authorization header is invalid.", "Authorization", authorization);
    fields.set(part.slice(0, at).trim(), part.slice(at + 1).trim());
  }
  return fields;
}

function v2Header(
  request: AuthRequest,
  authorization: string,
  targets: Target[],
  config: AuthConfig,
  now: number,
): { principal: Principal; target: Target } {
  const fields = authorizationFields(authorization, "OSS2 ", ":");
  const accessKeyId = fields.get("AccessKeyId");
  const signature = fields.get("Signature");
  if (!accessKeyId || !signature) throw errors.invalidArgument("Authorization header is invalid.", "Authorization", authorization);
  const key = lookUp(config, accessKeyId, headerValue(request.headers["x-oss-security-token"]), now);
  const date = headerValue(request.headers.date) || headerValue(request.headers["x-oss-date"]);
  const requestTime = Date.parse(date);
  if (!Number.isFinite(requestTime)) throw errors.accessDenied("OSS authentication requires a valid Date.");
  checkSkew(requestTime, now, date);
  const additional = splitAdditional(fields.get("AdditionalHeaders") ?? "", request.headers);
  return v2Verify(request, request.query, targets, date, additional, key.secret, signature, { kind: "owner", accessKeyId, method: "v2-header" });
}

function v2Url(
  request: AuthRequest,
  targets: Target[],
  config: AuthConfig,
  now: number,
): { principal: Principal; target: Target } {
  const params = new Map(request.query);
  const { accessKeyId, signature, expires, key } = presigned(request, { accessKeyId: "x-oss-access-key-id", signature: "x-oss-signature", expires: "x-oss-expires" }, config, now);
  const additional = splitAdditional(params.get("x-oss-additional-headers") ?? "", request.headers);
  const signed = request.query.filter(([name]) => name !== "x-oss-signature");
  return v2Verify(request, signed, targets, expires, additional, key.secret, signature, { kind: "owner", accessKeyId, method: "v2-url" });
}

function v2Verify(
  request: AuthRequest,
  query: Array<[string, string]>,
  targets: Target[],
  date: string,
  additional: string[],
  secret: string,
  signature: string,
  principal: Principal,
): { principal: Principal; target: Target } {
  let first: string | undefined;
  for (const target of targets) {
    for (const headers of headerReadings(request.headers)) {
      const stringToSign = v2StringToSign({ method: request.method, date, headers, additionalHeaders: additional, resource: resourceOf(target), query });
      first ??= stringToSign;
      if (safeEqual(v2Signature(secret, stringToSign), signature)) return { principal, target };
    }
  }
  throw errors.signatureDoesNotMatch(principal.accessKeyId ?? "", first ?? "");
}

function v4Header(
  request: AuthRequest,
  authorization: string,
  targets: Target[],
  config: AuthConfig,
  now: number,
): { principal: Principal; target: Target } {
  const fields = authorizationFields(authorization, "OSS4-HMAC-SHA256 ", "=");
  const credential = fields.get("Credential");
  const signature = fields.get("Signature");
  if (!credential || !signature) {
    throw errors.invalidArgument("Authorization header is invalid.", "Authorization", authorization);
  }
  const timestamp = headerValue(request.headers["x-oss-date"]);
  const requestTime = parseV4Timestamp(timestamp);
  if (!Number.isFinite(requestTime)) throw errors.accessDenied("OSS authentication requires a valid Date.");
  const scope = parseCredential(credential, timestamp, config);
  const key = lookUp(config, scope.accessKeyId, headerValue(request.headers["x-oss-security-token"]), now);
  checkSkew(requestTime, now, timestamp);
  const additional = splitAdditional(fields.get("AdditionalHeaders") ?? "", request.headers);
  const payloadHash = headerValue(request.headers["x-oss-content-sha256"]) || "UNSIGNED-PAYLOAD";
  return v4Verify(request, request.query, targets, key, scope, timestamp, additional, payloadHash, signature, "v4-header");
}

function v4Url(
  request: AuthRequest,
  targets: Target[],
  config: AuthConfig,
  now: number,
): { principal: Principal; target: Target } {
  const params = new Map(request.query);
  if (params.get("x-oss-signature-version") !== "OSS4-HMAC-SHA256") {
    throw errors.invalidArgument("x-oss-signature-version is invalid.", "x-oss-signature-version", params.get("x-oss-signature-version"));
  }
  const credential = params.get("x-oss-credential") ?? "";
  const timestamp = params.get("x-oss-date") ?? "";
  const expires = params.get("x-oss-expires") ?? "";
  const signature = params.get("x-oss-signature") ?? "";
  if (!credential || !timestamp || !expires || !signature) {
    throw errors.accessDenied("x-oss-credential, x-oss-date, x-oss-expires and x-oss-signature must all be given in a signed URL.");
  }
  const requestTime = parseV4Timestamp(timestamp);
  if (!Number.isFinite(requestTime)) throw errors.invalidArgument("x-oss-date is invalid.", "x-oss-date", timestamp);
  if (!/^\d+$/.test(expires) || Number(expires) > MAX_V4_EXPIRES) {
    throw errors.invalidArgument("x-oss-expires must be a number of seconds up to 604800.", "x-oss-expires", expires);
  }
  const scope = parseCredential(credential, timestamp, config);
  const key = lookUp(config, scope.accessKeyId, params.get("x-oss-security-token") ?? "", now);
  if (requestTime - now > MAX_SKEW_MS) throw errors.timeTooSkewed(timestamp, isoBasic(now));
  if (requestTime + Number(expires) * 1000 < now) throw errors.expired(timestamp, isoBasic(now));
  const additional = splitAdditional(params.get("x-oss-additional-headers") ?? "", request.headers);
  const payloadHash = headerValue(request.headers["x-oss-content-sha256"]) || "UNSIGNED-PAYLOAD";
  const signed = request.query.filter(([name]) => name !== "x-oss-signature");
  return v4Verify(request, signed, targets, key, scope, timestamp, additional, payloadHash, signature, "v4-url");
}

interface Scope {
  accessKeyId: string;
  day: string;
  region: string;
  product: string;
  text: string;
}

function parseCredential(credential: string, timestamp: string, config: AuthConfig): Scope {
  const parts = credential.split("/");
  if (parts.length !== 5 || parts[4] !== "aliyun_v4_request" || !/^\d{8}$/.test(parts[1]!)) {
    throw errors.invalidArgument("Credential is invalid.", "Credential", credential);
  }
  const [accessKeyId, day, region, product] = parts as [string, string, string, string, string];
  if (!timestamp.startsWith(day)) throw errors.accessDenied("Invalid signing date in Authorization header.");
  if (region !== config.region) throw errors.accessDenied("Invalid signing region in Authorization header.");
  if (product !== "oss") throw errors.accessDenied("Invalid signing product in Authorization header.");
  return { accessKeyId, day, region, product, text: `${day}/${region}/${product}/aliyun_v4_request` };
}

function splitAdditional(list: string, headers: IncomingHttpHeaders): string[] {
  if (list === "") return [];
  const names = [...new Set(list.split(";").map((n) => n.trim().toLowerCase()))].filter((n) => n !== "").sort();
  for (const name of names) {
    if (headers[name] === undefined) {
      throw errors.invalidArgument(`Additional header ${name} is not in the request.`, "AdditionalHeaders", list);
    }
  }
  return names;
}

function v4Verify(
  request: AuthRequest,
  query: Array<[string, string]>,
  targets: Target[],
  key: KeyEntry,
  scope: Scope,
  timestamp: string,
  additional: string[],
  payloadHash: string,
  signature: string,
  method: Principal["method"],
): { principal: Principal; target: Target } {
  // A parameter without a value is written `k` in the canonical query when the client means a sub-resource
  // (`?uploads`) and `k=` when it means an empty value (`?prefix=`); the URL cannot tell them apart, so the
  // sub-resource reading is tried first and the two uniform readings after it.
  const readings: Array<(name: string) => boolean> = [(name) => SIGNED_SUBRESOURCES.has(name), () => true, () => false];
  let first: { stringToSign: string; canonical: string } | undefined;
  for (const target of targets) {
    const seen = new Set<string>();
    for (const [emptyAsKeyOnly, headers] of readings.flatMap((r) => headerReadings(request.headers).map((h) => [r, h] as const))) {
      const canonical = v4CanonicalRequest({
        method: request.method,
        resource: resourceOf(target),
        query,
        emptyAsKeyOnly,
        headers,
        additionalHeaders: additional,
        payloadHash,
      });
      if (seen.has(canonical)) continue;
      seen.add(canonical);
      const stringToSign = v4StringToSign(timestamp, scope.text, canonical);
      first ??= { stringToSign, canonical };
      if (safeEqual(v4Signature(key.secret, scope.day, scope.region, scope.product, stringToSign), signature)) {
        return { principal: { kind: "owner", accessKeyId: scope.accessKeyId, method }, target };
      }
    }
  }
  throw errors.signatureDoesNotMatch(scope.accessKeyId, first?.stringToSign ?? "", first?.canonical);
}

// Header bytes arrive as latin1 text. A client set to `headerEncoding: latin1` sends UTF-8 bytes that way but signs
// their UTF-8 reading (ali-oss decodes each value before signing V4), so a value with such bytes is also tried
// decoded. Both readings are the same when every value is ASCII.
function headerReadings(headers: IncomingHttpHeaders): IncomingHttpHeaders[] {
  let decoded: IncomingHttpHeaders | undefined;
  for (const [name, value] of Object.entries(headers)) {
    if (typeof value !== "string" || !/[\x80-\xff]/.test(value)) continue;
    decoded ??= { ...headers };
    decoded[name] = Buffer.from(value, "latin1").toString("utf8");
  }
  return decoded ? [headers, decoded] : [headers];
}

function lookUp(config: AuthConfig, accessKeyId: string, token: string, now: number): KeyEntry {
  const key = config.keys.get(accessKeyId);
  if (!key) throw errors.invalidAccessKeyId(accessKeyId);
  if (key.token.kind === "sts") {
    // An STS key means nothing without its token: the service reports the key itself as unknown.
    if (token === "") throw errors.invalidAccessKeyId(accessKeyId);
    if (token !== key.token.token) throw errors.invalidSecurityToken();
    if (key.token.expires !== undefined && key.token.expires < now) throw errors.securityTokenExpired();
  } else if (token !== "" && !key.token.accepted.has(token)) {
    throw errors.invalidSecurityToken();
  }
  return key;
}

// A client sends the same date on every request within a second: parsing it once is enough.
let lastDate = "";
let lastDateMs = NaN;
function parseHttpDate(date: string): number {
  if (date !== lastDate) {
    lastDateMs = Date.parse(date);
    lastDate = date;
  }
  return lastDateMs;
}

function checkSkew(requestTime: number, now: number, given: string): void {
  if (Math.abs(requestTime - now) > MAX_SKEW_MS) {
    throw errors.timeTooSkewed(given, new Date(now).toUTCString());
  }
}

function isoBasic(ms: number): string {
  return new Date(ms).toISOString().replace(/[-:]/g, "").replace(/\.\d{3}/, "");
}

// Compares every character whatever the first difference (no early exit), without making two Buffers for
// timingSafeEqual on every request: signatures are short ASCII strings.
function safeEqual(a: string, b: string): boolean {
  if (a.length !== b.length) return false;
  let difference = 0;
  for (let i = 0; i < a.length; i++) difference |= a.charCodeAt(i) ^ b.charCodeAt(i);
  return difference === 0;
}


