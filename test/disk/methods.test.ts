// storages.DiskType offers every storage method with the same results and error codes as the other Types: objects
// are files under <directory>/objects, their content type and metadata are kept beside them.
import { readFile, readdir, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { Readable } from "node:stream";
import { fileURLToPath } from "node:url";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { NO_SUCH_KEY, Storage, type ListEntry, type ListOptions } from "../../index.ts";
import { VERSION_ETAG, expectStorageError, md5, noise, openDiskApp, sha256, type DiskFixture } from "./helpers.ts";

let fixture: DiskFixture;
let dir: string;

beforeAll(async () => {
  fixture = await openDiskApp();
  dir = fixture.dir;
});

afterAll(() => fixture.dispose());

async function listAll(options: ListOptions): Promise<ListEntry[]> {
  const entries: ListEntry[] = [];
  for await (const entry of fixture.disk.list(options)) entries.push(entry);
  return entries;
}

describe("a storages.DiskType instance", () => {
  it("is a Storage named by its element and Type, its directory resolved", () => {
    const { disk } = fixture;
    expect(disk).toBeInstanceOf(Storage);
    expect(disk.element).toBe("storages.MyDisk");
    expect(disk.storageType).toBe("storages.DiskType");
    expect(disk.directory).toBe(dir);
    expect(fixture.app.elements().find((e) => e.fullName === "storages.MyDisk")?.chain).toEqual(["storages.MyDisk", "storages.DiskType", "storages.Meta"]);
  });

  it("fills in the defaults of DiskType.json", () => {
    expect({ ...fixture.disk.config }).toMatchObject({ directory: dir, serve: false, publicRead: false, fsync: false });
  });
});

describe("uploadByFile", () => {
  it("stores the bytes as a file under objects/ and returns url, name, size, etag and contentType", async () => {
    const result = await fixture.disk.uploadByFile("folder/example.txt", Buffer.from("hello, disk"), "text/plain");
    expect(result).toEqual({
      url: "http://127.0.0.1:9300/files/folder/example.txt",
      name: "folder/example.txt",
      size: 11,
      etag: expect.stringMatching(VERSION_ETAG),
      contentType: "text/plain",
    });
    expect(await fixture.disk.contentMd5("folder/example.txt")).toBe(md5(Buffer.from("hello, disk")));
    expect(await readFile(join(dir, "objects", "folder", "example.txt"), "utf8")).toBe("hello, disk");
    expect((await fixture.disk.download("folder/example.txt")).toString()).toBe("hello, disk");
  });

  it('stores "application/octet-stream" when no contentType is given', async () => {
    const result = await fixture.disk.uploadByFile("no-type", Buffer.from([1, 2, 3]));
    expect(result.contentType).toBe("application/octet-stream");
    expect((await fixture.disk.getObject("no-type")).contentType).toBe("application/octet-stream");
  });

  it("takes a Uint8Array as well as a Buffer", async () => {
    await fixture.disk.uploadByFile("u8", new Uint8Array([104, 105]), "text/plain");
    expect((await fixture.disk.download("u8")).toString()).toBe("hi");
  });

  it("gives a file: URL of the object when the config has no baseUrl", async () => {
    const result = await fixture.element("storages.Unsigned").uploadByFile("plain/a b+c.txt", Buffer.from("local"));
    expect(result.url).toMatch(/^file:\/\//);
    expect(await readFile(fileURLToPath(result.url), "utf8")).toBe("local");
  });

  it.each([
    ["spaces", "a file with spaces.txt", "a%20file%20with%20spaces.txt"],
    ["unicode", "文件/übersicht-ß-😀.txt", "%E6%96%87%E4%BB%B6/%C3%BCbersicht-%C3%9F-%F0%9F%98%80.txt"],
    ["plus", "a+b+c.txt", "a%2Bb%2Bc.txt"],
    ["percent", "100% sure %41%2F.txt", "100%25%20sure%20%2541%252F.txt"],
    ["query-looking characters", "what?is=this&that#hash.txt", "what%3Fis%3Dthis%26that%23hash.txt"],
    ["a backslash, which is only a character on disk", "back\\slash", "back%5Cslash"],
  ])("round-trips names with %s through every method", async (_label, objectName, encoded) => {
    const { disk } = fixture;
    const result = await disk.uploadByFile(`names/${objectName}`, Buffer.from(objectName));
    expect(result.url).toBe(`http://127.0.0.1:9300/files/names/${encoded}`);
    expect((await disk.download(`names/${objectName}`)).toString()).toBe(objectName);
    expect((await disk.getObject(`names/${objectName}`)).name).toBe(`names/${objectName}`);
    expect((await listAll({ prefix: `names/${objectName}` })).map((e) => e.name)).toEqual([`names/${objectName}`]);
    await disk.copy(`names/${objectName}`, "names-copies/latest");
    expect((await disk.download("names-copies/latest")).toString()).toBe(objectName);
    await disk.delete(`names/${objectName}`);
    expect(await disk.exists(`names/${objectName}`)).toBe(false);
  });

  it("round-trips the longest name, 1023 bytes, in parts of up to 253 bytes", async () => {
    const part = "n".repeat(253);
    const objectName = [part, part, part, part, "m".repeat(1023 - 4 * 254)].join("/");
    expect(Buffer.byteLength(objectName)).toBe(1023);
    await fixture.disk.uploadByFile(objectName, Buffer.from("long"));
    expect((await fixture.disk.download(objectName)).toString()).toBe("long");
    await fixture.disk.delete(objectName);
  });
});

describe("upload", () => {
  it("streams a Readable of unknown length", async () => {
    const seen: Array<{ loaded: number; total: number | undefined }> = [];
    const result = await fixture.disk.upload("stream.txt", Readable.from([Buffer.from("one "), "two"]), { contentType: "text/plain", onProgress: (p) => seen.push(p) });
    expect(result).toMatchObject({ size: 7, etag: expect.stringMatching(VERSION_ETAG), contentType: "text/plain" });
    expect(seen.at(-1)).toEqual({ loaded: 7, total: 7 });
    expect((await fixture.disk.download("stream.txt")).toString()).toBe("one two");
  });

  it("streams a local file by its path", async () => {
    const data = noise(3 * 1024 * 1024 + 17, 5);
    const file = join(dir, "local.bin");
    await writeFile(file, data);
    const result = await fixture.disk.upload("from-file.bin", file, { contentType: "application/x-test" });
    expect(result).toMatchObject({ size: data.length, contentType: "application/x-test" });
    expect(await fixture.disk.contentMd5("from-file.bin")).toBe(md5(data));
    expect(await sha256(await fixture.disk.download("from-file.bin"))).toBe(await sha256(data));
  });

  it("keeps the content type and user metadata beside the object, and getObject gives them back", async () => {
    await fixture.disk.upload("with-meta.txt", Buffer.from("m"), { contentType: "text/markdown; charset=utf-8", meta: { Owner: "ann", purpose: "test" } });
    expect(await fixture.disk.getObject("with-meta.txt")).toMatchObject({ contentType: "text/markdown; charset=utf-8", meta: { owner: "ann", purpose: "test" } });
    // The object file holds the bytes only; the facts are in the metadata tree.
    expect(await readFile(join(dir, "objects", "with-meta.txt"), "utf8")).toBe("m");
  });

  it("reports progress as the bytes land, in order, up to the total", async () => {
    const seen: Array<{ loaded: number; total: number | undefined }> = [];
    const data = noise(1024 * 1024, 9);
    await fixture.disk.upload("progress.bin", data, { onProgress: (p) => seen.push(p) });
    expect(seen.length).toBeGreaterThan(1);
    expect(seen.at(-1)).toEqual({ loaded: data.length, total: data.length });
    const loaded = seen.map((p) => p.loaded);
    expect([...loaded].sort((a, b) => a - b)).toEqual(loaded);
  });

  it("stores an empty object", async () => {
    const result = await fixture.disk.upload("empty", Buffer.alloc(0));
    expect(result).toMatchObject({ size: 0, etag: expect.stringMatching(VERSION_ETAG) });
    expect(await fixture.disk.contentMd5("empty")).toBe("D41D8CD98F00B204E9800998ECF8427E");
    expect((await fixture.disk.download("empty")).length).toBe(0);
  });

  it("replaces an existing object, its content type and metadata with it", async () => {
    const first = await fixture.disk.upload("replaced.txt", Buffer.from("first"), { contentType: "text/plain", meta: { version: "1" } });
    expect(await fixture.disk.contentMd5("replaced.txt")).toBe(md5(Buffer.from("first")));
    const second = await fixture.disk.upload("replaced.txt", Buffer.from("second"), { contentType: "text/csv" });
    expect((await fixture.disk.download("replaced.txt")).toString()).toBe("second");
    expect(second.etag).not.toBe(first.etag);
    expect(await fixture.disk.getObject("replaced.txt")).toMatchObject({ contentType: "text/csv", meta: {}, etag: second.etag });
    // The MD5 kept for the first version is not given for the second.
    expect(await fixture.disk.contentMd5("replaced.txt")).toBe(md5(Buffer.from("second")));
    // Nothing of the replaced version stays behind: it is freed after the upload returns, and close() waits for that.
    await fixture.disk.close();
    expect(await readdir(join(dir, "partial"))).toEqual([]);
  });

  it("frees every version that uploads replaced, small or large, by the time close() resolves", async () => {
    for (let round = 0; round < 6; round++) {
      await fixture.disk.upload("again.bin", Buffer.alloc(round % 2 === 0 ? 4096 : 3 * 1024 * 1024, round));
    }
    await fixture.disk.close();
    expect(await readdir(join(dir, "partial"))).toEqual([]);
    expect((await fixture.disk.download("again.bin")).equals(Buffer.alloc(3 * 1024 * 1024, 5))).toBe(true);
  });

  it("gives the same bytes written again a new ETag: it names the version, not the bytes", async () => {
    const versions = [];
    for (let i = 0; i < 5; i++) versions.push((await fixture.disk.uploadByFile("same-bytes.txt", Buffer.from("same"))).etag);
    expect(new Set(versions).size).toBe(5);
  });
});

describe("download, downloadStream and downloadToFile", () => {
  it("download of a missing object fails with NoSuchKey (404), as on every Type", async () => {
    const error = await expectStorageError(fixture.disk.download("missing.pdf"), {
      code: NO_SUCH_KEY,
      status: 404,
      operation: "download",
      objectName: "missing.pdf",
      element: "storages.MyDisk",
      storageType: "storages.DiskType",
    });
    expect(error.message).toBe('storages.MyDisk (storages.DiskType): download of "missing.pdf" failed: NoSuchKey (404), the object does not exist');
  });

  it("downloadStream gives the bytes, or a byte range (both ends included)", async () => {
    const data = noise(100_000, 11);
    await fixture.disk.uploadByFile("ranged.bin", data);
    expect(await sha256(await fixture.disk.downloadStream("ranged.bin"))).toBe(await sha256(data));
    const middle = await fixture.disk.downloadStream("ranged.bin", { range: { start: 10, end: 19 } });
    expect(Buffer.concat(await middle.toArray())).toEqual(data.subarray(10, 20));
    const tail = await fixture.disk.downloadStream("ranged.bin", { range: { start: 99_990 } });
    expect(Buffer.concat(await tail.toArray())).toEqual(data.subarray(99_990));
  });

  it("a range that runs past the end stops at the end; one that starts past it fails with InvalidRange (416)", async () => {
    const past = await fixture.disk.downloadStream("ranged.bin", { range: { start: 99_998, end: 200_000 } });
    expect((await past.toArray()).reduce((n: number, chunk: Buffer) => n + chunk.length, 0)).toBe(2);
    await expectStorageError(fixture.disk.downloadStream("ranged.bin", { range: { start: 100_000 } }), { code: "InvalidRange", status: 416 });
  });

  it("downloadStream of a missing object rejects with NoSuchKey before any stream", async () => {
    await expectStorageError(fixture.disk.downloadStream("missing"), { code: NO_SUCH_KEY, operation: "downloadStream" });
  });

  it("downloadToFile writes the whole file", async () => {
    const data = noise(300_000, 13);
    await fixture.disk.uploadByFile("to-file.bin", data);
    const target = join(dir, "downloaded.bin");
    expect(await fixture.disk.downloadToFile("to-file.bin", target)).toEqual({ name: "to-file.bin", path: target, size: data.length });
    expect(await sha256(await readFile(target))).toBe(await sha256(data));
  });
});

describe("getObject, exists, delete and deleteMany", () => {
  it("getObject gives name, size, etag, contentType, lastModified (a Date) and meta", async () => {
    const uploaded = await fixture.disk.uploadByFile("info.json", Buffer.from("{}"), "application/json");
    const info = await fixture.disk.getObject(uploaded.name);
    expect(info).toEqual({ name: "info.json", size: 2, etag: uploaded.etag, contentType: "application/json", lastModified: expect.any(Date), meta: {} });
    expect(Math.abs(info.lastModified.getTime() - Date.now())).toBeLessThan(60_000);
  });

  it("getObject of a missing object fails with NoSuchKey", async () => {
    await expectStorageError(fixture.disk.getObject("missing"), { code: NO_SUCH_KEY, status: 404, operation: "getObject" });
  });

  it("exists answers true and false, and false for a folder of other objects", async () => {
    await fixture.disk.uploadByFile("here/inside", Buffer.from("x"));
    expect(await fixture.disk.exists("here/inside")).toBe(true);
    expect(await fixture.disk.exists("not-here")).toBe(false);
    expect(await fixture.disk.exists("here")).toBe(false);
    expect(await fixture.disk.exists("here/inside/deeper")).toBe(false);
  });

  it("delete returns { name, deleted: true }, also for a missing object, and leaves no empty folders", async () => {
    await fixture.disk.uploadByFile("doomed/deep/down", Buffer.from("x"));
    expect(await fixture.disk.delete("doomed/deep/down")).toEqual({ name: "doomed/deep/down", deleted: true });
    expect(await fixture.disk.exists("doomed/deep/down")).toBe(false);
    expect(await readdir(join(dir, "objects"))).not.toContain("doomed");
    expect(await fixture.disk.delete("never-was")).toEqual({ name: "never-was", deleted: true });
    // A name that is a folder of other objects is no object: deleting it succeeds and deletes nothing.
    expect(await fixture.disk.delete("here")).toEqual({ name: "here", deleted: true });
    expect(await fixture.disk.exists("here/inside")).toBe(true);
  });

  it("deleteMany deletes every name, missing ones included", async () => {
    const names = ["many/1", "many/2", "many/3"];
    await Promise.all(names.map((n) => fixture.disk.uploadByFile(n, Buffer.from(n))));
    expect(await fixture.disk.deleteMany([...names, "many/missing"])).toEqual({ deleted: [...names, "many/missing"] });
    expect(await Promise.all(names.map((n) => fixture.disk.exists(n)))).toEqual([false, false, false]);
    expect(await fixture.disk.deleteMany([])).toEqual({ deleted: [] });
  });

  it("deleteMany refuses the whole batch when one name cannot be on disk, before deleting any", async () => {
    await fixture.disk.uploadByFile("batch/kept", Buffer.from("x"));
    await expectStorageError(fixture.disk.deleteMany(["batch/kept", "batch/../escape"]), { code: "INVALID_OBJECT_NAME", operation: "deleteMany" });
    expect(await fixture.disk.exists("batch/kept")).toBe(true);
  });
});

describe("list", () => {
  // In UTF-8 byte order, "-" < "." < "/" < "0" < "a" < "é" < "😀": the objects in folder b sort between b.x and b0.
  const names = ["list/a", "list/b-x", "list/b.x", "list/b/1", "list/b/c/d", "list/b0", "list/é", "list/😀"];

  beforeAll(async () => {
    await Promise.all(names.map((n) => fixture.disk.uploadByFile(n, Buffer.from(n))));
  });

  it("lists every object under the prefix in name order (by UTF-8 bytes), page by page", async () => {
    const all = await listAll({ prefix: "list/", pageSize: 2 });
    expect(all.map((e) => e.name)).toEqual(names);
    expect(all[0]).toEqual({ type: "object", name: "list/a", size: 6, etag: (await fixture.disk.getObject("list/a")).etag, lastModified: expect.any(Date) });
  });

  it("groups names by the delimiter into prefixes, in their place in the order", async () => {
    for (const pageSize of [1, 2, 1000]) {
      const entries = await listAll({ prefix: "list/", delimiter: "/", pageSize });
      expect(entries.map((e) => `${e.type}:${e.name}`)).toEqual([
        "object:list/a",
        "object:list/b-x",
        "object:list/b.x",
        "prefix:list/b/",
        "object:list/b0",
        "object:list/é",
        "object:list/😀",
      ]);
    }
  });

  it("takes a prefix that ends inside a name, and a delimiter other than /", async () => {
    expect((await listAll({ prefix: "list/b/" })).map((e) => e.name)).toEqual(["list/b/1", "list/b/c/d"]);
    expect((await listAll({ prefix: "list/b." })).map((e) => e.name)).toEqual(["list/b.x"]);
    expect((await listAll({ prefix: "list/b", delimiter: "-" })).map((e) => `${e.type}:${e.name}`)).toEqual([
      "prefix:list/b-",
      "object:list/b.x",
      "object:list/b/1",
      "object:list/b/c/d",
      "object:list/b0",
    ]);
  });

  it("lists nothing under a prefix no object has, or one that no name on disk can have", async () => {
    expect(await listAll({ prefix: "nothing/here/" })).toEqual([]);
    expect(await listAll({ prefix: "../" })).toEqual([]);
    expect(await listAll({ prefix: "list//" })).toEqual([]);
  });

  it("stops after limit entries", async () => {
    expect(await listAll({ prefix: "list/", limit: 3, pageSize: 2 })).toHaveLength(3);
  });

  it("keeps its own files out of the listing: metadata and unfinished uploads are not objects", async () => {
    const everything = await listAll({});
    expect(everything.some((e) => e.name.startsWith("metadata/") || e.name.startsWith("partial/"))).toBe(false);
    expect(everything.map((e) => e.name)).toContain("folder/example.txt");
  });
});

describe("copy", () => {
  it("copies the bytes, content type and metadata; the target is a version of its own, with its own ETag", async () => {
    const source = await fixture.disk.upload("copy/source.txt", Buffer.from("copied"), { contentType: "text/plain", meta: { owner: "ann" } });
    const copied = await fixture.disk.copy("copy/source.txt", "copy/target/deeper.txt");
    expect(copied).toEqual({ name: "copy/target/deeper.txt", source: "copy/source.txt", etag: expect.stringMatching(VERSION_ETAG) });
    expect(copied.etag).not.toBe(source.etag);
    expect((await fixture.disk.download("copy/target/deeper.txt")).toString()).toBe("copied");
    expect(await fixture.disk.getObject("copy/target/deeper.txt")).toMatchObject({ contentType: "text/plain", meta: { owner: "ann" }, etag: copied.etag });
    expect(await fixture.disk.contentMd5("copy/target/deeper.txt")).toBe(await fixture.disk.contentMd5("copy/source.txt"));
  });

  it("copies an object onto itself without losing it", async () => {
    await fixture.disk.copy("copy/source.txt", "copy/source.txt");
    expect((await fixture.disk.download("copy/source.txt")).toString()).toBe("copied");
  });

  it("copy of a missing object fails with NoSuchKey, naming the source", async () => {
    await expectStorageError(fixture.disk.copy("copy/missing", "copy/x"), { code: NO_SUCH_KEY, operation: "copy", objectName: "copy/missing" });
  });

  it("copy to a name that cannot be on disk fails with INVALID_OBJECT_NAME, naming the target", async () => {
    const error = await expectStorageError(fixture.disk.copy("copy/source.txt", "copy/../../x"), { code: "INVALID_OBJECT_NAME", operation: "copy" });
    expect(error.message).toContain('the target name "copy/../../x" is not valid');
  });
});
