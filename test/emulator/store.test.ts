// The data on disk: kept across restarts, safe from crashes, and never held whole in memory.
import { createHash } from "node:crypto";
import { existsSync } from "node:fs";
import { appendFile, mkdir, mkdtemp, readdir, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Readable } from "node:stream";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startOssEmulator } from "../../emulator/index.ts";
import { clientFor, patterned } from "./helpers.ts";

let dataDir: string;

beforeAll(async () => {
  dataDir = await mkdtemp(join(tmpdir(), "oss-emulator-store-test-"));
});
afterAll(async () => {
  await rm(dataDir, { recursive: true, force: true });
});

describe("an explicit dataDir", () => {
  it("keeps buckets, objects, metadata, ACLs, CORS rules and uploads in progress across restarts", async () => {
    const dir = join(dataDir, "restarts");
    const large = patterned(200 * 1024, 1);
    let uploadId: string;
    const first = await startOssEmulator({ dataDir: dir, port: 0 });
    try {
      const client = clientFor(first);
      await client.put("small.txt", Buffer.from("small"), { meta: { kept: "yes" }, headers: { "x-oss-object-acl": "public-read" } });
      await client.put("large.bin", large);
      await client.append("log.txt", Buffer.from("appended"));
      const done = (await client.initMultipartUpload("done.bin")).uploadId;
      const firstPart = await client.uploadPart("done.bin", done, 1, await scratchFile(patterned(100 * 1024, 5)), 0, 100 * 1024);
      const lastPart = await client.uploadPart("done.bin", done, 2, await scratchFile(patterned(1000, 6)), 0, 1000);
      await client.completeMultipartUpload("done.bin", done, [{ number: 1, etag: firstPart.etag }, { number: 2, etag: lastPart.etag }]);
      await client.putBucket("second-bucket");
      await client.putBucketCORS("second-bucket", [{ allowedOrigin: "*", allowedMethod: "GET" }]);
      uploadId = (await client.initMultipartUpload("pending.bin")).uploadId;
      await client.uploadPart("pending.bin", uploadId, 1, await scratchFile(patterned(100 * 1024, 2)), 0, 100 * 1024);
      await client.delete("never-mind.txt");
    } finally {
      await first.stop();
    }
    expect(existsSync(dir)).toBe(true);

    const second = await startOssEmulator({ dataDir: dir });
    try {
      const client = clientFor(second);
      const small = await client.get("small.txt");
      expect(small.content.toString()).toBe("small");
      expect(small.res.headers["x-oss-meta-kept"]).toBe("yes");
      expect((await client.getACL("small.txt")).acl).toBe("public-read");
      expect(Buffer.compare((await client.get("large.bin")).content, large)).toBe(0);
      // A completed multipart object is its parts' files: they survive the restart's sweep.
      expect(Buffer.compare((await client.get("done.bin")).content, Buffer.concat([patterned(100 * 1024, 5), patterned(1000, 6)]))).toBe(0);
      expect((await client.append("log.txt", Buffer.from(" again"), { position: "8" })).nextAppendPosition).toBe("14");
      expect((await client.get("log.txt")).content.toString()).toBe("appended again");
      expect((await client.listBuckets({})).buckets?.map((b) => b.name)).toEqual(["local-bucket", "second-bucket"]);
      expect((await client.getBucketCORS("second-bucket")).rules).toHaveLength(1);
      const parts = await client.listParts("pending.bin", uploadId, {}, {});
      expect(parts.parts).toMatchObject({ PartNumber: "1" });
    } finally {
      await second.stop();
    }
  });

  it("drops a torn journal line and data files that no record names when it starts", async () => {
    const dir = join(dataDir, "crash");
    const first = await startOssEmulator({ dataDir: dir });
    await clientFor(first).put("survivor.txt", Buffer.from("survived"));
    await first.stop();
    const bucketDir = join(dir, "buckets", "local-bucket");
    // What a crash mid-append and mid-upload leave behind.
    await appendFile(join(bucketDir, "objects.log"), '{"put":{"key":"ghost.txt","size":3');
    await mkdir(join(bucketDir, "data", "ab"), { recursive: true });
    await writeFile(join(bucketDir, "data", "ab", "abcdef.0.data"), "half an upload");

    const second = await startOssEmulator({ dataDir: dir });
    try {
      const client = clientFor(second);
      expect((await client.get("survivor.txt")).content.toString()).toBe("survived");
      expect((await client.list({}, {})).objects.map((o) => o.name)).toEqual(["survivor.txt"]);
      expect(await readdir(join(bucketDir, "data", "ab"))).toEqual([]);
      await client.put("after-crash.txt", Buffer.from("written after"));
    } finally {
      await second.stop();
    }
    // A line written after the torn one is read back: the torn tail was cut off, not appended to.
    const third = await startOssEmulator({ dataDir: dir });
    try {
      expect((await clientFor(third).get("after-crash.txt")).content.toString()).toBe("written after");
    } finally {
      await third.stop();
    }
  });

  it("removes segments of small objects once every body in them is replaced", async () => {
    const dir = join(dataDir, "segments");
    const first = await startOssEmulator({ dataDir: dir });
    for (let i = 0; i < 20; i++) await clientFor(first).put(`object-${i}.txt`, Buffer.from(`first ${i}`));
    await first.stop();
    const blobs = join(dir, "buckets", "local-bucket", "blobs");
    const before = await readdir(blobs);
    const second = await startOssEmulator({ dataDir: dir });
    try {
      const client = clientFor(second);
      for (let i = 0; i < 20; i++) await client.put(`object-${i}.txt`, Buffer.from(`second ${i}`));
      const after = await readdir(blobs);
      expect(after.filter((name) => before.includes(name))).toEqual([]);
      expect((await client.get("object-7.txt")).content.toString()).toBe("second 7");
    } finally {
      await second.stop();
    }
  });
});

describe("the default dataDir", () => {
  it("is a new temporary folder, removed on stop", async () => {
    const emulator = await startOssEmulator();
    await clientFor(emulator).put("x.txt", Buffer.from("x"));
    expect(existsSync(emulator.dataDir)).toBe(true);
    await emulator.stop();
    expect(existsSync(emulator.dataDir)).toBe(false);
  });

  it("is removed even when stop comes in the middle of uploads", async () => {
    const emulator = await startOssEmulator();
    const client = clientFor(emulator);
    await client.initMultipartUpload("busy.bin");
    let sent = 0;
    // A body that keeps coming, slowly, until the server goes away.
    const endless = new Readable({
      read() {
        sent++;
        setTimeout(() => this.push(patterned(16 * 1024, sent)), 5);
      },
    });
    const uploads = [
      client.putStream("endless.bin", endless).catch(() => "failed"),
      client.putStream("chunked-too.bin", Readable.from([patterned(200 * 1024)])).catch(() => "failed"),
    ];
    await new Promise((resolve) => setTimeout(resolve, 100));
    await emulator.stop();
    expect(await uploads[0]).toBe("failed");
    expect(existsSync(emulator.dataDir)).toBe(false);
    endless.destroy();
  });
});

describe("large uploads", () => {
  it("streams a 256 MiB upload to disk without holding it in memory", async () => {
    const emulator = await startOssEmulator();
    try {
      const client = clientFor(emulator, "path", "v1", { timeout: 120_000 });
      const total = 256 * 1024 * 1024;
      const chunk = patterned(1024 * 1024, 3);
      const expected = createHash("md5");
      let sent = 0;
      const source = new Readable({
        read() {
          if (sent >= total) return this.push(null);
          sent += chunk.length;
          expected.update(chunk);
          this.push(chunk);
        },
      });
      global.gc?.();
      const baseline = process.memoryUsage().rss;
      let peak = baseline;
      const sampler = setInterval(() => (peak = Math.max(peak, process.memoryUsage().rss)), 20);
      try {
        await client.putStream("large/256MiB.bin", source, { contentLength: total });
      } finally {
        clearInterval(sampler);
      }
      // Client and server share this process: the bound covers both, and both stream.
      expect(peak - baseline).toBeLessThan(64 * 1024 * 1024);
      const head = await client.head("large/256MiB.bin");
      expect(head.res.headers["content-length"]).toBe(String(total));
      expect(head.res.headers.etag).toBe(`"${expected.digest("hex").toUpperCase()}"`);
    } finally {
      await emulator.stop();
    }
  });
});

async function scratchFile(body: Buffer): Promise<string> {
  const path = join(dataDir, `scratch-${Math.random().toString(36).slice(2)}`);
  await writeFile(path, body);
  return path;
}
