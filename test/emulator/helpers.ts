// Shared by the emulator suites: clients in every addressing and auth mode, and an independent implementation of
// the documented V1 signature for raw requests the client cannot make (skewed dates, anonymous, tampering).
import { createHmac } from "node:crypto";
import http from "node:http";
import type { LookupFunction } from "node:net";
import type { Readable } from "node:stream";
import OSS from "ali-oss";
import type { OssEmulator } from "../../emulator/index.ts";

/** The client's options, plus the ones its type declarations leave out. */
export type ClientOptions = OSS.Options & { sldEnable?: boolean; agent?: http.Agent; retryMax?: number };

export type Addressing = "path" | "ip" | "virtual-host" | "cname";

// Resolves every name to 127.0.0.1: the only way to reach `bucket.localhost` without touching the system's DNS.
const toLoopback: LookupFunction = (_hostname, options, callback) => {
  if (options.all) callback(null, [{ address: "127.0.0.1", family: 4 }]);
  else callback(null, "127.0.0.1", 4);
};

/** The parts of the client's answer the tests read. */
export interface Res {
  status: number;
  headers: Record<string, string | undefined>;
}

interface Options {
  headers?: Record<string, string>;
  meta?: Record<string, string>;
  subres?: Record<string, string>;
  timeout?: number;
}

export interface ListedObject {
  name: string;
  lastModified: string;
  etag: string;
  type: string;
  size: number;
  storageClass: string;
  owner: { id: string; displayName: string } | null;
}

export interface PartEntry {
  PartNumber: string;
  ETag: string;
  Size: string;
  LastModified: string;
}

/**
 * The ali-oss client as its source (lib/object.js, lib/common/…) behaves. @types/ali-oss disagrees with it in
 * places (listBuckets' result, useBucket's return, user metadata, missing methods), so the tests use this.
 */
export interface Client {
  put(name: string, body: Buffer, options?: Options): Promise<{ name: string; res: Res }>;
  putStream(name: string, stream: Readable, options?: Options & { contentLength?: number }): Promise<{ res: Res }>;
  append(name: string, body: Buffer, options?: Options & { position?: string }): Promise<{ res: Res; nextAppendPosition: string }>;
  get(name: string, options?: Options): Promise<{ content: Buffer; res: Res }>;
  getStream(name: string, options?: Options): Promise<{ stream: Readable; res: Res }>;
  head(name: string, options?: Options): Promise<{ status: number; meta: Record<string, string> | null; res: Res }>;
  getObjectMeta(name: string): Promise<{ status: number; res: Res }>;
  delete(name: string): Promise<{ res: Res }>;
  deleteMulti(names: string[], options?: { quiet?: boolean }): Promise<{ deleted: Array<{ Key: string }>; res: Res }>;
  copy(name: string, source: string, bucketOrOptions?: string | Options, options?: Options): Promise<{ data: { etag: string; lastModified: string } | null; res: Res }>;
  putMeta(name: string, meta: Record<string, string>, options?: Options): Promise<{ res: Res }>;
  list(query: Record<string, string | number>, options: Options): Promise<{ objects: ListedObject[]; prefixes: string[] | null; nextMarker: string | null; isTruncated: boolean; res: Res }>;
  listV2(query: Record<string, string | number | boolean>, options: Options): Promise<{ objects: ListedObject[]; prefixes: string[] | null; isTruncated: boolean; keyCount: number; nextContinuationToken: string | null; res: Res }>;
  putACL(name: string, acl: string): Promise<{ res: Res }>;
  getACL(name: string): Promise<{ acl: string; res: Res }>;
  putObjectTagging(name: string, tags: Record<string, string>): Promise<{ res: Res }>;
  getObjectTagging(name: string): Promise<{ tag: Record<string, string>; res: Res }>;
  deleteObjectTagging(name: string): Promise<{ res: Res }>;
  putSymlink(name: string, target: string): Promise<{ res: Res }>;
  getSymlink(name: string): Promise<{ targetName: string; res: Res }>;
  signatureUrl(name: string, options?: { expires?: number; method?: string; "Content-Type"?: string; response?: Record<string, string> }): string;
  signatureUrlV4(method: string, expires: number, request: { headers?: Record<string, string>; queries?: Record<string, string> } | undefined, name: string): Promise<string>;
  initMultipartUpload(name: string, options?: Options): Promise<{ uploadId: string; res: Res }>;
  uploadPart(name: string, uploadId: string, partNumber: number, file: string, start: number, end: number): Promise<{ etag: string; res: Res }>;
  uploadPartCopy(name: string, uploadId: string, partNumber: number, range: string, source: { sourceKey: string; sourceBucketName: string }): Promise<{ etag: string; res: Res }>;
  completeMultipartUpload(name: string, uploadId: string, parts: Array<{ number: number; etag: string }>): Promise<{ etag: string; res: Res }>;
  multipartUpload(name: string, file: string, options?: Options & { partSize?: number; parallel?: number; progress?: (p: number) => void }): Promise<{ etag: string; res: Res }>;
  abortMultipartUpload(name: string, uploadId: string): Promise<{ res: Res }>;
  listParts(name: string, uploadId: string, query?: Record<string, string>, options?: Options): Promise<{ parts: PartEntry | PartEntry[]; res: Res }>;
  listUploads(query: Record<string, string>, options?: Options): Promise<{ uploads: Array<{ name: string; uploadId: string; initiated: string }>; res: Res }>;
  listBuckets(query?: Record<string, string>): Promise<{ buckets: Array<{ name: string; region: string }> | null; res: Res }>;
  putBucket(name: string, options?: { acl?: string }): Promise<{ res: Res }>;
  deleteBucket(name: string): Promise<{ res: Res }>;
  getBucketInfo(name: string): Promise<{ bucket: Record<string, unknown>; res: Res }>;
  getBucketLocation(name: string): Promise<{ location: string; res: Res }>;
  putBucketACL(name: string, acl: string): Promise<{ res: Res }>;
  getBucketACL(name: string): Promise<{ acl: string; res: Res }>;
  putBucketCORS(
    name: string,
    rules: Array<{ allowedOrigin: string | string[]; allowedMethod: string | string[]; allowedHeader?: string | string[]; exposeHeader?: string | string[]; maxAgeSeconds?: string }>,
  ): Promise<{ res: Res }>;
  getBucketCORS(name: string): Promise<{ rules: unknown[]; res: Res }>;
  deleteBucketCORS(name: string): Promise<{ res: Res }>;
  useBucket(name: string): Client;
  restore(name: string, options?: { type?: string; Days?: number; JobParameters?: string }): Promise<{ res: Res }>;
  calculatePostSignature(policy: object | string): { OSSAccessKeyId: string; Signature: string; policy: string };
  signPostObjectPolicyV4(policy: object | string, date: Date): string;
}

/** A real ali-oss client for `emulator`, addressing it as `addressing` says, signing V1 or V4. */
export function clientFor(
  emulator: Pick<OssEmulator, "endpoint" | "accessKeyId" | "accessKeySecret" | "bucket">,
  addressing: Addressing = "path",
  signing: "v1" | "v4" = "v1",
  extra: Partial<ClientOptions> = {},
): Client {
  const options: ClientOptions = {
    accessKeyId: emulator.accessKeyId,
    accessKeySecret: emulator.accessKeySecret,
    bucket: emulator.bucket,
    endpoint: emulator.endpoint,
    authorizationV4: signing === "v4",
    ...extra,
  };
  if (addressing === "path") options.sldEnable = true;
  if (addressing === "ip") options.endpoint = `http://127.0.0.1:${new URL(emulator.endpoint).port}`;
  if (addressing === "cname") options.cname = true;
  if (addressing === "virtual-host") options.agent = new http.Agent({ keepAlive: true, lookup: toLoopback });
  return new OSS(options) as unknown as Client;
}

/** The error a promise rejects with (fails the test when it resolves). */
export async function rejectionOf(promise: Promise<unknown>): Promise<Error & { code?: string; status?: number; requestId?: string }> {
  try {
    await promise;
  } catch (error) {
    return error as Error & { code?: string; status?: number; requestId?: string };
  }
  throw new Error("expected the promise to reject");
}

/** The text of element `name` in an XML document (first occurrence), entities left as they are. */
export function xmlText(xml: string, name: string): string | undefined {
  return new RegExp(`<${name}>([\\s\\S]*?)</${name}>`).exec(xml)?.[1];
}

/** Every text of elements named `name`. */
export function xmlTexts(xml: string, name: string): string[] {
  return [...xml.matchAll(new RegExp(`<${name}>([\\s\\S]*?)</${name}>`, "g"))].map((m) => m[1]!);
}

/**
 * Signs a raw request with the documented V1 algorithm (path style): returns the headers to send. `date` defaults
 * to now; `secret` to the emulator's.
 */
export function signV1(
  emulator: Pick<OssEmulator, "accessKeyId" | "accessKeySecret">,
  request: {
    method: string;
    bucket: string;
    key?: string;
    subresources?: Record<string, string>;
    headers?: Record<string, string>;
    date?: Date;
    accessKeyId?: string;
    secret?: string;
  },
): Record<string, string> {
  const headers: Record<string, string> = { ...request.headers, date: (request.date ?? new Date()).toUTCString() };
  const lower = Object.fromEntries(Object.entries(headers).map(([k, v]) => [k.toLowerCase(), v]));
  const ossHeaders = Object.keys(lower)
    .filter((k) => k.startsWith("x-oss-"))
    .sort()
    .map((k) => `${k}:${lower[k]!.trim()}\n`)
    .join("");
  const sub = Object.entries(request.subresources ?? {})
    .sort(([a], [b]) => (a < b ? -1 : 1))
    .map(([k, v]) => (v === "" ? k : `${k}=${v}`))
    .join("&");
  const resource = `/${request.bucket}/${request.key ?? ""}${sub ? `?${sub}` : ""}`;
  const stringToSign = `${request.method}\n${lower["content-md5"] ?? ""}\n${lower["content-type"] ?? ""}\n${lower.date}\n${ossHeaders}${resource}`;
  const signature = createHmac("sha1", request.secret ?? emulator.accessKeySecret).update(stringToSign, "utf8").digest("base64");
  return { ...headers, authorization: `OSS ${request.accessKeyId ?? emulator.accessKeyId}:${signature}` };
}

/** The URL of `key` in path style on the emulator, each path segment escaped. */
export function objectUrl(emulator: OssEmulator, key: string, bucket = emulator.bucket): string {
  return `${emulator.endpoint}/${bucket}/${key.split("/").map(encodeURIComponent).join("/")}`;
}

/** `n` bytes of a repeating, position-dependent pattern (so that misplaced bytes show). */
export function patterned(n: number, seed = 0): Buffer {
  const buffer = Buffer.allocUnsafe(n);
  for (let i = 0; i < n; i++) buffer[i] = (i * 31 + seed * 7 + (i >> 8)) & 0xff;
  return buffer;
}

/** A raw HTTP request (no URL normalization, unlike fetch): the status, headers and body text. */
export function rawRequest(
  emulator: Pick<OssEmulator, "port">,
  request: { method: string; path: string; headers?: Record<string, string>; body?: Buffer | string },
): Promise<{ status: number; headers: http.IncomingHttpHeaders; body: string }> {
  return new Promise((resolve, reject) => {
    const req = http.request(
      { host: "127.0.0.1", port: emulator.port, method: request.method, path: request.path, headers: request.headers },
      (res) => {
        const chunks: Buffer[] = [];
        res.on("data", (chunk: Buffer) => chunks.push(chunk));
        res.on("end", () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(chunks).toString("utf8") }));
        res.on("error", reject);
      },
    );
    req.on("error", reject);
    req.end(request.body);
  });
}

/**
 * CRC-64/ECMA-182 as the service documents it for x-oss-hash-crc64ecma (reflected, all-ones initial value and
 * final xor, the check value of "123456789" being 11051210869376104954), bit by bit: slow, and independent of
 * the emulator's table-driven code. For test data only.
 */
export function referenceCrc64(data: Uint8Array): string {
  const poly = 0xc96c5795d7870f42n;
  let crc = 0xffffffffffffffffn;
  for (const byte of data) {
    crc ^= BigInt(byte);
    for (let bit = 0; bit < 8; bit++) crc = crc & 1n ? (crc >> 1n) ^ poly : crc >> 1n;
  }
  return (crc ^ 0xffffffffffffffffn).toString();
}

// The documented V2 encoding: every byte but A-Z a-z 0-9 - _ . ~ as %XX, slashes of the path included.
function v2Encode(text: string): string {
  return [...Buffer.from(text, "utf8")]
    .map((b) => (/[A-Za-z0-9\-_.~]/.test(String.fromCharCode(b)) ? String.fromCharCode(b) : `%${b.toString(16).toUpperCase().padStart(2, "0")}`))
    .join("");
}

function v2StringToSign(request: { method: string; bucket: string; key: string; headers: Record<string, string>; query: Record<string, string>; date: string; additional: string[] }): string {
  const lower = Object.fromEntries(Object.entries(request.headers).map(([k, v]) => [k.toLowerCase(), v]));
  const canonical = Object.keys(lower)
    .filter((k) => k.startsWith("x-oss-") || request.additional.includes(k))
    .sort()
    .map((k) => `${k}:${lower[k]}\n`)
    .join("");
  const query = Object.entries(request.query)
    .map(([k, v]) => [v2Encode(k), v2Encode(v)])
    .sort(([a], [b]) => (a! < b! ? -1 : 1))
    .map(([k, v]) => (v === "" ? k : `${k}=${v}`))
    .join("&");
  const resource = v2Encode(`/${request.bucket}/${request.key}`) + (query ? `?${query}` : "");
  return `${request.method}\n${lower["content-md5"] ?? ""}\n${lower["content-type"] ?? ""}\n${request.date}\n${canonical}${[...request.additional].sort().join(";")}\n${resource}`;
}

/** Headers for a raw request signed with the documented V2 algorithm (`Authorization: OSS2 …`), path style. */
export function signV2(
  emulator: Pick<OssEmulator, "accessKeyId" | "accessKeySecret">,
  request: { method: string; bucket: string; key?: string; query?: Record<string, string>; headers?: Record<string, string>; additional?: string[]; secret?: string },
): Record<string, string> {
  const headers = { ...request.headers, date: new Date().toUTCString() };
  const additional = request.additional ?? [];
  const stringToSign = v2StringToSign({ method: request.method, bucket: request.bucket, key: request.key ?? "", headers, query: request.query ?? {}, date: headers.date, additional });
  const signature = createHmac("sha256", request.secret ?? emulator.accessKeySecret).update(stringToSign, "utf8").digest("base64");
  const fields = [`AccessKeyId:${emulator.accessKeyId}`, ...(additional.length > 0 ? [`AdditionalHeaders:${additional.join(";")}`] : []), `Signature:${signature}`];
  return { ...headers, authorization: `OSS2 ${fields.join(",")}` };
}

/** A V2 presigned URL (x-oss-signature-version=OSS2) for `key`, path style, valid `seconds` from now (negative: expired). */
export function presignV2(emulator: Pick<OssEmulator, "endpoint" | "accessKeyId" | "accessKeySecret">, method: string, bucket: string, key: string, seconds: number): string {
  const query: Record<string, string> = {
    "x-oss-signature-version": "OSS2",
    "x-oss-expires": String(Math.floor(Date.now() / 1000) + seconds),
    "x-oss-access-key-id": emulator.accessKeyId,
  };
  const stringToSign = v2StringToSign({ method, bucket, key, headers: {}, query, date: query["x-oss-expires"]!, additional: [] });
  query["x-oss-signature"] = createHmac("sha256", emulator.accessKeySecret).update(stringToSign, "utf8").digest("base64");
  const search = Object.entries(query).map(([k, v]) => `${encodeURIComponent(k)}=${encodeURIComponent(v)}`).join("&");
  return `${emulator.endpoint}/${bucket}/${key.split("/").map(encodeURIComponent).join("/")}?${search}`;
}

/** A POST with a chunked body of `body`, 64 KiB at a time; resolves with the status and body text. */
export function chunkedRequest(port: number, path: string, headers: Record<string, string>, body: Buffer): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const req = http.request({ host: "127.0.0.1", port, method: "POST", path, headers: { ...headers, "transfer-encoding": "chunked" } }, (res) => {
      let text = "";
      res.setEncoding("utf8");
      res.on("data", (chunk: string) => (text += chunk));
      res.on("end", () => resolve({ status: res.statusCode ?? 0, body: text }));
      res.on("error", reject);
    });
    req.on("error", reject);
    for (let at = 0; at < body.length; at += 64 * 1024) req.write(body.subarray(at, at + 64 * 1024));
    req.end();
  });
}
