// Large objects and many at once: a 200 MiB object streams up and down without being held in memory, and 100
// uploads in parallel all land whole.
import { createHash } from "node:crypto";
import { Transform } from "node:stream";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { VERSION_ETAG, md5, noise, noiseStream, openDiskApp, sha256, type DiskFixture } from "./helpers.ts";

const MiB = 1024 * 1024;

let fixture: DiskFixture;

beforeAll(async () => {
  fixture = await openDiskApp();
});

afterAll(() => fixture.dispose());

describe("a 200 MiB object", () => {
  it("goes up from a stream and comes down as a stream with the same SHA-256, memory staying flat", async () => {
    const size = 200 * MiB;
    const sent = createHash("sha256");
    const sentMd5 = createHash("md5");
    const tap = new Transform({
      transform(chunk: Buffer, _encoding, done) {
        sent.update(chunk);
        sentMd5.update(chunk);
        done(null, chunk);
      },
    });
    const before = process.memoryUsage().rss;
    let peak = before;
    const sampler = setInterval(() => (peak = Math.max(peak, process.memoryUsage().rss)), 20);
    let lastProgress = 0;
    try {
      const result = await fixture.disk.upload("large/object.bin", noiseStream(size).pipe(tap), { onProgress: (p) => (lastProgress = p.loaded) });
      expect(result.size).toBe(size);
      expect(result.etag).toMatch(VERSION_ETAG);
      expect(await fixture.disk.contentMd5("large/object.bin")).toBe(sentMd5.digest("hex").toUpperCase());
      expect(lastProgress).toBe(size);
      expect(await sha256(await fixture.disk.downloadStream("large/object.bin"))).toBe(sent.digest("hex"));
    } finally {
      clearInterval(sampler);
    }
    // A chunk or two in flight each way, whatever the size of the object.
    expect((peak - before) / MiB).toBeLessThan(64);
    expect((await fixture.disk.getObject("large/object.bin")).size).toBe(size);
    await fixture.disk.delete("large/object.bin");
  });
});

describe("100 uploads in parallel", () => {
  it("all land whole, each with its own bytes and ETag, and list together", async () => {
    const items = Array.from({ length: 100 }, (_, i) => ({ name: `parallel/${String(i).padStart(3, "0")}.bin`, data: noise(64 * 1024 + i, i + 1) }));
    const results = await Promise.all(items.map((item) => fixture.disk.uploadByFile(item.name, item.data)));
    expect(new Set(results.map((r) => r.etag)).size).toBe(items.length);
    expect(await Promise.all(items.map((item) => fixture.disk.contentMd5(item.name)))).toEqual(items.map((item) => md5(item.data)));
    const downloaded = await Promise.all(items.map((item) => fixture.disk.download(item.name)));
    expect(downloaded.every((data, i) => data.equals(items[i]!.data))).toBe(true);
    const listed: string[] = [];
    for await (const entry of fixture.disk.list({ prefix: "parallel/", pageSize: 30 })) listed.push(entry.name);
    expect(listed).toEqual(items.map((item) => item.name));
    expect(await fixture.disk.deleteMany(listed)).toEqual({ deleted: listed });
  });
});
