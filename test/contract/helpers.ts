// What the contract and the storage suites share: deterministic test data, hashes, and the target for a Type that
// keeps its objects on disk (a temporary folder, and an HTTP server with the storage's handler for signed URLs).
import { createHash } from "node:crypto";
import { mkdtemp, rm } from "node:fs/promises";
import { createServer, type RequestListener } from "node:http";
import type { AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Readable } from "node:stream";
import { fileURLToPath } from "node:url";
import { DiskStorage, loadApp } from "../../index.ts";
import type { StorageTarget, StorageTraits } from "./storage-contract.ts";

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

/**
 * `size` bytes of deterministic noise, generated as it is read (never held whole), in chunks of `chunkSize`.
 * The same `seed` gives the same bytes.
 */
export function noiseStream(size: number, seed = 1, chunkSize = 1 << 20): Readable {
  let produced = 0;
  let counter = 0;
  // One pseudo-random block, varied per chunk by a counter: cheap to make, different everywhere.
  const block = noise(chunkSize, seed);
  return new Readable({
    read() {
      if (produced >= size) {
        this.push(null);
        return;
      }
      const length = Math.min(chunkSize, size - produced);
      const chunk = Buffer.from(block.subarray(0, length));
      chunk.writeUInt32LE(counter++ >>> 0, 0);
      produced += length;
      this.push(chunk);
    },
  });
}

/** `size` bytes of deterministic noise in memory. */
export function noise(size: number, seed = 1): Buffer {
  const data = Buffer.allocUnsafe(size);
  let x = seed >>> 0 || 1;
  for (let i = 0; i + 4 <= size; i += 4) {
    x ^= x << 13;
    x >>>= 0;
    x ^= x >>> 17;
    x ^= x << 5;
    x >>>= 0;
    data.writeUInt32LE(x, i);
  }
  for (let i = size - (size % 4); i < size; i++) data[i] = i & 0xff;
  return data;
}

/** SHA-256 (hex) of a buffer or of everything a stream gives. */
export async function sha256(source: Buffer | Readable): Promise<string> {
  const hash = createHash("sha256");
  if (Buffer.isBuffer(source)) return hash.update(source).digest("hex");
  for await (const chunk of source as AsyncIterable<Buffer>) hash.update(chunk);
  return hash.digest("hex");
}

/** MD5 in upper-case hex: the ETag of an object stored whole. */
export function md5(data: Buffer): string {
  return createHash("md5").update(data).digest("hex").toUpperCase();
}
