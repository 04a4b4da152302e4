// The storage element's specification as app code sees it: one suite, run against the local OSS server in every
// addressing and signing variant, and against real Aliyun OSS when credentials are given.
import { mkdtemp, readdir, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Readable } from "node:stream";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { NO_SUCH_KEY, StorageError, type App, type ListEntry, type Storage } from "../../runtime/index.ts";
import { noise, sha256 } from "./helpers.ts";

/** Where the suite runs: the fixture app loaded against some OSS, and a prefix of its own in the bucket. */
export interface ContractTarget {
  /** Loads the fixture app against the target; `overrides` change its environment (e.g. a wrong secret). */
  load(overrides?: Record<string, string>): Promise<App>;
  /** Every object the suite makes starts with this; the suite deletes them at the end. */
  prefix: string;
  /** Called last, after the suite has cleaned up (e.g. stops the local server). */
  dispose?: () => Promise<void>;
}

/** Registers the suite; `target()` is called once, before the first test. */
export function storageContract(target: () => Promise<ContractTarget>): void {
  let app: App;
  let storage: Storage;
  let tuned: Storage;
  let prefix: string;
  let scratch: string;
  let load: ContractTarget["load"];
  let dispose: ContractTarget["dispose"];
  const name = (rest: string) => `${prefix}${rest}`;

  beforeAll(async () => {
    const t = await target();
    prefix = t.prefix;
    app = await t.load();
    storage = app.getElement("storages.MyOss");
    tuned = app.getElement("storages.Tuned");
    scratch = await mkdtemp(join(tmpdir(), "storage-contract-"));
    load = t.load;
    dispose = t.dispose;
  });

  afterAll(async () => {
    if (storage !== undefined) {
      const left: string[] = [];
      for await (const entry of storage.list({ prefix })) if (entry.type === "object") left.push(entry.name);
      if (left.length > 0) await storage.deleteMany(left);
    }
    await app?.close();
    if (scratch !== undefined) await rm(scratch, { recursive: true, force: true });
    await dispose?.();
  });

  async function expectStorageError(promise: Promise<unknown>, fields: Partial<StorageError>): Promise<StorageError> {
    const error = await promise.then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(error).toBeInstanceOf(StorageError);
    expect(error).toMatchObject(fields);
    return error as StorageError;
  }

  describe("uploadByFile (the reference's upload)", () => {
    it("stores the bytes and returns url, name, size, etag and contentType", async () => {
      const result = await storage.uploadByFile(name("folder/example.txt"), Buffer.from("hello, oss"), "text/plain");
      expect(result).toEqual({
        url: expect.stringMatching(/^https?:\/\/.+\/folder\/example\.txt$/),
        name: name("folder/example.txt"),
        size: 10,
        etag: expect.stringMatching(/^[0-9A-F]{32}$/),
        contentType: "text/plain",
      });
      expect((await storage.download(result.name)).toString()).toBe("hello, oss");
    });

    it('stores "application/octet-stream" when no contentType is given', async () => {
      const result = await storage.uploadByFile(name("no-type"), Buffer.from([1, 2, 3]));
      expect(result.contentType).toBe("application/octet-stream");
      expect((await storage.getObject(result.name)).contentType).toBe("application/octet-stream");
    });

    it("takes a Uint8Array as well as a Buffer", async () => {
      const result = await storage.uploadByFile(name("u8"), new Uint8Array([104, 105]), "text/plain");
      expect((await storage.download(result.name)).toString()).toBe("hi");
    });

    it("uploads large data in parts (the ETag of a multipart object ends in -<parts>)", async () => {
      const data = noise(600 * 1024, 7);
      const result = await tuned.uploadByFile(name("big.bin"), data);
      expect(result.size).toBe(data.length);
      expect(result.etag).toMatch(/-6$/);
      expect(await sha256(await tuned.download(result.name))).toBe(await sha256(data));
    });

    it.each([
      ["spaces", () => "a file with spaces.txt"],
      ["unicode", () => "文件/übersicht-ß-😀.txt"],
      ["plus", () => "a+b+c.txt"],
      ["percent", () => "100% sure %41%2F.txt"],
      ["query-looking characters", () => "what?is=this&that#hash.txt"],
      ["the longest length, 1023 bytes", () => "n".repeat(1023 - Buffer.byteLength(prefix))],
    ])("round-trips names with %s", async (_label, rest) => {
      const objectName = name(rest());
      await storage.uploadByFile(objectName, Buffer.from(objectName));
      expect((await storage.download(objectName)).toString()).toBe(objectName);
      expect((await storage.getObject(objectName)).name).toBe(objectName);
      const listed: string[] = [];
      for await (const entry of storage.list({ prefix: objectName })) listed.push(entry.name);
      expect(listed).toEqual([objectName]);
      await storage.copy(objectName, name("copies/latest"));
      expect((await storage.download(name("copies/latest"))).toString()).toBe(objectName);
      await storage.delete(objectName);
      expect(await storage.exists(objectName)).toBe(false);
    });
  });

  describe("upload", () => {
    it("streams a Readable of unknown length", async () => {
      const result = await storage.upload(name("stream.txt"), Readable.from([Buffer.from("one "), Buffer.from("two")]), { contentType: "text/plain" });
      expect(result.size).toBe(7);
      expect((await storage.download(result.name)).toString()).toBe("one two");
    });

    it("streams a Readable larger than the multipart threshold in parts", async () => {
      const data = noise(700 * 1024, 3);
      const chunks = Array.from({ length: 70 }, (_, i) => data.subarray(i * 10240, (i + 1) * 10240));
      const result = await tuned.upload(name("stream-big.bin"), Readable.from(chunks));
      expect(result.size).toBe(data.length);
      expect(result.etag).toMatch(/-7$/);
      expect(await sha256(await tuned.download(result.name))).toBe(await sha256(data));
    });

    it("uploads a local file by its path, in parts when large", async () => {
      const file = join(scratch, "local.bin");
      const data = noise(512 * 1024 + 17, 5);
      await writeFile(file, data);
      const result = await tuned.upload(name("from-file.bin"), file, { contentType: "application/x-test" });
      expect(result).toMatchObject({ size: data.length, contentType: "application/x-test" });
      expect(await sha256(await tuned.download(result.name))).toBe(await sha256(data));
    });

    it("stores user metadata, and getObject gives it back", async () => {
      await storage.upload(name("with-meta.txt"), Buffer.from("m"), { contentType: "text/plain", meta: { Owner: "ann", purpose: "test" } });
      expect((await storage.getObject(name("with-meta.txt"))).meta).toEqual({ owner: "ann", purpose: "test" });
    });

    it("reports progress up to the total", async () => {
      const seen: Array<{ loaded: number; total: number | undefined }> = [];
      const data = noise(400 * 1024, 9);
      await tuned.upload(name("progress.bin"), data, { onProgress: (p) => seen.push(p) });
      expect(seen.length).toBeGreaterThan(1);
      expect(seen.at(-1)).toEqual({ loaded: data.length, total: data.length });
      const loaded = seen.map((p) => p.loaded);
      expect([...loaded].sort((a, b) => a - b)).toEqual(loaded);
    });

    it("stores an empty object", async () => {
      const result = await storage.upload(name("empty"), Buffer.alloc(0));
      expect(result.size).toBe(0);
      expect((await storage.download(result.name)).length).toBe(0);
    });

    it("replaces an existing object", async () => {
      await storage.uploadByFile(name("replaced.txt"), Buffer.from("first"));
      await storage.uploadByFile(name("replaced.txt"), Buffer.from("second"));
      expect((await storage.download(name("replaced.txt"))).toString()).toBe("second");
    });
  });

  describe("download, downloadStream and downloadToFile", () => {
    it("download of a missing object fails with NoSuchKey, distinguishable by code", async () => {
      const error = await expectStorageError(storage.download(name("missing.pdf")), {
        code: NO_SUCH_KEY,
        status: 404,
        operation: "download",
        objectName: name("missing.pdf"),
        element: "storages.MyOss",
        storageType: "storages.OssType",
      });
      expect(error.message).toBe(`storages.MyOss (storages.OssType): download of "${name("missing.pdf")}" failed: NoSuchKey (404), the object does not exist`);
    });

    it("downloadStream gives the bytes, or a byte range (both ends included)", async () => {
      const data = noise(100_000, 11);
      await storage.uploadByFile(name("ranged.bin"), data);
      expect(await sha256(await storage.downloadStream(name("ranged.bin")))).toBe(await sha256(data));
      const middle = await storage.downloadStream(name("ranged.bin"), { range: { start: 10, end: 19 } });
      expect(Buffer.concat(await middle.toArray())).toEqual(data.subarray(10, 20));
      const tail = await storage.downloadStream(name("ranged.bin"), { range: { start: 99_990 } });
      expect(Buffer.concat(await tail.toArray())).toEqual(data.subarray(99_990));
    });

    it("downloadStream of a missing object rejects with NoSuchKey before any stream", async () => {
      await expectStorageError(storage.downloadStream(name("missing")), { code: NO_SUCH_KEY, operation: "downloadStream" });
    });

    it("downloadToFile writes the whole file, and leaves nothing behind when it fails", async () => {
      const data = noise(300_000, 13);
      await storage.uploadByFile(name("to-file.bin"), data);
      const target = join(scratch, "downloaded.bin");
      expect(await storage.downloadToFile(name("to-file.bin"), target)).toEqual({ name: name("to-file.bin"), path: target, size: data.length });
      expect(await sha256(await readFile(target))).toBe(await sha256(data));

      const before = await readdir(scratch);
      await expectStorageError(storage.downloadToFile(name("missing"), join(scratch, "never.bin")), { code: NO_SUCH_KEY, operation: "downloadToFile" });
      expect(await readdir(scratch)).toEqual(before);
    });
  });

  describe("getObject, exists, delete", () => {
    it("getObject gives name, size, etag, contentType, lastModified (a Date) and meta", async () => {
      const uploaded = await storage.uploadByFile(name("info.json"), Buffer.from("{}"), "application/json");
      const info = await storage.getObject(uploaded.name);
      expect(info).toEqual({ name: uploaded.name, size: 2, etag: uploaded.etag, contentType: "application/json", lastModified: expect.any(Date), meta: {} });
      expect(Math.abs(info.lastModified.getTime() - Date.now())).toBeLessThan(5 * 60_000);
    });

    it("getObject of a missing object fails with NoSuchKey", async () => {
      await expectStorageError(storage.getObject(name("missing")), { code: NO_SUCH_KEY, status: 404, operation: "getObject" });
    });

    it("exists answers true and false, not an error", async () => {
      await storage.uploadByFile(name("here"), Buffer.from("x"));
      expect(await storage.exists(name("here"))).toBe(true);
      expect(await storage.exists(name("not-here"))).toBe(false);
    });

    it("delete returns { name, deleted: true }, also for a missing object", async () => {
      await storage.uploadByFile(name("doomed"), Buffer.from("x"));
      expect(await storage.delete(name("doomed"))).toEqual({ name: name("doomed"), deleted: true });
      expect(await storage.exists(name("doomed"))).toBe(false);
      expect(await storage.delete(name("never-was"))).toEqual({ name: name("never-was"), deleted: true });
    });

    it("deleteMany deletes every name, missing ones included", async () => {
      const names = ["many/1", "many/2", "many/3"].map(name);
      await Promise.all(names.map((n) => storage.uploadByFile(n, Buffer.from(n))));
      expect(await storage.deleteMany([...names, name("many/missing")])).toEqual({ deleted: [...names, name("many/missing")] });
      expect(await Promise.all(names.map((n) => storage.exists(n)))).toEqual([false, false, false]);
      expect(await storage.deleteMany([])).toEqual({ deleted: [] });
    });
  });

  describe("list", () => {
    it("lists objects in name order and pages by itself", async () => {
      const names = ["list/a", "list/b", "list/c/1", "list/c/2", "list/d"].map(name);
      await Promise.all(names.map((n) => storage.uploadByFile(n, Buffer.from("x"))));
      const all: ListEntry[] = [];
      for await (const entry of storage.list({ prefix: name("list/"), pageSize: 2 })) all.push(entry);
      expect(all.map((e) => e.name)).toEqual(names);
      expect(all[0]).toEqual({ type: "object", name: names[0], size: 1, etag: expect.any(String), lastModified: expect.any(Date) });
    });

    it("groups names by the delimiter into prefixes", async () => {
      const entries: ListEntry[] = [];
      for await (const entry of storage.list({ prefix: name("list/"), delimiter: "/", pageSize: 3 })) entries.push(entry);
      expect(entries.map((e) => `${e.type}:${e.name}`)).toEqual(["object:a", "object:b", "prefix:c/", "object:d"].map((s) => s.replace(":", `:${name("list/")}`)));
    });

    it("stops after limit entries", async () => {
      const entries: ListEntry[] = [];
      for await (const entry of storage.list({ prefix: name("list/"), limit: 3, pageSize: 2 })) entries.push(entry);
      expect(entries).toHaveLength(3);
    });
  });

  describe("copy", () => {
    it("copies an object within the bucket", async () => {
      await storage.uploadByFile(name("copy/source.txt"), Buffer.from("copied"), "text/plain");
      expect(await storage.copy(name("copy/source.txt"), name("copy/target.txt"))).toEqual({
        name: name("copy/target.txt"),
        source: name("copy/source.txt"),
        etag: expect.any(String),
      });
      expect((await storage.download(name("copy/target.txt"))).toString()).toBe("copied");
      expect((await storage.getObject(name("copy/target.txt"))).contentType).toBe("text/plain");
    });

    it("copy of a missing object fails with NoSuchKey", async () => {
      await expectStorageError(storage.copy(name("copy/missing"), name("copy/x")), { code: NO_SUCH_KEY, operation: "copy", objectName: name("copy/missing") });
    });
  });

  describe("getSignUrl", () => {
    it("gives a GET URL that plain fetch can use, serving the given Content-Type", async () => {
      await storage.uploadByFile(name("signed/photo.jpg"), Buffer.from("jpeg bytes"), "application/octet-stream");
      const url = await storage.getSignUrl(name("signed/photo.jpg"), "image/jpeg", 600);
      const response = await fetch(url);
      expect(response.status).toBe(200);
      expect(response.headers.get("content-type")).toBe("image/jpeg");
      expect(await response.text()).toBe("jpeg bytes");
    });

    it("expires after 300 seconds by default", async () => {
      const url = new URL(await storage.getSignUrl(name("signed/photo.jpg"), "image/jpeg"));
      const v1 = url.searchParams.get("Expires");
      if (v1 !== null) expect(Number(v1) - Date.now() / 1000).toBeGreaterThan(295);
      if (v1 !== null) expect(Number(v1) - Date.now() / 1000).toBeLessThanOrEqual(301);
      else expect(url.searchParams.get("x-oss-expires")).toBe("300");
    });

    it('with { method: "PUT" } gives an upload URL bound to the Content-Type', async () => {
      const url = await storage.getSignUrl(name("signed/upload.json"), "application/json", 600, { method: "PUT" });
      const response = await fetch(url, { method: "PUT", body: '{"ok":true}', headers: { "Content-Type": "application/json" } });
      expect(response.status).toBe(200);
      expect(await storage.getObject(name("signed/upload.json"))).toMatchObject({ contentType: "application/json", size: 11 });

      const wrongType = await fetch(url, { method: "PUT", body: "text", headers: { "Content-Type": "text/plain" } });
      expect(wrongType.status).toBe(403);
      expect(await wrongType.text()).toContain("<Code>SignatureDoesNotMatch</Code>");
    });

    it("is refused once tampered with", async () => {
      const url = new URL(await storage.getSignUrl(name("signed/photo.jpg"), "image/jpeg", 600));
      const other = new URL(url);
      other.pathname = other.pathname.replace("photo.jpg", "other.jpg");
      expect((await fetch(other)).status).toBe(403);
      const forged = new URL(url);
      forged.searchParams.set("response-content-type", "text/html");
      expect((await fetch(forged)).status).toBe(403);
    });

    it("is refused once expired", async () => {
      const url = await storage.getSignUrl(name("signed/photo.jpg"), "image/jpeg", 1);
      await new Promise((resolve) => setTimeout(resolve, 2_100));
      const response = await fetch(url);
      expect(response.status).toBe(403);
      expect(await response.text()).toContain("<Code>AccessDenied</Code>");
    });

    it("checks its arguments", async () => {
      await expectStorageError(storage.getSignUrl(name("x"), "", 60), { code: "INVALID_ARGUMENT", operation: "getSignUrl" });
      await expectStorageError(storage.getSignUrl(name("x"), "text/plain", 0), { code: "INVALID_ARGUMENT" });
      await expectStorageError(storage.getSignUrl(name("x"), "text/plain", 8 * 24 * 3600), { code: "INVALID_ARGUMENT" });
    });
  });

  describe("when the service refuses", () => {
    it("a wrong secret fails with SignatureDoesNotMatch, and the message says what to check", async () => {
      const wrong = await load({ OSS_ACCESS_KEY_SECRET: "not-the-right-secret" });
      try {
        const error = await expectStorageError(wrong.getElement("storages.MyOss").uploadByFile(name("never.txt"), Buffer.from("x")), {
          code: "SignatureDoesNotMatch",
          status: 403,
          operation: "uploadByFile",
          attempts: 1,
        });
        expect(error.message).toContain("check accessKeySecret");
        expect(error.requestId).toEqual(expect.any(String));
      } finally {
        await wrong.close();
      }
    });

    it("an unknown access key fails with InvalidAccessKeyId", async () => {
      const wrong = await load({ OSS_ACCESS_KEY_ID: "LTAI-no-such-key" });
      try {
        await expectStorageError(wrong.getElement("storages.MyOss").getObject(name("x")), { code: "InvalidAccessKeyId", status: 403 });
      } finally {
        await wrong.close();
      }
    });
  });
}
