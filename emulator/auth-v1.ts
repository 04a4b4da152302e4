// The V1 signature (`Authorization: OSS id:sig`, and presigned URLs with OSSAccessKeyId/Expires/Signature):
// HMAC-SHA1 over VERB, Content-MD5, Content-Type, date (or Expires), the x-oss-* headers and the resource.
import { digestOf } from "./digest.ts";

/** Query parameters that are part of the V1 canonical resource; every other parameter is left out of it. */
export const SIGNED_SUBRESOURCES = new Set([
  "acl", "uploads", "location", "cors", "logging", "website", "referer", "lifecycle", "delete", "append",
  "tagging", "objectMeta", "uploadId", "partNumber", "security-token", "position", "img", "style", "styleName",
  "replication", "replicationProgress", "replicationLocation", "cname", "bucketInfo", "comp", "qos", "live",
  "status", "vod", "startTime", "endTime", "symlink", "x-oss-process", "response-content-type",
  "x-oss-traffic-limit", "response-content-language", "response-expires", "response-cache-control",
  "response-content-disposition", "response-content-encoding", "udf", "udfName", "udfImage", "udfId",
  "udfImageDesc", "udfApplication", "udfApplicationLog", "restore", "callback", "callback-var", "qosInfo",
  "policy", "stat", "encryption", "versions", "versioning", "versionId", "requestPayment",
  "x-oss-request-payer", "sequential", "inventory", "inventoryId", "continuation-token", "asyncFetch", "worm",
  "wormId", "wormExtend", "withHashContext", "x-oss-enable-md5", "x-oss-enable-sha1", "x-oss-enable-sha256",
  "x-oss-hash-ctx", "x-oss-md5-ctx", "transferAcceleration", "regionList", "cloudboxes", "x-oss-ac-source-ip",
  "x-oss-ac-subnet-mask", "x-oss-ac-vpc-id", "x-oss-ac-forward-allow", "metaQuery", "resourceGroup", "rtc",
  "accessPoint", "accessPointPolicy", "httpsConfig", "publicAccessBlock", "responseHeader",
]);

export interface V1Input {
  method: string;
  contentMd5: string;
  contentType: string;
  /** The date (header signatures) or the Expires seconds (presigned URLs). */
  date: string;
  /** Request headers, lower-case names. */
  headers: Record<string, string | string[] | undefined>;
  /** `/`, `/bucket/` or `/bucket/key`, the key not escaped. */
  resource: string;
  /** The request's query parameters, decoded, in order. */
  query: Array<[string, string]>;
}

/** The V1 string to sign for a request. */
export function v1StringToSign(input: V1Input): string {
  // Plain loops: this runs for every signed request, and most carry one x-oss-* header and no sub-resource.
  const names: string[] = [];
  for (const name in input.headers) if (name.startsWith("x-oss-")) names.push(name);
  if (names.length > 1) names.sort();
  let ossHeaders = "";
  for (const name of names) ossHeaders += `${name}:${headerValue(input.headers[name]).trim()}\n`;
  let resource = input.resource;
  if (input.query.length > 0) {
    const subresources = input.query
      .filter(([name]) => SIGNED_SUBRESOURCES.has(name))
      .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
      .map(([name, value]) => (value === "" ? name : `${name}=${value}`));
    if (subresources.length > 0) resource = `${resource}?${subresources.join("&")}`;
  }
  return `${input.method}\n${input.contentMd5}\n${input.contentType}\n${input.date}\n${ossHeaders}${resource}`;
}

/** The base64 HMAC-SHA1 of `stringToSign`, read as UTF-8 (the client's default) or as raw bytes (`latin1`). */
export function v1Signature(secret: string, stringToSign: string, encoding: "utf8" | "latin1" = "utf8"): string {
  // RFC 2104 over Node's one-shot SHA-1, with the key's padded blocks made once per secret: createHmac builds a
  // stream object and a native handle per call, which a profile of small requests showed costing more than the
  // hashing itself, and every signed request checks one signature.
  const { inner, outer } = paddedKey(secret);
  const innerDigest = digestOf("sha1", Buffer.concat([inner, Buffer.from(stringToSign, encoding)]));
  return digestOf("sha1", Buffer.concat([outer, innerDigest])).toString("base64");
}

const SHA1_BLOCK = 64;
// The emulator knows a handful of secrets; a bounded few keep their padded keys.
const paddedKeys = new Map<string, { inner: Buffer; outer: Buffer }>();
function paddedKey(secret: string): { inner: Buffer; outer: Buffer } {
  let key: { inner: Buffer; outer: Buffer } | undefined = paddedKeys.get(secret);
  if (key === undefined) {
    const bytes = Buffer.from(secret, "utf8");
    const block = Buffer.alloc(SHA1_BLOCK);
    (bytes.length > SHA1_BLOCK ? digestOf("sha1", bytes) : bytes).copy(block);
    key = { inner: Buffer.from(block.map((byte) => byte ^ 0x36)), outer: Buffer.from(block.map((byte) => byte ^ 0x5c)) };
    if (paddedKeys.size < 64) paddedKeys.set(secret, key);
  }
  return key;
}

export function headerValue(value: string | string[] | undefined): string {
  return Array.isArray(value) ? value.join(",") : (value ?? "");
}
