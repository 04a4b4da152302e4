// The V2 signature (`Authorization: OSS2 AccessKeyId:…,AdditionalHeaders:…,Signature:…`, and presigned URLs with
// x-oss-signature-version=OSS2): HMAC-SHA256 over VERB, Content-MD5, Content-Type, date (or x-oss-expires), the
// x-oss-* and additional headers, the additional header names, and the resource with every query parameter,
// all URI-encoded (the slashes of the path too).
import { createHmac } from "node:crypto";
import { headerValue } from "./auth-v1.ts";
import { encodeRfc3986 } from "./auth-v4.ts";

export interface V2Input {
  method: string;
  /** The date (header signatures) or the x-oss-expires seconds (presigned URLs). */
  date: string;
  /** Request headers, lower-case names. */
  headers: Record<string, string | string[] | undefined>;
  /** Lower-case names from AdditionalHeaders, sorted. */
  additionalHeaders: string[];
  /** `/`, `/bucket/` or `/bucket/key`, not escaped. */
  resource: string;
  /** The query parameters to sign, decoded (every one but the signature). */
  query: Array<[string, string]>;
}

/** The V2 string to sign for a request. */
export function v2StringToSign(input: V2Input): string {
  const additional = new Set(input.additionalHeaders);
  const headers = Object.keys(input.headers)
    .filter((name) => name.startsWith("x-oss-") || additional.has(name))
    .sort()
    .map((name) => `${name}:${headerValue(input.headers[name])}\n`)
    .join("");
  const query = input.query
    .map(([name, value]) => [encodeRfc3986(name), encodeRfc3986(value)] as const)
    .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
    .map(([name, value]) => (value === "" ? name : `${name}=${value}`))
    .join("&");
  const resource = encodeRfc3986(input.resource) + (query === "" ? "" : `?${query}`);
  return [
    input.method,
    headerValue(input.headers["content-md5"]),
    headerValue(input.headers["content-type"]),
    input.date,
    `${headers}${input.additionalHeaders.join(";")}`,
    resource,
  ].join("\n");
}

/** The base64 HMAC-SHA256 of `stringToSign`. */
export function v2Signature(secret: string, stringToSign: string): string {
  return createHmac("sha256", secret).update(stringToSign, "utf8").digest("base64");
}
