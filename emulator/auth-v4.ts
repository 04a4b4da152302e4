// The V4 signature (OSS4-HMAC-SHA256), in the Authorization header or in presigned URL parameters.
import { createHash, createHmac, createSecretKey, type KeyObject } from "node:crypto";
import { headerValue } from "./auth-v1.ts";

export interface V4Input {
  method: string;
  /** `/`, `/bucket/` or `/bucket/key`, not escaped. */
  resource: string;
  /** Query parameters to sign, decoded, with how an empty value is written (`k` or `k=`). */
  query: Array<[string, string]>;
  emptyAsKeyOnly: (name: string) => boolean;
  /** Request headers, lower-case names. */
  headers: Record<string, string | string[] | undefined>;
  /** Lower-case names from AdditionalHeaders, sorted. */
  additionalHeaders: string[];
  payloadHash: string;
}

/** RFC 3986 encoding as the service uses it: encodeURIComponent plus `!'()*`. */
export function encodeRfc3986(text: string): string {
  return encodeURIComponent(text).replace(/[!'()*]/g, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`);
}

/** The canonical request: method, URI, query, headers, additional header names, payload hash. */
export function v4CanonicalRequest(input: V4Input): string {
  const uri = encodeRfc3986(input.resource).replace(/%2F/g, "/");
  const query = input.query
    .map(([name, value]) => [encodeRfc3986(name), encodeRfc3986(value), name] as const)
    .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
    .map(([name, value, raw]) => (value === "" && input.emptyAsKeyOnly(raw) ? name : `${name}=${value}`))
    .join("&");
  const names = new Set(input.additionalHeaders);
  for (const name of Object.keys(input.headers)) {
    if (name === "content-type" || name === "content-md5" || name.startsWith("x-oss-")) names.add(name);
  }
  const headers = [...names]
    .sort()
    .map((name) => `${name}:${headerValue(input.headers[name]).trim()}\n`)
    .join("");
  return [input.method, uri, query, headers, input.additionalHeaders.join(";"), input.payloadHash].join("\n");
}

/** The string to sign: algorithm, timestamp, scope, and the SHA-256 of the canonical request. */
export function v4StringToSign(timestamp: string, scope: string, canonicalRequest: string): string {
  const hashed = createHash("sha256").update(canonicalRequest, "utf8").digest("hex");
  return `OSS4-HMAC-SHA256\n${timestamp}\n${scope}\n${hashed}`;
}

/** The hex signature: an HMAC-SHA256 chain from "aliyun_v4" + secret over day, region, product, terminator. */
export function v4Signature(secret: string, day: string, region: string, product: string, stringToSign: string): string {
  return createHmac("sha256", signingKey(secret, day, region, product)).update(stringToSign, "utf8").digest("hex");
}

// The signing key depends only on the secret and the scope, which change once a day: four HMACs per request (and
// per reading tried) saved by keeping a bounded few.
const signingKeys = new Map<string, KeyObject>();
function signingKey(secret: string, day: string, region: string, product: string): KeyObject {
  const id = `${day}\n${region}\n${product}\n${secret}`;
  let key = signingKeys.get(id);
  if (key === undefined) {
    const dateKey = createHmac("sha256", `aliyun_v4${secret}`).update(day).digest();
    const regionKey = createHmac("sha256", dateKey).update(region).digest();
    const productKey = createHmac("sha256", regionKey).update(product).digest();
    key = createSecretKey(createHmac("sha256", productKey).update("aliyun_v4_request").digest());
    if (signingKeys.size >= 64) signingKeys.clear();
    signingKeys.set(id, key);
  }
  return key;
}

/** Parses `yyyymmddTHHMMSSZ` into milliseconds since the epoch; NaN when malformed. */
export function parseV4Timestamp(text: string): number {
  const m = /^(\d{4})(\d{2})(\d{2})T(\d{2})(\d{2})(\d{2})Z$/.exec(text);
  if (!m) return NaN;
  return Date.UTC(+m[1]!, +m[2]! - 1, +m[3]!, +m[4]!, +m[5]!, +m[6]!);
}
