// Shared by the S3 dialect's suites: the official S3 client pointed at a local server, path style or virtual host.
import http from "node:http";
import type { LookupFunction } from "node:net";
import { S3Client, type S3ClientConfig } from "@aws-sdk/client-s3";
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
