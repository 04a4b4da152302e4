// What the OSS storage suites share: the local OSS server, and the fixture app loaded as a user would.
import { fileURLToPath } from "node:url";
import { DEFAULT_ACCESS_KEY_ID, DEFAULT_ACCESS_KEY_SECRET, DEFAULT_BUCKET, startOssEmulator, type OssEmulator } from "../../emulator/index.ts";
import { startOssEmulatorProcess } from "../../emulator/process.ts";
import { expect } from "vitest";
import { loadApp, StorageError, type App, type Storage } from "../../index.ts";

// Test data and hashes are the contract's; the storage suites take them from there.
export { noise, noiseStream, sha256 } from "../contract/helpers.ts";

/** The fixture app with MyOss (defaults), Tuned (small parts, quick retries) and Archive (a custom Type). */
export const basicApp = fileURLToPath(new URL("../fixtures/storage-apps/basic/", import.meta.url));

/** How an instance reaches the local server. */
export interface Variant {
  /** "localhost" (a host name: path style) or "ip" (127.0.0.1: the client's IP mode, presigning done by us). */
  host: "localhost" | "ip";
  signatureVersion: "v1" | "v4";
}

/** The environment the fixture app's configs read, for `server` reached as `variant` says. */
export function envFor(server: OssEmulator, variant: Variant = { host: "localhost", signatureVersion: "v1" }): Record<string, string> {
  return {
    OSS_ACCESS_KEY_ID: server.accessKeyId,
    OSS_ACCESS_KEY_SECRET: server.accessKeySecret,
    OSS_ENDPOINT: variant.host === "ip" ? server.endpoint.replace("//localhost:", "//127.0.0.1:") : server.endpoint,
    OSS_BUCKET: server.bucket,
    OSS_SIGNATURE_VERSION: variant.signatureVersion,
  };
}

/** A local OSS server and the fixture app loaded against it; `stop()` closes both. */
export async function startLocal(variant?: Variant): Promise<{ server: OssEmulator; app: App; storage: Storage; env: Record<string, string>; stop(): Promise<void> }> {
  const server = await startOssEmulator();
  const env = envFor(server, variant);
  const app = await loadApp(basicApp, { env });
  return {
    server,
    app,
    storage: app.getElement("storages.MyOss"),
    env,
    async stop() {
      await app.close();
      await server.stop();
    },
  };
}

/** A name no other test uses, under `prefix`. */
export function uniqueName(prefix: string, suffix = ".bin"): string {
  return `${prefix}${Date.now().toString(36)}-${Math.random().toString(36).slice(2, 8)}${suffix}`;
}

/** The local OSS server in a child process, with the env the fixture apps read. */
export async function startServerProcess(): Promise<{ endpoint: string; env: Record<string, string>; stop(): Promise<void> }> {
  const server = await startOssEmulatorProcess();
  return {
    ...server,
    env: {
      OSS_ACCESS_KEY_ID: DEFAULT_ACCESS_KEY_ID,
      OSS_ACCESS_KEY_SECRET: DEFAULT_ACCESS_KEY_SECRET,
      OSS_ENDPOINT: server.endpoint,
      OSS_BUCKET: DEFAULT_BUCKET,
      OSS_SIGNATURE_VERSION: "v1",
    },
  };
}

/** Awaits `promise`, expecting it to reject with a StorageError; returns that error. */
export async function storageFailure(promise: Promise<unknown>): Promise<StorageError> {
  const error = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(StorageError);
  return error as StorageError;
}
