import { createHash } from "node:crypto";
import { writeFile } from "node:fs/promises";
import { join } from "node:path";
import { Readable } from "node:stream";
import { afterEach, describe, expect, it } from "vitest";
import { loadApp, NO_SUCH_KEY, StorageError } from "../../index.ts";
import { expectFailure, openSvcApp, svcFixture, SVC, type SvcFixture } from "./helpers.ts";

let fixture: SvcFixture | undefined;
afterEach(async () => {
  await fixture?.dispose();
  fixture = undefined;
});

const md5 = (data: string | Buffer) => createHash("md5").update(data).digest("hex");

describe("StorageSvc records", () => {
  it("returns JitAI's record with the url, and keeps it with the object across a restart", async () => {
    fixture = await openSvcApp("routing", { oss: true });
    const uploaded = await fixture.svc.uploadByFile("docs/Relatório ñ.txt", Buffer.from("hello"), undefined, undefined, undefined, 3600);
    expect(uploaded).toMatchObject({
      storeFullName: "storages.Files",
      name: "docs/Relatório ñ.txt",
      fileName: "Relatório ñ.txt",
      uploadTime: fixture.clock.now,
      expires: fixture.clock.now + 3600_000,
      md5: md5("hello"),
      size: 5,
      type: "text/plain; charset=utf-8",
    });
    expect(uploaded.uid).toMatch(/^[0-9a-f]{32}$/);
    // The same app loaded again, as after a restart: the record comes from the object's metadata.
    const again = await loadApp(svcFixture("routing"), { env: fixture.env });
    try {
      const svc = again.getElement(SVC);
      svc.now = () => fixture!.clock.now;
      expect(await svc.getRecord("docs/Relatório ñ.txt")).toEqual(uploaded);
    } finally {
      await again.close();
    }
  });

  it("keeps the record on an OSS storage too, as user metadata", async () => {
    fixture = await openSvcApp("routing", { oss: true });
    const uploaded = await fixture.svc.uploadByFile("r.bin", Buffer.from([1, 2, 3]), undefined, undefined, "storages.Cloud", 60);
    const info = await fixture.storage("storages.Cloud").getObject("r.bin");
    expect(info.meta).toMatchObject({ "jit-uid": uploaded.uid, "jit-expires": String(uploaded.expires), "jit-md5": md5(Buffer.from([1, 2, 3])) });
    expect(await fixture.svc.getRecord("r.bin", "storages.Cloud")).toMatchObject({ uid: uploaded.uid, expires: uploaded.expires, url: uploaded.url });
  });

  it("points a disk storage's url at the service's preview route when its baseUrl says so, as JitAI's disk URLs do", async () => {
    fixture = await openSvcApp("routing", { oss: true });
    const { url } = await fixture.svc.uploadByFile("a b/c.txt", Buffer.from("x"));
    expect(url).toBe("http://localhost:9300/storages/services/StorageSvc/preview?file=a%20b%2Fc.txt");
    expect((await fixture.svc.getRecord("a b/c.txt")).url).toBe(url);
  });

  it("names the file {md5}.{ext} in its folder, and stores the same bytes only once", async () => {
    fixture = await openSvcApp("routing", { oss: true });
    const hash = md5("same bytes");
    const first = await fixture.svc.uploadByFile("up/example.TXT", Buffer.from("same bytes"), hash);
    expect(first.name).toBe(`up/${hash}.txt`);
    expect(first.fileName).toBe("example.TXT");
    const storage = fixture.storage("storages.Files");
    const before = await storage.getObject(first.name);
    fixture.clock.advance(60);
    const second = await fixture.svc.uploadByFile("up/other-name.txt", Buffer.from("same bytes"), hash.toUpperCase());
    expect(second).toEqual(first); // the first upload's record: nothing new was stored
    expect((await storage.getObject(first.name)).lastModified).toEqual(before.lastModified);
    const names: string[] = [];
    for await (const entry of storage.list({ prefix: "up/" })) names.push(entry.name);
    expect(names).toEqual([`up/${hash}.txt`]);
  });

  it("stores again when the same bytes come with a later expiry, so the later upload is not cut short", async () => {
    fixture = await openSvcApp("routing");
    const hash = md5("short");
    await fixture.svc.uploadByFile("s.txt", Buffer.from("short"), hash, undefined, undefined, 10);
    const longer = await fixture.svc.uploadByFile("s.txt", Buffer.from("short"), hash);
    expect(longer.expires).toBeNull();
    fixture.clock.advance(3600);
    expect((await fixture.svc.download(`${hash}.txt`)).toString()).toBe("short");
  });

  it("refuses an md5 that is not the data's, or not an md5 at all", async () => {
    fixture = await openSvcApp("routing");
    await expectFailure(fixture.svc.uploadByFile("a.txt", Buffer.from("a"), md5("b")), StorageError, { code: "INVALID_ARGUMENT" });
    await expectFailure(fixture.svc.uploadByFile("a.txt", Buffer.from("a"), "not-hex"), StorageError, { code: "INVALID_ARGUMENT" });
    expect(await fixture.storage("storages.Files").exists(`${md5("b")}.txt`)).toBe(false);
  });

  it("takes streams and file paths as upload does, checking a stream's md5 as it passes", async () => {
    fixture = await openSvcApp("routing");
    const path = join(fixture.dir, "source.bin");
    await writeFile(path, "from a file");
    const fromFile = await fixture.svc.uploadByFile("f.bin", path, md5("from a file"));
    expect((await fixture.svc.download(fromFile.name)).toString()).toBe("from a file");
    const fromStream = await fixture.svc.uploadByFile("s.bin", Readable.from([Buffer.from("from "), Buffer.from("a stream")]), md5("from a stream"));
    expect(fromStream.name).toBe(`${md5("from a stream")}.bin`);
    const lying = await expectFailure(fixture.svc.uploadByFile("l.bin", Readable.from([Buffer.from("other")]), md5("claimed")), StorageError, { code: "INTEGRITY_ERROR" });
    expect(lying.message).toContain("nothing was kept");
    expect(await fixture.storage("storages.Files").exists(`${md5("claimed")}.bin`)).toBe(false);
  });

  it("refuses an expires that is not a positive whole number of seconds", async () => {
    fixture = await openSvcApp("routing");
    for (const expires of [0, -5, 1.5, Number.NaN]) {
      await expectFailure(fixture.svc.uploadByFile("e.txt", Buffer.from("e"), undefined, undefined, undefined, expires), StorageError, { code: "INVALID_ARGUMENT", element: "storages.Files" });
    }
  });

  it("refuses names that could leave their folder, on every method", async () => {
    fixture = await openSvcApp("routing");
    for (const name of ["../x.txt", "a/../../x.txt", "/etc/passwd", "C:\\x.txt", "a\\b.txt", "./a.txt"]) {
      await expectFailure(fixture.svc.uploadByFile(name, Buffer.from("x")), StorageError, { code: "INVALID_OBJECT_NAME" });
      await expectFailure(fixture.svc.download(name), StorageError, { code: "INVALID_OBJECT_NAME" });
    }
  });
});

describe("StorageSvc expiry", () => {
  it("serves a file until it expires, then answers NO_SUCH_KEY and deletes it, on access", async () => {
    fixture = await openSvcApp("routing", { oss: true });
    const { svc, clock } = fixture;
    for (const storage of ["storages.Files", "storages.Cloud"]) {
      await svc.uploadByFile("soon.txt", Buffer.from("brief"), undefined, undefined, storage, 30);
      clock.advance(29);
      expect((await svc.download("soon.txt", storage)).toString()).toBe("brief");
      clock.advance(1);
      const error = await expectFailure(svc.download("soon.txt", storage), StorageError, { code: NO_SUCH_KEY, status: 404, element: storage });
      expect(error.message).toContain("expired");
      expect(await fixture.storage(storage).exists("soon.txt")).toBe(false);
      clock.advance(-30);
    }
  });

  it("treats an expired file as missing on getRecord, getSignUrl and preview too", async () => {
    fixture = await openSvcApp("routing");
    const { svc, clock } = fixture;
    for (const call of [() => svc.getRecord("e.txt"), () => svc.preview("e.txt"), () => svc.download("e.txt")]) {
      await svc.uploadByFile("e.txt", Buffer.from("e"), undefined, undefined, undefined, 5);
      clock.advance(5);
      await expectFailure(call(), StorageError, { code: NO_SUCH_KEY });
      clock.advance(-5);
    }
  });

  it("never expires a file uploaded without expires", async () => {
    fixture = await openSvcApp("routing");
    await fixture.svc.uploadByFile("forever.txt", Buffer.from("f"));
    fixture.clock.advance(10 * 365 * 24 * 3600);
    expect((await fixture.svc.getRecord("forever.txt")).expires).toBeNull();
  });

  it("sweepExpired deletes every expired file, page by page, and a dry run only finds them", async () => {
    fixture = await openSvcApp("routing", { oss: true });
    const { svc, clock } = fixture;
    for (const storage of ["storages.Files", "storages.Cloud"]) {
      for (let i = 0; i < 12; i++) await svc.uploadByFile(`batch/f${String(i).padStart(2, "0")}.txt`, Buffer.from(`${i}`), undefined, undefined, storage, i % 3 === 0 ? undefined : 10 * i);
      await svc.uploadByFile("elsewhere/old.txt", Buffer.from("o"), undefined, undefined, storage, 1);
      clock.advance(60);
      const progress: number[] = [];
      const dry = await svc.sweepExpired({ storage, prefix: "batch/", dryRun: true, onProgress: ({ scanned }) => progress.push(scanned) });
      expect(dry).toEqual({ storage, scanned: 12, expired: ["batch/f01.txt", "batch/f02.txt", "batch/f04.txt", "batch/f05.txt"], dryRun: true });
      expect(progress.at(-1)).toBe(12);
      expect(await fixture.storage(storage).exists("batch/f01.txt")).toBe(true);
      const swept = await svc.sweepExpired({ storage, prefix: "batch/" });
      expect(swept.expired).toEqual(dry.expired);
      expect(await fixture.storage(storage).exists("batch/f01.txt")).toBe(false);
      expect(await fixture.storage(storage).exists("batch/f03.txt")).toBe(true);
      expect(await fixture.storage(storage).exists("elsewhere/old.txt")).toBe(true); // outside the prefix
      expect((await svc.sweepExpired({ storage })).expired).toEqual(["elsewhere/old.txt"]);
      clock.advance(-60);
    }
  });

  it("stops a sweep on its signal with ABORTED", async () => {
    fixture = await openSvcApp("routing");
    await fixture.svc.uploadByFile("a.txt", Buffer.from("a"));
    await expectFailure(fixture.svc.sweepExpired({ signal: AbortSignal.abort() }), StorageError, { code: "ABORTED" });
  });
});
