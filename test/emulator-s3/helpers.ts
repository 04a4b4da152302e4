// Shared by the S3 dialect's suites: the official S3 client pointed at a local server, path style or virtual host.
import { createHash, createHmac, type Hash, type Hmac } from "node:crypto";
import http from "node:http";
import type { LookupFunction } from "node:net";
import { S3Client, type S3ClientConfig } from "@aws-sdk/client-s3";
import { SignatureV4 } from "@smithy/signature-v4";
import type { OssEmulator } from "../../emulator/index.ts";

// The SDK warns once per process that its releases from 2027 on need Node 22; the pinned release works on 20.
process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED = "true";

export type S3Addressing = "path" | "virtual-host";

// Resolves every name to 127.0.0.1: the only way to reach `bucket.localhost` without touching the system's DNS.
const toLoopback: LookupFunction = (_hostname, options, callback) => {
  if (options.all) callback(null, [{ address: "127.0.0.1", family: 4 }]);
  else callback(null, "127.0.0.1", 4);
};

/** A real S3Client for `emulator`'s S3 dialect, with its keys (or `credentials` given), no retries. */
export function s3ClientFor(
  emulator: Pick<OssEmulator, "endpoint" | "accessKeyId" | "accessKeySecret">,
  addressing: S3Addressing = "path",
  extra: Partial<S3ClientConfig> = {},
): S3Client {
  return new S3Client({
    endpoint: emulator.endpoint,
    region: "us-east-1",
    forcePathStyle: addressing === "path",
    credentials: { accessKeyId: emulator.accessKeyId, secretAccessKey: emulator.accessKeySecret },
    maxAttempts: 1,
    ...(addressing === "virtual-host" ? { requestHandler: { httpAgent: new http.Agent({ keepAlive: true, lookup: toLoopback }) } } : {}),
    ...extra,
  });
}

/** The error a promise rejects with (fails the test when it resolves). */
export async function rejectionOf(promise: Promise<unknown>): Promise<Error & { name: string; Code?: string; $metadata?: { httpStatusCode?: number } }> {
  try {
    await promise;
  } catch (error) {
    return error as Error & { name: string; Code?: string; $metadata?: { httpStatusCode?: number } };
  }
  throw new Error("expected the promise to reject");
}

/** `n` bytes of a repeating, position-dependent pattern (so that misplaced bytes show). */
export function patterned(n: number, seed = 0): Buffer {
  const buffer = Buffer.allocUnsafe(n);
  for (let i = 0; i < n; i++) buffer[i] = (i * 31 + seed * 7 + (i >> 8)) & 0xff;
  return buffer;
}

type SourceData = string | ArrayBuffer | ArrayBufferView;

/** SHA-256 (and HMAC-SHA256 with a key) in the shape the SDK's signer takes. */
export class NodeSha256 {
  private readonly hash: Hash | Hmac;
  constructor(secret?: SourceData) {
    this.hash = secret === undefined ? createHash("sha256") : createHmac("sha256", toBytes(secret));
  }
  update(data: Uint8Array | string): void {
    this.hash.update(typeof data === "string" ? Buffer.from(data, "utf8") : data);
  }
  async digest(): Promise<Uint8Array> {
    return new Uint8Array(this.hash.digest());
  }
}

function toBytes(data: SourceData): Uint8Array {
  if (typeof data === "string") return Buffer.from(data, "utf8");
  if (ArrayBuffer.isView(data)) return new Uint8Array(data.buffer, data.byteOffset, data.byteLength);
  return new Uint8Array(data);
}

/** The SDK's own SigV4 signer (the one S3Client uses), for raw requests the client would not make. */
export function signerFor(emulator: Pick<OssEmulator, "accessKeyId" | "accessKeySecret">, secret = emulator.accessKeySecret): SignatureV4 {
  return new SignatureV4({
    credentials: { accessKeyId: emulator.accessKeyId, secretAccessKey: secret },
    region: "us-east-1",
    service: "s3",
    sha256: NodeSha256,
    // S3 signs the path as sent, escaped once.
    uriEscapePath: false,
  });
}

export interface RawResponse {
  status: number;
  headers: http.IncomingHttpHeaders;
  body: string;
}

/**
 * Signs (with the SDK's signer, unless `sign` is false) and sends a raw path-style request: `path` is sent as
 * given, `headers` are signed as given (x-amz-content-sha256 among them, or the body's hash is added).
 */
export async function rawS3(
  emulator: Pick<OssEmulator, "port" | "accessKeyId" | "accessKeySecret">,
  request: {
    method: string;
    path: string;
    query?: Record<string, string>;
    headers?: Record<string, string>;
    body?: Buffer | string;
    signingDate?: Date;
    secret?: string;
    sign?: boolean;
    /** Changes the request after signing (tampering). */
    after?: (headers: Record<string, string>) => void;
    /** A body to send instead of the one signed. */
    sendBody?: Buffer | string;
  },
): Promise<RawResponse> {
  const port = emulator.port;
  const headers: Record<string, string> = { host: `localhost:${port}`, ...request.headers };
  if (request.sign !== false) {
    const signed = await signerFor(emulator, request.secret).sign(
      { method: request.method, protocol: "http:", hostname: "localhost", port, path: request.path, query: request.query ?? {}, headers, body: request.body },
      request.signingDate ? { signingDate: request.signingDate } : {},
    );
    Object.assign(headers, signed.headers);
  }
  request.after?.(headers);
  const query = new URLSearchParams(request.query ?? {}).toString().replace(/\+/g, "%20");
  return new Promise((resolve, reject) => {
    const req = http.request(
      { host: "127.0.0.1", port, method: request.method, path: query === "" ? request.path : `${request.path}?${query}`, headers },
      (res) => {
        const chunks: Buffer[] = [];
        res.on("data", (chunk: Buffer) => chunks.push(chunk));
        res.on("end", () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(chunks).toString("utf8") }));
        res.on("error", reject);
      },
    );
    req.on("error", reject);
    req.end(request.sendBody ?? request.body);
  });
}

/** The text of element `name` in an XML document (first occurrence). */
export function xmlText(xml: string, name: string): string | undefined {
  return new RegExp(`<${name}>([\\s\\S]*?)</${name}>`).exec(xml)?.[1];
}
