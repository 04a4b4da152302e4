// The storage contract: what every storage Type does, as app code sees it. A Type's suite is one call,
// `storageContract(target)`, with a target that loads an app and names the element to test. Traits state the few
// documented ways in which Types differ; each trait changes what is expected, never whether a behaviour is tested.
import { createHash } from "node:crypto";
import { mkdtemp, readdir, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Readable, Transform } from "node:stream";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { NO_SUCH_KEY, Storage, StorageError, type App, type ListEntry, type ListOptions } from "../../index.ts";
import { md5 as upperMd5, noise, noiseStream, sha256 } from "./test-data.ts";

/** Where the contract runs: an app, the element under test, and what sets its Type apart. */
export interface StorageTarget {
  /** The instance under test, e.g. `storages.MyOss`: an element of the Type, with the Type's defaults. */
  element: string;
  /**
   * An instance of the same Type on the same bucket or folder, set to upload anything above 256 KiB in small parts,
   * so that the tests of multipart uploads, progress and abort stay quick; `element` when the Type has no parts.
   */
  tuned?: string;
  /** Every object the suite makes starts with this; the suite deletes them at the end. */
  prefix: string;
  traits: StorageTraits;
  /** Starts what the target needs (a server, a folder); called once, before the first test. */
  start(): Promise<StartedTarget>;
}

/** A started target. */
export interface StartedTarget {
  /** Loads the app; `env` changes its environment (e.g. a wrong secret). Each call is a new App. */
  load(env?: Record<string, string>): Promise<App>;
  /** Called last, after the suite has deleted its objects and closed its apps. */
  stop?(): Promise<void>;
}

/** The documented differences between storage Types. */
export interface StorageTraits {
  /**
   * An object uploaded in parts has an ETag that ends in `-<parts>` (OSS, S3), `tuned` uploading in parts of
   * `partSize` bytes. `false`: every ETag is the upper-case hex MD5 of the object's bytes, however it was uploaded.
   */
  partEtags: false | { partSize: number };
  /**
   * The ETag names the stored version, not its bytes (disk: inode, size and modification time, as web servers make
   * it): an upload, a copy and a hand edit each give a new one, equal bytes included. Without it, the ETag of an
   * object stored whole is the upper-case hex MD5 of its bytes, and a copy's is its source's.
   */
  versionEtags?: boolean;
  /**
   * Names are paths of files (disk): each part between slashes has at most `maxSegmentBytes` bytes of UTF-8 and is
   * not empty, "." or ".."; and a name cannot be both an object and the folder of others ("a" and "a/b"): the later
   * write fails with NAME_CONFLICT (409). Without it, every valid name is a key of its own, "a" beside "a/b".
   */
  pathNames?: { maxSegmentBytes: number };
  /**
   * The Type signs requests with an access key pair, and the service checks them (OSS; S3 alike): `env` that loads
   * the app with the wrong secret and with an unknown key id, and the config field the message says to check.
   */
  credentials?: { wrongSecret: Record<string, string>; unknownKeyId: Record<string, string>; secretField: string };
  /**
   * The case of the hex in ETags: "upper" (OSS, disk; the default) or "lower" (S3 and the services that speak it).
   * Added for the S3 Types, which keep the service's ETag as it is so that it matches what other S3 tools show.
   */
  etagCase?: "upper" | "lower";
  /**
   * What the server under test does not implement, each with the reason. Added for s3rver, the independent S3
   * server the S3 Types are also checked against: the tests that need it check what the Type sent instead.
   */
  serverGaps?: ServerGaps;
}

/** Gaps of a server under test (not of the Type): each names why, and changes what the tests expect. */
export interface ServerGaps {
  /** It does not check V4 signatures: a signed URL's binding to method, object and Content-Type is read from its signed parts. */
  signatures?: string;
  /** It pages in another order than UTF-8 bytes, losing names across pages: the order test lists in one page. */
  listOrder?: string;
  /** It cannot read some names in x-amz-copy-source: names holding any of `characters` are not copied in the round trip. */
  copySource?: { characters: string; reason: string };
  /** It writes an object's bytes and facts apart, so racing uploads of one name mix: the race is followed by one more upload. */
  atomicWrites?: string;
  /** Its multipart ETags have no `-<parts>` suffix: they are checked as 32 hex digits. */
  multipartEtags?: string;
  /** It keeps each part of a name between slashes as a file name: the longest name is made of parts of at most `bytes`. */
  segmentBytes?: { bytes: number; reason: string };
}

const MAX_NAME_BYTES = 1023;
const KiB = 1024;
const MiB = 1024 * KiB;

/** Registers the contract for `target`. */
export function storageContract(target: StorageTarget): void {
  const { traits } = target;
  let started: StartedTarget | undefined;
  let app: App | undefined;
  let storage: Storage;
  let tuned: Storage;
  /** The element's Type, as the app resolved its chain: what every error must name. */
  let storageType: string;
  let scratch: string | undefined;
  /** A URL signed for one second at the start, checked near the end: its wait overlaps the other tests. */
  let expiring: Promise<{ url: string; signedAt: number }>;
  const name = (rest: string) => `${target.prefix}${rest}`;
  /** The ETag of bytes stored whole: their MD5, in the Type's case. */
  const md5 = (data: Buffer) => (traits.etagCase === "lower" ? upperMd5(data).toLowerCase() : upperMd5(data));

  beforeAll(async () => {
    started = await target.start();
    app = await started.load();
    storage = storageOf(app, target.element);
    tuned = target.tuned === undefined ? storage : storageOf(app, target.tuned);
    const chain = app.elements().find((e) => e.fullName === target.element)?.chain ?? [];
    storageType = chain[1] ?? "(no Type)";
    scratch = await mkdtemp(join(tmpdir(), "storage-contract-"));
    await storage.uploadByFile(name("signed/photo.jpg"), Buffer.from("jpeg bytes"), "application/octet-stream");
    expiring = storage.getSignUrl(name("signed/photo.jpg"), "image/jpeg", 1).then((url) => ({ url, signedAt: Date.now() }));
    // Its failure belongs to the test that uses it, not to the whole suite.
    expiring.catch(() => {});
  });

  afterAll(async () => {
    try {
      if (app !== undefined && storage !== undefined) {
        const left: string[] = [];
        for await (const entry of storage.list({ prefix: target.prefix })) if (entry.type === "object") left.push(entry.name);
        if (left.length > 0) await storage.deleteMany(left);
      }
    } finally {
      await app?.close();
      if (scratch !== undefined) await rm(scratch, { recursive: true, force: true });
      await started?.stop?.();
    }
  });

  /** Awaits `promise`, expecting a StorageError of the element (unless `fields` names another) and Type with `fields`; returns it. */
  async function expectStorageError(promise: Promise<unknown>, fields: Partial<StorageError>): Promise<StorageError> {
    const error = await promise.then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(error).toBeInstanceOf(StorageError);
    expect(error).toMatchObject({ element: target.element, storageType, ...fields });
    return error as StorageError;
  }

  async function listNames(options: ListOptions): Promise<string[]> {
    const names: string[] = [];
    for await (const entry of storage.list(options)) names.push(entry.name);
    return names;
  }

  describe("the element", () => {
    it("is a Storage named by its element and its Type, the same instance on every getElement", () => {
      expect(storage).toBeInstanceOf(Storage);
      expect(storage.element).toBe(target.element);
      expect(storage.storageType).toBe(storageType);
      expect(app!.elements().find((e) => e.fullName === target.element)?.chain.at(-1)).toBe("storages.Meta");
      expect(app!.getElement(target.element)).toBe(storage);
    });
  });

  describe("uploadByFile (the reference's upload)", () => {
    it("stores the bytes and returns url, name, size, etag (the bytes' MD5) and contentType", async () => {
      const result = await storage.uploadByFile(name("folder/example.txt"), Buffer.from("hello, storage"), "text/plain");
      expect(result).toEqual({
        url: expect.stringMatching(/^(https?|file):\/\/.+\/folder\/example\.txt$/),
        name: name("folder/example.txt"),
        size: 14,
        etag: bytesEtag(Buffer.from("hello, storage")),
        contentType: "text/plain",
      });
      expect((await storage.download(result.name)).toString()).toBe("hello, storage");
    });

    it("gives the url of an upload from urlOf, without a request, and refuses a bad name with INVALID_OBJECT_NAME", async () => {
      const result = await storage.uploadByFile(name("folder/url of.txt"), Buffer.from("where"), "text/plain");
      expect(storage.urlOf(result.name)).toBe(result.url);
      expect(storage.urlOf(name("folder/not yet stored.txt"))).toBe(result.url.replace("url%20of", "not%20yet%20stored"));
      expect(() => storage.urlOf("/leading-slash")).toThrow(expect.objectContaining({ code: "INVALID_OBJECT_NAME", operation: "urlOf", element: target.element }));
    });

    it('stores "application/octet-stream" when no contentType is given', async () => {
      const result = await storage.uploadByFile(name("no-type"), Buffer.from([1, 2, 3]));
      expect(result.contentType).toBe("application/octet-stream");
      expect((await storage.getObject(result.name)).contentType).toBe("application/octet-stream");
    });

    it("takes a Uint8Array as well as a Buffer, and refuses anything else with INVALID_ARGUMENT", async () => {
      const result = await storage.uploadByFile(name("u8"), new Uint8Array([104, 105]), "text/plain");
      expect((await storage.download(result.name)).toString()).toBe("hi");
      await expectStorageError(storage.uploadByFile(name("text"), "not bytes" as unknown as Buffer), { code: "INVALID_ARGUMENT", operation: "uploadByFile" });
      expect(await storage.exists(name("text"))).toBe(false);
    });

    it(
      traits.partEtags ? "uploads large data in parts (the ETag of a multipart object ends in -<parts>)" : "stores large data whole, its ETag the MD5 of all its bytes",
      async () => {
        const data = noise(600 * KiB, 7);
        const result = await tuned.uploadByFile(name("big.bin"), data);
        expect(result.size).toBe(data.length);
        expectEtag(result.etag, data);
        expect((await tuned.getObject(result.name)).etag).toBe(result.etag);
        expect(await sha256(await tuned.download(result.name))).toBe(await sha256(data));
      },
    );
  });

  describe("object names", () => {
    it.each([
      ["spaces", "a file with spaces.txt"],
      ["unicode", "文件/übersicht-ß-😀.txt"],
      ["plus", "a+b+c.txt"],
      ["percent", "100% sure %41%2F.txt"],
      ["query-looking characters", "what?is=this&that#hash.txt"],
    ])("round-trips names with %s through every method and a signed GET", async (_label, rest) => {
      await roundTrip(name(rest));
    });

    it(
      traits.pathNames === undefined
        ? "round-trips the longest name, 1023 bytes"
        : `round-trips the longest name, 1023 bytes, in parts of up to ${traits.pathNames.maxSegmentBytes} bytes`,
      async () => {
        const objectName = longestName(target.prefix, traits.pathNames?.maxSegmentBytes ?? traits.serverGaps?.segmentBytes?.bytes);
        expect(Buffer.byteLength(objectName)).toBe(MAX_NAME_BYTES);
        await roundTrip(objectName);
      },
    );

    it("takes a name that only starts other names, or runs through an object, for no object", async () => {
      await storage.uploadByFile(name("nested/folder/leaf"), Buffer.from("leaf"));
      for (const missing of [name("nested/folder"), name("nested/folder/leaf/below")]) {
        await expectStorageError(storage.getObject(missing), { code: NO_SUCH_KEY, status: 404, operation: "getObject", objectName: missing });
        await expectStorageError(storage.download(missing), { code: NO_SUCH_KEY, operation: "download" });
        await expectStorageError(storage.copy(missing, name("nested/copy")), { code: NO_SUCH_KEY, operation: "copy" });
        expect(await storage.exists(missing)).toBe(false);
        expect(await storage.delete(missing)).toEqual({ name: missing, deleted: true });
      }
      expect(await listNames({ prefix: name("nested/") })).toEqual([name("nested/folder/leaf")]);
      expect((await storage.download(name("nested/folder/leaf"))).toString()).toBe("leaf");
    });

    if (traits.pathNames === undefined) {
      it('keeps "a" and "a/b" as two objects side by side', async () => {
        await storage.uploadByFile(name("side/a/b"), Buffer.from("below"));
        await storage.uploadByFile(name("side/a"), Buffer.from("above"));
        await storage.copy(name("side/a"), name("side/a/c"));
        expect(await listNames({ prefix: name("side/") })).toEqual([name("side/a"), name("side/a/b"), name("side/a/c")]);
        await storage.delete(name("side/a"));
        expect((await storage.download(name("side/a/b"))).toString()).toBe("below");
      });
    } else {
      const max = traits.pathNames.maxSegmentBytes;
      it(`refuses a part longer than ${max} bytes with INVALID_OBJECT_NAME, before storing anything`, async () => {
        const objectName = name(`long/${"x".repeat(max + 1)}`);
        const error = await expectStorageError(storage.uploadByFile(objectName, Buffer.from("x")), { code: "INVALID_OBJECT_NAME", operation: "uploadByFile", objectName });
        expect(error.message).toContain(String(max));
        await expectStorageError(storage.getObject(objectName), { code: "INVALID_OBJECT_NAME" });
        expect(await listNames({ prefix: name("long/") })).toEqual([]);
      });

      it.each([
        ["an empty part", "paths/a//b"],
        ["a trailing slash", "paths/a/"],
        ['a "." part', "paths/./b"],
        ['a ".." part', "paths/../b"],
      ])("refuses a name with %s with INVALID_OBJECT_NAME", async (_label, rest) => {
        await expectStorageError(storage.uploadByFile(name(rest), Buffer.from("x")), { code: "INVALID_OBJECT_NAME", operation: "uploadByFile", objectName: name(rest) });
        await expectStorageError(storage.copy(name("paths-source"), name(rest)), { code: "INVALID_OBJECT_NAME", operation: "copy" });
        expect(await listNames({ prefix: name("paths") })).toEqual([]);
      });

      it('refuses "a" beside "a/b" (and the reverse) with NAME_CONFLICT (409), leaving the first intact', async () => {
        await storage.uploadByFile(name("side/a/b"), Buffer.from("below"));
        await expectStorageError(storage.uploadByFile(name("side/a"), Buffer.from("above")), { code: "NAME_CONFLICT", status: 409, operation: "uploadByFile", objectName: name("side/a") });
        await storage.uploadByFile(name("side/x"), Buffer.from("file"));
        await expectStorageError(storage.upload(name("side/x/y"), Buffer.from("under")), { code: "NAME_CONFLICT", status: 409, operation: "upload" });
        await expectStorageError(storage.copy(name("side/x"), name("side/a")), { code: "NAME_CONFLICT", status: 409, operation: "copy" });
        expect(await listNames({ prefix: name("side/") })).toEqual([name("side/a/b"), name("side/x")]);
        expect((await storage.download(name("side/a/b"))).toString()).toBe("below");
        expect((await storage.download(name("side/x"))).toString()).toBe("file");
      });
    }

    it.each([
      ["an empty name", "", /may not be empty/],
      ["a name over 1023 bytes of UTF-8", "é".repeat(512), /at most 1023 bytes of UTF-8/],
      ["a name starting with /", "/docs/a.pdf", /may not start with "\/"/],
      ["a name holding a lone surrogate (not valid UTF-8)", "bad\uD800name", /valid UTF-8/],
    ])("refuses %s with INVALID_OBJECT_NAME in every method, the message naming element and Type", async (_label, invalid, why) => {
      const attempts: Array<[string, () => Promise<unknown>]> = [
        ["uploadByFile", () => storage.uploadByFile(invalid, Buffer.from("x"))],
        ["upload", () => storage.upload(invalid, Readable.from(["x"]))],
        ["getSignUrl", () => storage.getSignUrl(invalid, "text/plain")],
        ["download", () => storage.download(invalid)],
        ["downloadStream", () => storage.downloadStream(invalid)],
        ["downloadToFile", () => storage.downloadToFile(invalid, join(scratch!, "never-written"))],
        ["getObject", () => storage.getObject(invalid)],
        ["exists", () => storage.exists(invalid)],
        ["delete", () => storage.delete(invalid)],
        ["copy", () => storage.copy(invalid, name("fine.txt"))],
        ["copy", () => storage.copy(name("fine.txt"), invalid)],
        ["deleteMany", () => storage.deleteMany([name("fine.txt"), invalid])],
      ];
      for (const [operation, attempt] of attempts) {
        const error = await expectStorageError(attempt(), { code: "INVALID_OBJECT_NAME", operation });
        expect(error.message).toMatch(why);
        expect(error.message.startsWith(`${target.element} (${storageType}): ${operation}`)).toBe(true);
      }
      expect(await readdir(scratch!)).toEqual([]);
    });

    /** Every method on `objectName`, and a signed GET of it with plain fetch. */
    async function roundTrip(objectName: string): Promise<void> {
      await storage.uploadByFile(objectName, Buffer.from(objectName));
      expect((await storage.download(objectName)).toString()).toBe(objectName);
      expect((await storage.getObject(objectName)).name).toBe(objectName);
      expect(await listNames({ prefix: objectName })).toEqual([objectName]);
      const response = await fetch(await storage.getSignUrl(objectName, "text/plain", 60));
      expect(response.status).toBe(200);
      expect(await response.text()).toBe(objectName);
      const copyGap = traits.serverGaps?.copySource;
      if (copyGap === undefined || ![...copyGap.characters].some((c) => objectName.includes(c))) {
        await storage.copy(objectName, name("copies/latest"));
        expect((await storage.download(name("copies/latest"))).toString()).toBe(objectName);
      }
      await storage.delete(objectName);
      expect(await storage.exists(objectName)).toBe(false);
    }
  });

  describe("upload", () => {
    it("streams a Readable of unknown length", async () => {
      const result = await storage.upload(name("stream.txt"), Readable.from([Buffer.from("one "), Buffer.from("two")]), { contentType: "text/plain" });
      expect(result).toMatchObject({ name: name("stream.txt"), size: 7, etag: bytesEtag(Buffer.from("one two")), contentType: "text/plain" });
      expect((await storage.download(result.name)).toString()).toBe("one two");
    });

    it(traits.partEtags ? "streams a Readable larger than the multipart threshold in parts" : "streams a large Readable whole", async () => {
      const data = noise(700 * KiB, 3);
      const chunks = Array.from({ length: 70 }, (_, i) => data.subarray(i * 10 * KiB, (i + 1) * 10 * KiB));
      const result = await tuned.upload(name("stream-big.bin"), Readable.from(chunks));
      expect(result.size).toBe(data.length);
      expectEtag(result.etag, data);
      expect(await sha256(await tuned.download(result.name))).toBe(await sha256(data));
    });

    it("uploads a local file by its path", async () => {
      const file = join(scratch!, "local.bin");
      const data = noise(512 * KiB + 17, 5);
      await writeFile(file, data);
      try {
        const result = await tuned.upload(name("from-file.bin"), file, { contentType: "application/x-test" });
        expect(result).toMatchObject({ size: data.length, contentType: "application/x-test" });
        expectEtag(result.etag, data);
        expect(await sha256(await tuned.download(result.name))).toBe(await sha256(data));
      } finally {
        await rm(file);
      }
    });

    it("stores user metadata (names lower-cased), and getObject gives it back", async () => {
      await storage.upload(name("with-meta.txt"), Buffer.from("m"), { contentType: "text/plain", meta: { Owner: "ann", purpose: "test" } });
      expect((await storage.getObject(name("with-meta.txt"))).meta).toEqual({ owner: "ann", purpose: "test" });
    });

    it("reports progress, in order, up to the total", async () => {
      const seen: Array<{ loaded: number; total: number | undefined }> = [];
      const data = noise(400 * KiB, 9);
      await tuned.upload(name("progress.bin"), data, { onProgress: (p) => seen.push(p) });
      expect(seen.length).toBeGreaterThan(1);
      expect(seen.at(-1)).toEqual({ loaded: data.length, total: data.length });
      const loaded = seen.map((p) => p.loaded);
      expect([...loaded].sort((a, b) => a - b)).toEqual(loaded);
    });

    it("stores an empty object", async () => {
      const result = await storage.upload(name("empty"), Buffer.alloc(0));
      expect(result).toMatchObject({ size: 0, etag: bytesEtag(Buffer.alloc(0)) });
      expect((await storage.download(result.name)).length).toBe(0);
    });

    it("replaces an existing object, its facts with it", async () => {
      await storage.upload(name("replaced.txt"), Buffer.from("first"), { contentType: "text/plain", meta: { version: "1" } });
      await storage.uploadByFile(name("replaced.txt"), Buffer.from("second"), "application/json");
      expect((await storage.download(name("replaced.txt"))).toString()).toBe("second");
      expect(await storage.getObject(name("replaced.txt"))).toMatchObject({ size: 6, contentType: "application/json", etag: bytesEtag(Buffer.from("second")), meta: {} });
    });

    it("leaves one whole version when uploads of one name race, its facts matching its bytes", async () => {
      const versions = Array.from({ length: 10 }, (_, i) => noise(50_000 + i * 1000, 40 + i));
      await Promise.all(versions.map((data, i) => (i % 2 === 0 ? storage.uploadByFile(name("raced.bin"), data) : storage.upload(name("raced.bin"), Readable.from([data])))));
      // A server whose writes are not atomic mixes racing uploads: every one still succeeds, and the next one is whole.
      if (traits.serverGaps?.atomicWrites !== undefined) await storage.uploadByFile(name("raced.bin"), versions[3]!);
      const stored = await storage.download(name("raced.bin"));
      expect(versions.some((data) => data.equals(stored))).toBe(true);
      expect(await storage.getObject(name("raced.bin"))).toMatchObject({ size: stored.length, etag: bytesEtag(stored) });
    });

    it("fails with the source's error when the source stream fails, storing nothing", async () => {
      const failing = new Readable({ read() {} });
      failing.push(noise(64 * KiB, 33));
      setTimeout(() => failing.destroy(Object.assign(new Error("the source broke"), { code: "EIO" })), 50);
      const error = await expectStorageError(storage.upload(name("broken-source.bin"), failing), { code: "EIO", operation: "upload", objectName: name("broken-source.bin") });
      expect(error.message).toContain("the source broke");
      expect(await storage.exists(name("broken-source.bin"))).toBe(false);
    });

    it("stops on abort mid-upload with ABORTED, leaving nothing, while another upload on the storage lands", async () => {
      const controller = new AbortController();
      // More than a part, then nothing more: the upload can only end by the abort.
      const stalled = new Readable({ read() {} });
      stalled.push(noise(300 * KiB, 31));
      const mine = tuned.upload(name("abort/mine.bin"), stalled, { signal: controller.signal, onProgress: () => controller.abort() });
      const timer = setTimeout(() => controller.abort(), 500);
      const theirs = noise(300 * KiB, 32);
      const untouched = tuned.uploadByFile(name("abort/theirs.bin"), theirs);
      try {
        await expectStorageError(mine, { element: target.tuned ?? target.element, code: "ABORTED", operation: "upload", objectName: name("abort/mine.bin") });
      } finally {
        clearTimeout(timer);
      }
      await untouched;
      expect(await tuned.exists(name("abort/mine.bin"))).toBe(false);
      expect(await listNames({ prefix: name("abort/") })).toEqual([name("abort/theirs.bin")]);
      expect(await sha256(await tuned.download(name("abort/theirs.bin")))).toBe(await sha256(theirs));
    });

    it("fails at once with ABORTED when the signal is already aborted, storing nothing", async () => {
      await expectStorageError(storage.upload(name("abort/never.bin"), Buffer.from("x"), { signal: AbortSignal.abort() }), { code: "ABORTED", operation: "upload" });
      expect(await storage.exists(name("abort/never.bin"))).toBe(false);
    });
  });

  describe("download, downloadStream and downloadToFile", () => {
    it("download of a missing object fails with NoSuchKey (404), the message naming element and Type", async () => {
      const missing = name("missing.pdf");
      const error = await expectStorageError(storage.download(missing), { code: NO_SUCH_KEY, status: 404, operation: "download", objectName: missing });
      expect(error.message).toBe(`${target.element} (${storageType}): download of "${missing}" failed: NoSuchKey (404), the object does not exist`);
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

    it("downloadStream of a range whose end runs past the object gives the bytes to its end, as an HTTP Range does", async () => {
      await storage.uploadByFile(name("short.txt"), Buffer.from("0123456789"));
      const rest = await storage.downloadStream(name("short.txt"), { range: { start: 5, end: 100 } });
      expect(Buffer.concat(await rest.toArray()).toString()).toBe("56789");
      const last = await storage.downloadStream(name("short.txt"), { range: { start: 9, end: 9 } });
      expect(Buffer.concat(await last.toArray()).toString()).toBe("9");
    });

    it("downloadStream of a range that starts past the object fails with InvalidRange (416)", async () => {
      await storage.uploadByFile(name("short.txt"), Buffer.from("0123456789"));
      await expectStorageError(storage.downloadStream(name("short.txt"), { range: { start: 10 } }), { code: "InvalidRange", status: 416, operation: "downloadStream" });
      await expectStorageError(storage.downloadStream(name("short.txt"), { range: { start: 20, end: 30 } }), { code: "InvalidRange", status: 416 });
    });

    it("downloadStream of a missing object rejects with NoSuchKey before any stream", async () => {
      await expectStorageError(storage.downloadStream(name("missing")), { code: NO_SUCH_KEY, status: 404, operation: "downloadStream" });
    });

    it("downloadToFile writes the whole file, and leaves nothing behind when it fails", async () => {
      const data = noise(300_000, 13);
      await storage.uploadByFile(name("to-file.bin"), data);
      const path = join(scratch!, "downloaded.bin");
      expect(await storage.downloadToFile(name("to-file.bin"), path)).toEqual({ name: name("to-file.bin"), path, size: data.length });
      expect(await sha256(await readFile(path))).toBe(await sha256(data));

      const before = await readdir(scratch!);
      await expectStorageError(storage.downloadToFile(name("missing"), join(scratch!, "never.bin")), { code: NO_SUCH_KEY, operation: "downloadToFile" });
      expect(await readdir(scratch!)).toEqual(before);
      await rm(path);
    });
  });

  describe("getObject, exists, delete and deleteMany", () => {
    it("getObject gives name, size, etag, contentType, lastModified (a Date) and meta", async () => {
      const uploaded = await storage.uploadByFile(name("info.json"), Buffer.from("{}"), "application/json");
      const info = await storage.getObject(uploaded.name);
      expect(info).toEqual({ name: uploaded.name, size: 2, etag: uploaded.etag, contentType: "application/json", lastModified: expect.any(Date), meta: {} });
      expect(Math.abs(info.lastModified.getTime() - Date.now())).toBeLessThan(5 * 60_000);
    });

    it("getObject of a missing object fails with NoSuchKey", async () => {
      await expectStorageError(storage.getObject(name("missing")), { code: NO_SUCH_KEY, status: 404, operation: "getObject", objectName: name("missing") });
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
      expect(all[0]).toEqual({ type: "object", name: names[0], size: 1, etag: bytesEtag(Buffer.from("x")), lastModified: expect.any(Date) });
    });

    it("groups names by the delimiter into prefixes", async () => {
      const entries: ListEntry[] = [];
      for await (const entry of storage.list({ prefix: name("list/"), delimiter: "/", pageSize: 3 })) entries.push(entry);
      expect(entries.map((e) => `${e.type}:${e.name}`)).toEqual(["object:a", "object:b", "prefix:c/", "object:d"].map((s) => s.replace(":", `:${name("list/")}`)));
    });

    it("lists in UTF-8 byte order, whatever the characters, and groups by any delimiter", async () => {
      const rests = ["A", "Z", "_", "a b", "a-b", "a-c/d", "a.b", "a/b", "a0", "é", "ｚ", "😀"];
      await Promise.all(rests.map((rest) => storage.uploadByFile(name(`order/${rest}`), Buffer.from(rest))));
      const names = rests.map((rest) => name(`order/${rest}`));
      // A server that pages in another order loses names across pages: then one page, which the Type puts in order.
      const [two, one] = traits.serverGaps?.listOrder === undefined ? [2, 1] : [1000, 1000];
      expect(await listNames({ prefix: name("order/"), pageSize: two })).toEqual([...names].sort((a, b) => Buffer.compare(Buffer.from(a), Buffer.from(b))));
      expect(names).toEqual([...names].sort((a, b) => Buffer.compare(Buffer.from(a), Buffer.from(b))));
      expect(await listNames({ prefix: name("order/"), delimiter: "/", pageSize: two })).toEqual(
        ["A", "Z", "_", "a b", "a-b", "a-c/", "a.b", "a/", "a0", "é", "ｚ", "😀"].map((rest) => name(`order/${rest}`)),
      );
      expect(await listNames({ prefix: name("order/a"), delimiter: "-", pageSize: one })).toEqual(["a b", "a-", "a.b", "a/b", "a0"].map((rest) => name(`order/${rest}`)));
    });

    it("stops after limit entries", async () => {
      expect(await listNames({ prefix: name("list/"), limit: 3, pageSize: 2 })).toHaveLength(3);
    });

    it("gives nothing for a prefix that no name starts with", async () => {
      expect(await listNames({ prefix: name("list/zzz") })).toEqual([]);
      expect(await listNames({ prefix: name("no-such-folder/") })).toEqual([]);
    });
  });

  describe("copy", () => {
    it("copies an object with its content type and metadata", async () => {
      const source = await storage.upload(name("copy/source.txt"), Buffer.from("copied"), { contentType: "text/plain", meta: { owner: "ann" } });
      expect(await storage.copy(name("copy/source.txt"), name("copy/target.txt"))).toEqual({ name: name("copy/target.txt"), source: name("copy/source.txt"), etag: traits.versionEtags === true ? expect.stringMatching(/^\S+$/) : source.etag });
      expect((await storage.download(name("copy/target.txt"))).toString()).toBe("copied");
      expect(await storage.getObject(name("copy/target.txt"))).toMatchObject({ contentType: "text/plain", meta: { owner: "ann" }, size: 6 });
    });

    it("copy of a missing object fails with NoSuchKey, naming the source", async () => {
      await expectStorageError(storage.copy(name("copy/missing"), name("copy/x")), { code: NO_SUCH_KEY, operation: "copy", objectName: name("copy/missing") });
      expect(await storage.exists(name("copy/x"))).toBe(false);
    });
  });

  describe("a large object and a parallel batch", () => {
    it("streams 20 MiB up and down, the SHA-256 the same, memory in chunks", async () => {
      const size = 20 * MiB;
      const sent = createHash("sha256");
      const sentMd5 = createHash("md5");
      const tap = new Transform({
        transform(chunk: Buffer, _encoding, done) {
          sent.update(chunk);
          sentMd5.update(chunk);
          done(null, chunk);
        },
      });
      let lastProgress = 0;
      const result = await storage.upload(name("large/object.bin"), noiseStream(size, 21).pipe(tap), { onProgress: (p) => (lastProgress = p.loaded) });
      expect(result.size).toBe(size);
      expect(lastProgress).toBe(size);
      if (traits.partEtags) expect(result.etag).toMatch(traits.serverGaps?.multipartEtags === undefined ? /-\d+$/ : /^[0-9a-fA-F]{32}$/);
      else if (traits.versionEtags !== true) expect(result.etag).toBe(traits.etagCase === "lower" ? sentMd5.digest("hex") : sentMd5.digest("hex").toUpperCase());
      expect(await sha256(await storage.downloadStream(result.name))).toBe(sent.digest("hex"));
      expect((await storage.getObject(result.name)).size).toBe(size);
      await storage.delete(result.name);
    });

    it("takes 40 uploads at once (buffers and streams): all land intact, and list together", async () => {
      const objects = Array.from({ length: 40 }, (_, i) => ({ name: name(`parallel/${String(i).padStart(2, "0")}.bin`), data: noise(4 * KiB + i * 97, i + 1) }));
      const results = await Promise.all(
        objects.map(({ name: n, data }, i) => (i % 2 === 0 ? storage.uploadByFile(n, data) : storage.upload(n, Readable.from([data.subarray(0, 1000), data.subarray(1000)])))),
      );
      expect(results.map((r) => [r.name, r.etag])).toEqual(objects.map((o) => [o.name, bytesEtag(o.data)]));
      const hashes = await Promise.all(objects.map(async (o) => sha256(await storage.download(o.name))));
      expect(hashes).toEqual(await Promise.all(objects.map((o) => sha256(o.data))));
      expect(await listNames({ prefix: name("parallel/"), pageSize: 7 })).toEqual(objects.map((o) => o.name));
      expect(await storage.deleteMany(objects.map((o) => o.name))).toEqual({ deleted: objects.map((o) => o.name) });
      expect(await listNames({ prefix: name("parallel/") })).toEqual([]);
    });
  });

  describe("getSignUrl", () => {
    it("gives a GET URL that plain fetch can use, serving the given Content-Type", async () => {
      const url = await storage.getSignUrl(name("signed/photo.jpg"), "image/jpeg", 600);
      const response = await fetch(url);
      expect(response.status).toBe(200);
      expect(response.headers.get("content-type")).toBe("image/jpeg");
      expect(await response.text()).toBe("jpeg bytes");
    });

    it("serves a byte range of a signed GET (206)", async () => {
      const response = await fetch(await storage.getSignUrl(name("signed/photo.jpg"), "image/jpeg", 60), { headers: { Range: "bytes=5-" } });
      expect(response.status).toBe(206);
      expect(response.headers.get("content-range")).toBe("bytes 5-9/10");
      expect(await response.text()).toBe("bytes");
    });

    it("binds a URL to its method: a GET URL cannot upload, a PUT URL cannot download", async () => {
      if (traits.serverGaps?.signatures !== undefined) {
        // V4 signs the method in its canonical request: two URLs for the two methods differ in their signatures.
        const get = new URL(await storage.getSignUrl(name("signed/photo.jpg"), "image/jpeg", 60));
        const put = new URL(await storage.getSignUrl(name("signed/photo.jpg"), "image/jpeg", 60, { method: "PUT" }));
        expect(get.searchParams.get("X-Amz-Signature")).toMatch(/^[0-9a-f]{64}$/);
        expect(put.searchParams.get("X-Amz-Signature")).not.toBe(get.searchParams.get("X-Amz-Signature"));
        return;
      }
      const get = await storage.getSignUrl(name("signed/photo.jpg"), "image/jpeg", 60);
      const upload = await fetch(get, { method: "PUT", body: "overwritten", headers: { "Content-Type": "image/jpeg" } });
      expect(upload.status).toBe(403);
      expect(await upload.text()).toContain("<Code>SignatureDoesNotMatch</Code>");
      expect((await storage.download(name("signed/photo.jpg"))).toString()).toBe("jpeg bytes");
      const put = await storage.getSignUrl(name("signed/photo.jpg"), "image/jpeg", 60, { method: "PUT" });
      const download = await fetch(put);
      expect(download.status).toBe(403);
      await download.body?.cancel();
    });

    it("expires after 300 seconds by default", async () => {
      const left = secondsLeft(new URL(await storage.getSignUrl(name("signed/photo.jpg"), "image/jpeg")));
      expect(left).toBeGreaterThan(295);
      expect(left).toBeLessThanOrEqual(301);
    });

    it("answers a signed GET of a missing object with 404 NoSuchKey", async () => {
      const response = await fetch(await storage.getSignUrl(name("signed/missing.jpg"), "image/jpeg", 60));
      expect(response.status).toBe(404);
      expect(await response.text()).toContain("<Code>NoSuchKey</Code>");
    });

    it('with { method: "PUT" } gives an upload URL bound to the Content-Type', async () => {
      const url = await storage.getSignUrl(name("signed/upload.json"), "application/json", 600, { method: "PUT" });
      const response = await fetch(url, { method: "PUT", body: '{"ok":true}', headers: { "Content-Type": "application/json" } });
      expect(response.status).toBe(200);
      expect(await storage.getObject(name("signed/upload.json"))).toMatchObject({ contentType: "application/json", size: 11, etag: bytesEtag(Buffer.from('{"ok":true}')) });

      if (traits.serverGaps?.signatures !== undefined) {
        // The Content-Type is one of the headers the signature covers, so another type cannot match it.
        expect(new URL(url).searchParams.get("X-Amz-SignedHeaders")?.split(";")).toContain("content-type");
        return;
      }
      const wrongType = await fetch(url, { method: "PUT", body: "text", headers: { "Content-Type": "text/plain" } });
      expect(wrongType.status).toBe(403);
      expect(await wrongType.text()).toContain("<Code>SignatureDoesNotMatch</Code>");
      expect((await storage.download(name("signed/upload.json"))).toString()).toBe('{"ok":true}');
    });

    it("is refused once tampered with: another object, or another Content-Type", async () => {
      const url = new URL(await storage.getSignUrl(name("signed/photo.jpg"), "image/jpeg", 600));
      if (traits.serverGaps?.signatures !== undefined) {
        // V4 signs the path and every query parameter: the response type is one of them, next to the signature.
        expect(url.searchParams.get("response-content-type")).toBe("image/jpeg");
        expect(url.searchParams.get("X-Amz-SignedHeaders")?.split(";")).toContain("host");
        expect(url.searchParams.get("X-Amz-Signature")).toMatch(/^[0-9a-f]{64}$/);
        return;
      }
      const other = new URL(url);
      other.pathname = other.pathname.replace("photo.jpg", "other.jpg");
      expect((await fetch(other)).status).toBe(403);
      const forged = new URL(url);
      forged.searchParams.set("response-content-type", "text/html");
      expect((await fetch(forged)).status).toBe(403);
    });

    it("checks its arguments", async () => {
      await expectStorageError(storage.getSignUrl(name("x"), "", 60), { code: "INVALID_ARGUMENT", operation: "getSignUrl" });
      await expectStorageError(storage.getSignUrl(name("x"), "text/plain", 0), { code: "INVALID_ARGUMENT" });
      await expectStorageError(storage.getSignUrl(name("x"), "text/plain", 8 * 24 * 3600), { code: "INVALID_ARGUMENT" });
      await expectStorageError(storage.getSignUrl(name("x"), "text/plain", 60, { method: "DELETE" as "GET" }), { code: "INVALID_ARGUMENT" });
    });

    it("is refused once expired", async () => {
      const { url, signedAt } = await expiring;
      const wait = signedAt + 2_100 - Date.now();
      if (wait > 0) await new Promise((resolve) => setTimeout(resolve, wait));
      const response = await fetch(url);
      expect(response.status).toBe(403);
      expect(await response.text()).toContain("<Code>AccessDenied</Code>");
    });
  });

  if (traits.credentials !== undefined) {
    const credentials = traits.credentials;
    describe("when the service refuses the credentials", () => {
      it("a wrong secret fails with SignatureDoesNotMatch, and the message says what to check", async () => {
        const wrong = await started!.load(credentials.wrongSecret);
        try {
          const error = await expectStorageError(storageOf(wrong, target.element).uploadByFile(name("never.txt"), Buffer.from("x")), {
            code: "SignatureDoesNotMatch",
            status: 403,
            operation: "uploadByFile",
            attempts: 1,
          });
          expect(error.message).toContain(`check ${credentials.secretField}`);
          expect(error.requestId).toEqual(expect.any(String));
        } finally {
          await wrong.close();
        }
        expect(await storage.exists(name("never.txt"))).toBe(false);
      });

      it("an unknown access key fails with InvalidAccessKeyId", async () => {
        const wrong = await started!.load(credentials.unknownKeyId);
        try {
          await expectStorageError(storageOf(wrong, target.element).getObject(name("x")), { code: "InvalidAccessKeyId", status: 403 });
        } finally {
          await wrong.close();
        }
      });
    });
  }

  /** Expects the ETag of `data` as `tuned` uploaded it: in parts (`-<parts>`) or whole (its MD5). */
  /** What the ETag of an object stored whole with `data` must be: its MD5, or for version ETags any ETag. */
  function bytesEtag(data: Buffer): unknown {
    return traits.versionEtags === true ? expect.stringMatching(/^\S+$/) : md5(data);
  }

  function expectEtag(etag: string, data: Buffer): void {
    if (traits.partEtags === false) expect(etag).toEqual(bytesEtag(data));
    else if (traits.serverGaps?.multipartEtags !== undefined) expect(etag).toMatch(/^[0-9a-fA-F]{32}$/);
    else expect(etag).toMatch(new RegExp(`^[0-9${traits.etagCase === "lower" ? "a-f" : "A-F"}]{32}-${Math.ceil(data.length / traits.partEtags.partSize)}$`));
  }
}

/** `fullName` of `app` as the Storage it must be. */
function storageOf(app: App, fullName: string): Storage {
  const element = app.getElement(fullName);
  if (!(element instanceof Storage)) throw new Error(`${fullName} is not a Storage but a ${element.constructor.name}`);
  return element;
}

/** A name of exactly 1023 bytes under `prefix`, in parts of at most `maxSegment` bytes between slashes. */
function longestName(prefix: string, maxSegment: number | undefined): string {
  let left = MAX_NAME_BYTES - Buffer.byteLength(prefix);
  if (maxSegment === undefined) return prefix + "n".repeat(left);
  const parts: string[] = [];
  while (left > maxSegment) {
    // Leave at least one byte after the slash, so that the last part is never empty.
    const part = Math.min(maxSegment, left - 2);
    parts.push("n".repeat(part));
    left -= part + 1;
  }
  parts.push("m".repeat(left));
  return prefix + parts.join("/");
}

/** How long a signed URL has left, in seconds: an absolute `Expires` (V1 style) or a relative one (V4 style). */
function secondsLeft(url: URL): number {
  const absolute = url.searchParams.get("Expires");
  if (absolute !== null) return Number(absolute) - Date.now() / 1000;
  const relative = url.searchParams.get("x-oss-expires") ?? url.searchParams.get("X-Amz-Expires");
  if (relative !== null) return Number(relative);
  throw new Error(`the signed URL states no expiry: ${url.origin}${url.pathname}`);
}
