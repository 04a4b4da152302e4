// What a folder of files must guarantee to be a storage: names never reach outside it, writes land whole or not at
// all, and each object's content type and metadata stay with it, whatever its name.
import { mkdir, mkdtemp, readFile, readdir, rm, symlink, utimes, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Readable } from "node:stream";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { NO_SUCH_KEY } from "../../index.ts";
import { VERSION_ETAG, expectStorageError, filesUnder, md5, noise, openDiskApp, type DiskFixture } from "./helpers.ts";

let fixture: DiskFixture;
let outside: string;

beforeAll(async () => {
  fixture = await openDiskApp();
  // The folder's trees are made on first use; make them now, so that links can be put into objects/.
  await fixture.disk.exists("anything");
  outside = await mkdtemp(join(tmpdir(), "disk-outside-"));
  await writeFile(join(outside, "secret.txt"), "not the storage's");
});

afterAll(async () => {
  await fixture.dispose();
  await rm(outside, { recursive: true, force: true });
});

const objects = () => join(fixture.dir, "objects");

describe("names stay inside the folder", () => {
  it.each(["../escaped.txt", "a/../../escaped.txt", "..", "a/..", "./a", "a/./b", "a//b", "a/", "nul\0byte"])("refuses %j in every method with INVALID_OBJECT_NAME", async (name) => {
    const { disk } = fixture;
    for (const [operation, call] of [
      ["uploadByFile", () => disk.uploadByFile(name, Buffer.from("x"))],
      ["upload", () => disk.upload(name, Readable.from(["x"]))],
      ["download", () => disk.download(name)],
      ["downloadStream", () => disk.downloadStream(name)],
      ["getObject", () => disk.getObject(name)],
      ["exists", () => disk.exists(name)],
      ["delete", () => disk.delete(name)],
      ["copy", () => disk.copy(name, "target")],
      ["getSignUrl", () => disk.getSignUrl(name, "text/plain")],
    ] as const) {
      await expectStorageError(call(), { code: "INVALID_OBJECT_NAME", operation, objectName: name });
    }
    expect(await readdir(join(fixture.dir, ".."))).not.toContain("escaped.txt");
    expect(await readdir(fixture.dir)).not.toContain("escaped.txt");
  });

  it("refuses absolute names, as every storage does", async () => {
    await expectStorageError(fixture.disk.uploadByFile("/etc/passwd", Buffer.from("x")), { code: "INVALID_OBJECT_NAME" });
    await expectStorageError(fixture.disk.download("/etc/passwd"), { code: "INVALID_OBJECT_NAME" });
  });

  describe("a symbolic link in the folder that leads out of it", () => {
    beforeAll(async () => {
      await symlink(outside, join(objects(), "out"));
      await symlink(join(outside, "secret.txt"), join(objects(), "secret-link"));
    });

    it("is never followed to read: AccessDenied (403)", async () => {
      const error = await expectStorageError(fixture.disk.download("out/secret.txt"), { code: "AccessDenied", status: 403, operation: "download" });
      expect(error.message).toContain("symbolic link that leads out of the storage's folder");
      await expectStorageError(fixture.disk.download("secret-link"), { code: "AccessDenied" });
      await expectStorageError(fixture.disk.getObject("out/secret.txt"), { code: "AccessDenied" });
      await expectStorageError(fixture.disk.exists("secret-link"), { code: "AccessDenied" });
      await expectStorageError(fixture.disk.copy("secret-link", "stolen"), { code: "AccessDenied" });
      expect(await fixture.disk.exists("stolen")).toBe(false);
    });

    it("is never followed to write or delete, and no folder is made outside", async () => {
      await expectStorageError(fixture.disk.uploadByFile("out/planted.txt", Buffer.from("x")), { code: "AccessDenied" });
      await expectStorageError(fixture.disk.uploadByFile("out/new/deeper.txt", Buffer.from("x")), { code: "AccessDenied" });
      await expectStorageError(fixture.disk.delete("out/secret.txt"), { code: "AccessDenied" });
      expect(await readdir(outside)).toEqual(["secret.txt"]);
      expect(await readFile(join(outside, "secret.txt"), "utf8")).toBe("not the storage's");
    });

    it("is not listed", async () => {
      const names: string[] = [];
      for await (const entry of fixture.disk.list({})) names.push(entry.name);
      expect(names.filter((n) => n.startsWith("out") || n.startsWith("secret"))).toEqual([]);
      for await (const entry of fixture.disk.list({ prefix: "out/" })) names.push(entry.name);
      expect(names.filter((n) => n.startsWith("out"))).toEqual([]);
    });

    it("is replaced, not written through, when an object of its name is stored; deleting that leaves the target alone", async () => {
      await fixture.disk.uploadByFile("secret-link", Buffer.from("an object now"));
      expect((await fixture.disk.download("secret-link")).toString()).toBe("an object now");
      expect(await readFile(join(outside, "secret.txt"), "utf8")).toBe("not the storage's");
      await fixture.disk.delete("secret-link");
      expect(await readFile(join(outside, "secret.txt"), "utf8")).toBe("not the storage's");
    });
  });

  it("follows a link that stays inside the folder", async () => {
    await fixture.disk.uploadByFile("real/target.txt", Buffer.from("inside"));
    await symlink(join(objects(), "real", "target.txt"), join(objects(), "alias.txt"));
    expect((await fixture.disk.download("alias.txt")).toString()).toBe("inside");
  });
});

describe("writes land whole or not at all", () => {
  /** A stream that gives `chunks` then waits for ever (a client that stalls). */
  function stalling(chunks: Buffer[]): Readable {
    let given = 0;
    return new Readable({
      read() {
        if (given < chunks.length) this.push(chunks[given++]);
      },
    });
  }

  it("an upload aborted mid-stream fails with ABORTED and leaves no object, no unfinished file and no folder", async () => {
    const controller = new AbortController();
    const upload = fixture.disk.upload("aborted/object.bin", stalling([noise(64 * 1024), noise(64 * 1024, 2)]), { signal: controller.signal });
    setTimeout(() => controller.abort(), 50);
    await expectStorageError(upload, { code: "ABORTED", operation: "upload", objectName: "aborted/object.bin" });
    expect(await fixture.disk.exists("aborted/object.bin")).toBe(false);
    expect(await readdir(join(fixture.dir, "partial"))).toEqual([]);
    expect(await readdir(objects())).not.toContain("aborted");
  });

  it("an aborted upload does not replace the object already there", async () => {
    const old = await fixture.disk.upload("kept.txt", Buffer.from("old"), { contentType: "text/plain", meta: { version: "1" } });
    const controller = new AbortController();
    const upload = fixture.disk.upload("kept.txt", stalling([Buffer.from("new, but only half")]), { contentType: "text/csv", signal: controller.signal });
    setTimeout(() => controller.abort(), 50);
    await expectStorageError(upload, { code: "ABORTED" });
    expect((await fixture.disk.download("kept.txt")).toString()).toBe("old");
    expect(await fixture.disk.getObject("kept.txt")).toMatchObject({ contentType: "text/plain", meta: { version: "1" }, etag: old.etag });
  });

  it("a signal aborted before the upload starts stores nothing", async () => {
    await expectStorageError(fixture.disk.upload("never.txt", Buffer.from("x"), { signal: AbortSignal.abort() }), { code: "ABORTED" });
    expect(await fixture.disk.exists("never.txt")).toBe(false);
  });

  it("a source stream that fails midway leaves the old object and no unfinished file", async () => {
    await fixture.disk.uploadByFile("survivor.txt", Buffer.from("old"));
    const failing = new Readable({
      read() {
        this.push(Buffer.alloc(1024, 1));
        this.destroy(Object.assign(new Error("the source broke"), { code: "ESOURCE" }));
      },
    });
    const error = await expectStorageError(fixture.disk.upload("survivor.txt", failing), { code: "ESOURCE", operation: "upload" });
    expect(error.message).toContain("the source broke");
    expect((await fixture.disk.download("survivor.txt")).toString()).toBe("old");
    expect(await readdir(join(fixture.dir, "partial"))).toEqual([]);
  });

  it("readers see the old bytes, whole, until the new ones are complete", async () => {
    await fixture.disk.uploadByFile("swapped.bin", Buffer.from("old bytes"));
    let release!: () => void;
    const gate = new Promise<void>((resolve) => (release = resolve));
    async function* slowly() {
      yield noise(1024 * 1024, 3);
      await gate;
      yield noise(1024 * 1024, 4);
    }
    const upload = fixture.disk.upload("swapped.bin", Readable.from(slowly()));
    await new Promise((resolve) => setTimeout(resolve, 50));
    expect((await fixture.disk.download("swapped.bin")).toString()).toBe("old bytes");
    release();
    const result = await upload;
    expect(result.size).toBe(2 * 1024 * 1024);
    expect((await fixture.disk.download("swapped.bin")).length).toBe(2 * 1024 * 1024);
  });

  it("parallel uploads of one name leave one of them whole, with its own content type and ETag", async () => {
    const versions = Array.from({ length: 12 }, (_, i) => ({ data: noise(50_000 + i, i + 1), contentType: `application/x-version-${i}` }));
    const results = await Promise.all(versions.map((v) => fixture.disk.upload("contended.bin", v.data, { contentType: v.contentType })));
    const stored = await fixture.disk.download("contended.bin");
    const info = await fixture.disk.getObject("contended.bin");
    const winner = versions.findIndex((v) => v.data.equals(stored));
    expect(winner).toBeGreaterThanOrEqual(0);
    expect(info).toMatchObject({ size: versions[winner]!.data.length, etag: results[winner]!.etag, contentType: versions[winner]!.contentType });
    expect(await fixture.disk.contentMd5("contended.bin")).toBe(md5(stored));
  });

  it("unfinished files a dead process left are cleared when the folder is next opened; fresh ones are kept", async () => {
    const { dir } = fixture;
    await writeFile(join(dir, "partial", "left-by-a-crash"), "half an object");
    const anHourAgo = new Date(Date.now() - 2 * 60 * 60 * 1000);
    await utimes(join(dir, "partial", "left-by-a-crash"), anHourAgo, anHourAgo);
    await writeFile(join(dir, "partial", "being-written-elsewhere"), "in progress");
    const again = await openDiskApp({ DISK_DIR: dir });
    try {
      await again.disk.exists("anything");
      expect(await readdir(join(dir, "partial"))).toEqual(["being-written-elsewhere"]);
    } finally {
      await again.dispose();
      await rm(join(dir, "partial", "being-written-elsewhere"));
    }
  });
});

describe("content type and metadata beside each object", () => {
  it("live in a tree of their own, so that no object name collides with them", async () => {
    const { disk } = fixture;
    await disk.upload("facts/a", Buffer.from("a"), { contentType: "text/plain", meta: { which: "a" } });
    await disk.upload("facts/a.json", Buffer.from("{}"), { contentType: "application/json", meta: { which: "a.json" } });
    await disk.upload("facts/a.m/b", Buffer.from("b"), { contentType: "text/x-b", meta: { which: "a.m/b" } });
    await disk.upload("facts/a.d", Buffer.from("d"), { contentType: "text/x-d", meta: { which: "a.d" } });
    expect(await disk.getObject("facts/a")).toMatchObject({ contentType: "text/plain", meta: { which: "a" } });
    expect(await disk.getObject("facts/a.json")).toMatchObject({ contentType: "application/json", meta: { which: "a.json" } });
    expect(await disk.getObject("facts/a.m/b")).toMatchObject({ contentType: "text/x-b", meta: { which: "a.m/b" } });
    expect(await disk.getObject("facts/a.d")).toMatchObject({ contentType: "text/x-d", meta: { which: "a.d" } });
    // The object files hold their bytes and nothing else sits beside them.
    expect(await filesUnder(join(objects(), "facts"))).toEqual(["a", "a.d", "a.json", "a.m/b"]);
  });

  it("a file dropped into the folder by hand is an object: application/octet-stream, an ETag from its stats", async () => {
    await mkdir(join(objects(), "by-hand"), { recursive: true });
    await writeFile(join(objects(), "by-hand", "notes.txt"), "written without the storage");
    const info = await fixture.disk.getObject("by-hand/notes.txt");
    expect(info).toMatchObject({ size: 27, etag: expect.stringMatching(VERSION_ETAG), contentType: "application/octet-stream", meta: {} });
    expect((await fixture.disk.getObject("by-hand/notes.txt")).etag).toBe(info.etag);
    expect(await fixture.disk.contentMd5("by-hand/notes.txt")).toBe(md5(Buffer.from("written without the storage")));
    const listed: string[] = [];
    for await (const entry of fixture.disk.list({ prefix: "by-hand/" })) if (entry.type === "object") listed.push(`${entry.name} ${entry.etag}`);
    expect(listed).toEqual([`by-hand/notes.txt ${info.etag}`]);
  });

  it("a file changed by hand gets facts for its new bytes, never the old ETag", async () => {
    const before = await fixture.disk.upload("edited.txt", Buffer.from("before"), { contentType: "text/plain", meta: { owner: "ann" } });
    expect(await fixture.disk.contentMd5("edited.txt")).toBe(md5(Buffer.from("before")));
    await writeFile(join(objects(), "edited.txt"), "after the edit");
    const after = await fixture.disk.getObject("edited.txt");
    expect(after).toMatchObject({ size: 14, etag: expect.stringMatching(VERSION_ETAG), contentType: "text/plain", meta: { owner: "ann" } });
    expect(after.etag).not.toBe(before.etag);
    expect(await fixture.disk.contentMd5("edited.txt")).toBe(md5(Buffer.from("after the edit")));
  });
});

describe("names that would clash with folders", () => {
  it("an object and a folder of objects cannot share a name on disk: NAME_CONFLICT (409), nothing changed", async () => {
    const { disk } = fixture;
    await disk.uploadByFile("clash/file", Buffer.from("a file"));
    await expectStorageError(disk.uploadByFile("clash/file/below", Buffer.from("x")), { code: "NAME_CONFLICT", status: 409, operation: "uploadByFile" });
    await disk.uploadByFile("clash/folder/inside", Buffer.from("inside"));
    const error = await expectStorageError(disk.uploadByFile("clash/folder", Buffer.from("x")), { code: "NAME_CONFLICT" });
    expect(error.message).toContain("an object and a folder cannot share a name");
    await expectStorageError(disk.copy("clash/file", "clash/folder"), { code: "NAME_CONFLICT", operation: "copy" });
    expect((await disk.download("clash/file")).toString()).toBe("a file");
    expect((await disk.download("clash/folder/inside")).toString()).toBe("inside");
    expect(await readdir(join(fixture.dir, "partial"))).toEqual([]);
  });

  it("once the folder's last object is deleted, its name is free for an object", async () => {
    await fixture.disk.delete("clash/folder/inside");
    await fixture.disk.uploadByFile("clash/folder", Buffer.from("now an object"));
    expect((await fixture.disk.download("clash/folder")).toString()).toBe("now an object");
    await expectStorageError(fixture.disk.download("clash/folder/inside"), { code: NO_SUCH_KEY });
  });
});

describe('"fsync": true', () => {
  it("stores, copies and deletes as without it", async () => {
    const durable = fixture.element("storages.Durable");
    await durable.upload("durable/a.txt", Readable.from(["flushed"]), { contentType: "text/plain" });
    expect(await durable.contentMd5("durable/a.txt")).toBe(md5(Buffer.from("flushed")));
    const copied = await durable.copy("durable/a.txt", "durable/b.txt");
    expect(await durable.getObject("durable/b.txt")).toMatchObject({ contentType: "text/plain", etag: copied.etag });
    await durable.deleteMany(["durable/a.txt", "durable/b.txt"]);
    expect(await durable.exists("durable/a.txt")).toBe(false);
  });
});
