// Links planted in the storage's own trees (metadata/, partial/, objects/ subfolders), before the storage starts or
// between two of its calls: no file outside the folder is ever written, truncated, read or deleted through them,
// and the call that meets one fails with AccessDenied saying where the link is.
import { mkdir, mkdtemp, readFile, readdir, rename, rm, symlink, utimes, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Readable } from "node:stream";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { expectStorageError, openDiskApp, type DiskFixture } from "./helpers.ts";

let fixture: DiskFixture;
let outside: string;

beforeEach(async () => {
  fixture = await openDiskApp();
  outside = await mkdtemp(join(tmpdir(), "disk-outside-"));
});

afterEach(async () => {
  await fixture.dispose();
  await rm(outside, { recursive: true, force: true });
});

/** Every file outside, with its text. */
async function outsideFiles(): Promise<Record<string, string>> {
  const files: Record<string, string> = {};
  for (const entry of await readdir(outside, { recursive: true, withFileTypes: true })) {
    if (entry.isFile()) files[join(entry.parentPath, entry.name).slice(outside.length + 1)] = await readFile(join(entry.parentPath, entry.name), "utf8");
  }
  return files;
}

/** Resolves once an unfinished file is under partial/: a write has begun. */
async function untilWriting(): Promise<void> {
  while ((await readdir(join(fixture.dir, "partial"))).length === 0) await new Promise((resolve) => setImmediate(resolve));
}

/** Replaces the folder `path` by a link to `outside`. */
async function replaceWithLink(path: string): Promise<void> {
  await rm(path, { recursive: true, force: true });
  await symlink(outside, path);
}

describe("a folder of metadata/ that is a link out of the storage", () => {
  beforeEach(async () => {
    await fixture.disk.exists("anything");
    await writeFile(join(outside, "victim.m"), "an outside file named like the facts of dir/victim");
    await writeFile(join(outside, "victim2.m"), "an outside file named like the facts of dir/victim2");
    await symlink(outside, join(fixture.dir, "metadata", "dir.d"));
  });

  it("gets no facts file written outside by an upload, and the upload stores nothing", async () => {
    const error = await expectStorageError(fixture.disk.uploadByFile("dir/new.txt", Buffer.from("x")), { code: "AccessDenied", status: 403, operation: "uploadByFile" });
    expect(error.message).toContain("metadata/dir.d");
    expect(error.message).toContain("symbolic link");
    expect(await outsideFiles()).not.toHaveProperty("new.txt.m");
    expect(await fixture.disk.exists("dir/new.txt")).toBe(false);
  });

  it("gets no outside file overwritten by an upload of a name whose facts would be there", async () => {
    await expectStorageError(fixture.disk.upload("dir/victim2", Buffer.from("x"), { contentType: "text/plain" }), { code: "AccessDenied" });
    expect((await outsideFiles())["victim2.m"]).toBe("an outside file named like the facts of dir/victim2");
  });

  it("gets no outside file deleted by a delete of a missing object", async () => {
    await expectStorageError(fixture.disk.delete("dir/victim"), { code: "AccessDenied", operation: "delete" });
    expect(await outsideFiles()).toHaveProperty("victim.m");
  });

  it("is not read for facts: reading an object whose facts would be there is refused", async () => {
    await mkdir(join(fixture.dir, "objects", "dir"), { recursive: true });
    await writeFile(join(fixture.dir, "objects", "dir", "victim"), "bytes");
    await writeFile(join(outside, "victim.m"), JSON.stringify({ contentType: "text/html", meta: { planted: "yes" }, etag: "PLANTED", fingerprint: "x" }));
    await expectStorageError(fixture.disk.getObject("dir/victim"), { code: "AccessDenied", operation: "getObject" });
  });
});

describe("metadata/ or partial/ as a whole a link out of the storage", () => {
  it("metadata/: the storage refuses to start and writes nothing outside", async () => {
    await mkdir(fixture.dir, { recursive: true });
    await symlink(outside, join(fixture.dir, "metadata"));
    const error = await expectStorageError(fixture.disk.uploadByFile("a.txt", Buffer.from("x")), { code: "AccessDenied" });
    expect(error.message).toContain("metadata");
    expect(await outsideFiles()).toEqual({});
  });

  it("partial/: no file there is swept at start, however old, and nothing is written into it", async () => {
    await writeFile(join(outside, "old-and-precious"), "kept");
    const longAgo = new Date(Date.now() - 24 * 60 * 60 * 1000);
    await utimes(join(outside, "old-and-precious"), longAgo, longAgo);
    await mkdir(fixture.dir, { recursive: true });
    await symlink(outside, join(fixture.dir, "partial"));
    await expectStorageError(fixture.disk.uploadByFile("a.txt", Buffer.from("x")), { code: "AccessDenied" });
    expect(await outsideFiles()).toEqual({ "old-and-precious": "kept" });
  });
});

describe("a subfolder replaced by a link between two calls", () => {
  it("objects/<folder>: later uploads, reads and deletes of names in it are refused", async () => {
    const { disk } = fixture;
    await disk.uploadByFile("swap/a", Buffer.from("the storage's a"));
    await writeFile(join(outside, "a"), "outside a");
    await writeFile(join(outside, "b"), "outside b");
    await replaceWithLink(join(fixture.dir, "objects", "swap"));
    await expectStorageError(disk.uploadByFile("swap/b", Buffer.from("x")), { code: "AccessDenied" });
    await expectStorageError(disk.download("swap/a"), { code: "AccessDenied" });
    await expectStorageError(disk.delete("swap/a"), { code: "AccessDenied" });
    expect(await outsideFiles()).toEqual({ a: "outside a", b: "outside b" });
  });

  it("metadata/<folder>: later uploads, reads and deletes of names in it are refused", async () => {
    const { disk } = fixture;
    await disk.upload("mswap/a", Buffer.from("the storage's a"), { contentType: "text/plain", meta: { who: "storage" } });
    await writeFile(join(outside, "a.m"), "outside facts of a");
    await writeFile(join(outside, "b.m"), "outside facts of b");
    await replaceWithLink(join(fixture.dir, "metadata", "mswap.d"));
    await expectStorageError(disk.getObject("mswap/a"), { code: "AccessDenied" });
    await expectStorageError(disk.uploadByFile("mswap/b", Buffer.from("x")), { code: "AccessDenied" });
    await expectStorageError(disk.uploadByFile("mswap/a", Buffer.from("x")), { code: "AccessDenied" });
    await expectStorageError(disk.delete("mswap/a"), { code: "AccessDenied" });
    expect(await outsideFiles()).toEqual({ "a.m": "outside facts of a", "b.m": "outside facts of b" });
    expect((await disk.download("mswap/a")).toString()).toBe("the storage's a");
  });

  it("a deeper metadata folder: no folder is made outside through the link", async () => {
    const { disk } = fixture;
    await disk.uploadByFile("deep/x", Buffer.from("x"));
    await replaceWithLink(join(fixture.dir, "metadata", "deep.d"));
    await expectStorageError(disk.uploadByFile("deep/er/y", Buffer.from("y")), { code: "AccessDenied" });
    expect(await readdir(outside)).toEqual([]);
  });

  it("partial/: the next upload is refused and writes nothing outside", async () => {
    const { disk } = fixture;
    await disk.uploadByFile("first", Buffer.from("x"));
    await replaceWithLink(join(fixture.dir, "partial"));
    await expectStorageError(disk.upload("second", Buffer.from("y")), { code: "AccessDenied" });
    await expectStorageError(disk.copy("first", "third"), { code: "AccessDenied" });
    expect(await readdir(outside)).toEqual([]);
    expect(await disk.exists("second")).toBe(false);
  });

  it("objects/<folder> swapped for a link while a name in it is being written: the write is refused", async () => {
    const { disk } = fixture;
    await disk.uploadByFile("moving/first", Buffer.from("x"));
    let release!: () => void;
    const gate = new Promise<void>((resolve) => (release = resolve));
    async function* slowly() {
      yield Buffer.from("half, ");
      await gate;
      yield Buffer.from("then the rest");
    }
    const upload = disk.upload("moving/second", Readable.from(slowly()));
    // While the bytes are going down, the folder is moved away and a link to outside put in its place.
    await untilWriting();
    await rename(join(fixture.dir, "objects", "moving"), join(fixture.dir, "moved-away"));
    await symlink(outside, join(fixture.dir, "objects", "moving"));
    release();
    await expectStorageError(upload, { code: "AccessDenied" });
    expect(await readdir(outside)).toEqual([]);
  });
});
