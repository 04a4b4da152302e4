// A large object, streamed both ways without ever being held in memory: generated as it is uploaded, hashed as it
// is downloaded. 1 GiB by default; OSS_LARGE_MIB=<n> picks another size. The local server runs in a child process
// so that this process's memory is the element's.
import { createHash } from "node:crypto";
import { Transform } from "node:stream";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { loadApp, type App, type Storage } from "../../index.ts";
import { basicApp, noiseStream, sha256, startServerProcess } from "./helpers.ts";

const MiB = 1024 * 1024;
const size = Number(process.env.OSS_LARGE_MIB ?? 1024) * MiB;

let server: Awaited<ReturnType<typeof startServerProcess>>;
let app: App;
let storage: Storage;

beforeAll(async () => {
  server = await startServerProcess();
  app = await loadApp(basicApp, { env: server.env });
  storage = app.getElement("storages.MyOss");
});

afterAll(async () => {
  await app?.close();
  await server?.stop();
});

describe(`a ${size / MiB} MiB object`, () => {
  it("goes up from a stream and comes down as a stream with the same SHA-256, memory staying flat", async () => {
    const sent = createHash("sha256");
    const tap = new Transform({
      transform(chunk: Buffer, _encoding, done) {
        sent.update(chunk);
        done(null, chunk);
      },
    });
    // Warm up first (client, sockets, code), so that what is measured is what the upload holds.
    await storage.upload("large/warm-up.bin", noiseStream(24 * MiB, 2));
    await storage.delete("large/warm-up.bin");
    const before = process.memoryUsage().rss;
    let peak = before;
    const sampler = setInterval(() => (peak = Math.max(peak, process.memoryUsage().rss)), 20);
    let lastProgress = 0;
    try {
      const result = await storage.upload("large/object.bin", noiseStream(size).pipe(tap), { onProgress: (p) => (lastProgress = p.loaded) });
      expect(result.size).toBe(size);
      expect(lastProgress).toBe(size);
      expect(result.etag).toMatch(new RegExp(`-${Math.ceil(size / (8 * MiB))}$`));
    } finally {
      clearInterval(sampler);
    }
    // Parts of 8 MiB, four in flight: a bounded window however large the object.
    const growth = (peak - before) / MiB;
    expect(growth).toBeLessThan(100);

    expect((await storage.getObject("large/object.bin")).size).toBe(size);
    expect(await sha256(await storage.downloadStream("large/object.bin"))).toBe(sent.digest("hex"));
    await storage.delete("large/object.bin");
  });
});
