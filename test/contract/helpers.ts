// What the contract and the storage suites share: deterministic test data, hashes, and the target for a Type that
// keeps its objects on disk (a temporary folder, and an HTTP server with the storage's handler for signed URLs).
import { mkdtemp, rm } from "node:fs/promises";
import { createServer, type RequestListener } from "node:http";
import type { AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { DiskStorage, loadApp } from "../../index.ts";
import type { StorageTarget, StorageTraits } from "./storage-contract.ts";

// The test data lives in its own module, which the contract imports without importing this one (no import cycle).
export { md5, noise, noiseStream, sha256 } from "./test-data.ts";

/** The folder of a fixture app under test/fixtures/contract-apps/. */
export function contractApp(name: string): string {
  return fileURLToPath(new URL(`../fixtures/contract-apps/${name}/`, import.meta.url));
}

/**
 * What sets a disk-backed Type apart: one kind of ETag (the MD5 of the bytes, however they came), and names that
 * are paths of files, each part at most 253 bytes (the filesystem's 255 less the metadata file's suffix).
 */
export const DISK_TRAITS: StorageTraits = { partEtags: false, versionEtags: true, pathNames: { maxSegmentBytes: 253 } };

/**
 * A storage built on DiskStorage, in the fixture app `appDir`: on a temporary folder (`DISK_DIR`), its signed URLs
 * served by its own `requestHandler()` mounted on a local HTTP server (`DISK_BASE_URL`).
 */
export function diskTarget(appDir: string, element: string, options: { tuned?: string; traits?: StorageTraits } = {}): StorageTarget {
  return {
    element,
    tuned: options.tuned,
    prefix: "contract/",
    traits: options.traits ?? DISK_TRAITS,
    async start() {
      const dir = await mkdtemp(join(tmpdir(), "contract-disk-"));
      // The server listens first, so that baseUrl can name its port; each loaded app's handler is mounted after.
      let handler: RequestListener | undefined;
      const server = createServer((request, response) => {
        if (handler !== undefined) return handler(request, response);
        response.statusCode = 503;
        response.end();
      });
      await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
      const baseUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}/files`;
      return {
        async load(env = {}) {
          const app = await loadApp(appDir, { env: { DISK_DIR: dir, DISK_BASE_URL: baseUrl, ...env } });
          const storage = app.getElement(element);
          if (!(storage instanceof DiskStorage)) throw new Error(`${element} is not a DiskStorage, so its handler cannot be mounted`);
          handler = storage.requestHandler();
          return app;
        },
        async stop() {
          server.closeAllConnections();
          await new Promise((resolve) => server.close(resolve));
          await rm(dir, { recursive: true, force: true });
        },
      };
    },
  };
}
