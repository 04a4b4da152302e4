// What the StorageSvc suites share: a fixture app loaded as a user would, on a fresh disk folder, with the local
// OSS server for its OSS storage, and a clock the test moves.
import { mkdtemp, rm } from "node:fs/promises";
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { expect } from "vitest";
import { startOssEmulator, type OssEmulator } from "../../emulator/index.ts";
import { loadApp, Storage, StorageError, StorageSvc, type App } from "../../index.ts";

export const SVC = "storages.services.StorageSvc";

/** A folder of test/fixtures/svc-apps. */
export function svcFixture(name: string): string {
  return fileURLToPath(new URL(`../fixtures/svc-apps/${name}/`, import.meta.url));
}

export interface SvcFixture {
  app: App;
  svc: StorageSvc;
  /** The disk storages' folder (`SVC_DISK_DIR`). */
  dir: string;
  /** The local OSS server, when asked for. */
  oss: OssEmulator | undefined;
  /** The env the app was loaded with. */
  env: Record<string, string>;
  /** The test's clock (ms since the epoch), which the service reads. */
  clock: { now: number; advance(seconds: number): void };
  storage(fullName: string): Storage;
  dispose(): Promise<void>;
}

/** Loads the fixture app `name` on a fresh folder (and with `oss`, a local OSS server for its OSS storages). */
export async function openSvcApp(name: string, options: { oss?: boolean; env?: Record<string, string> } = {}): Promise<SvcFixture> {
  const dir = await mkdtemp(join(tmpdir(), "storage-svc-"));
  const oss = options.oss === true ? await startOssEmulator() : undefined;
  const env: Record<string, string> = { SVC_DISK_DIR: dir, ...options.env };
  if (oss !== undefined) Object.assign(env, { OSS_ACCESS_KEY_ID: oss.accessKeyId, OSS_ACCESS_KEY_SECRET: oss.accessKeySecret, OSS_ENDPOINT: oss.endpoint, OSS_BUCKET: oss.bucket });
  const app = await loadApp(svcFixture(name), { env });
  const svc = app.getElement(SVC);
  const clock = {
    now: Date.UTC(2026, 0, 1, 12, 0, 0),
    advance(seconds: number) {
      clock.now += seconds * 1000;
    },
  };
  svc.now = () => clock.now;
  return {
    app,
    svc,
    dir,
    oss,
    env,
    clock,
    storage(fullName) {
      const element = app.getElement(fullName);
      if (!(element instanceof Storage)) throw new Error(`${fullName} is not a storage`);
      return element;
    },
    async dispose() {
      await app.close();
      await oss?.stop();
      await rm(dir, { recursive: true, force: true });
    },
  };
}

/** A local HTTP server running `handler`; `url(path)` addresses it. */
export async function serve(handler: Parameters<typeof createServer>[1]): Promise<{ server: Server; url(path: string): string; close(): Promise<void> }> {
  const server = createServer(handler);
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as AddressInfo;
  return {
    server,
    url: (path) => `http://127.0.0.1:${port}${path}`,
    close: () => new Promise<void>((resolve) => {
      server.closeAllConnections();
      server.close(() => resolve());
    }),
  };
}

/** Awaits `promise`, expecting an error that is an instance of `kind` with `fields`; returns it. */
export async function expectFailure<E extends Error>(promise: Promise<unknown>, kind: abstract new (...args: never[]) => E, fields: Record<string, unknown>): Promise<E> {
  const error = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(kind);
  expect(error).toMatchObject(fields);
  return error as E;
}

export { StorageError };
