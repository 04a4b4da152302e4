// Bad weather: the local OSS server injects 503s, connection resets and delays; uploads still land exactly once and
// intact, downloads resume, hopeless requests give up with the service's code, and an abort stops one upload only.
import { Readable } from "node:stream";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { startOssEmulator, type OssEmulator } from "../../emulator/index.ts";
import { loadApp, OssStorage, type App, type Storage } from "../../index.ts";
import { basicApp, envFor, noise, noiseStream, sha256, storageFailure } from "./helpers.ts";

let server: OssEmulator;
let app: App;
let storage: OssStorage;
let tuned: OssStorage;
let impatient: OssStorage;

function oss(name: string): OssStorage {
  const element = app.getElement(name);
  if (!(element instanceof OssStorage)) throw new Error(`${name} is not an OssStorage`);
  return element;
}

beforeAll(async () => {
  server = await startOssEmulator();
  app = await loadApp(basicApp, { env: envFor(server) });
  storage = oss("storages.MyOss");
  tuned = oss("storages.Tuned");
  impatient = oss("storages.Impatient");
});

afterEach(() => server.setFaults({}));

afterAll(async () => {
  await app.close();
  await server.stop();
});

/** Names of the objects under `prefix`, with faults off. */
async function objectsUnder(store: Storage, prefix: string): Promise<string[]> {
  const names: string[] = [];
  for await (const entry of store.list({ prefix })) names.push(entry.name);
  return names;
}

/** Multipart uploads begun and neither completed nor aborted. */
async function unfinishedUploads(prefix: string): Promise<string[]> {
  const { uploads } = await tuned.client.listUploads({ prefix });
  return uploads.map((u) => u.name);
}

describe("retries", () => {
  it("retries 503s on every kind of request: each upload lands exactly once, intact", async () => {
    const small = Array.from({ length: 12 }, (_, i) => ({ name: `retry-503/small-${i}.bin`, data: noise(5_000 + i, i + 1) }));
    const large = Array.from({ length: 4 }, (_, i) => ({ name: `retry-503/large-${i}.bin`, data: noise(600 * 1024 + i, i + 100) }));
    server.setFaults({ seed: 5, status: { rate: 0.25, code: 503 } });
    await Promise.all([...small, ...large].map(({ name, data }) => tuned.upload(name, data)));
    expect(server.faultStats().status).toBeGreaterThan(3);
    server.setFaults({});

    expect((await objectsUnder(tuned, "retry-503/")).sort()).toEqual([...small, ...large].map((o) => o.name).sort());
    for (const { name, data } of [...small, ...large]) expect(await sha256(await tuned.download(name))).toBe(await sha256(data));
    expect(await unfinishedUploads("retry-503/")).toEqual([]);
  });

  it("retries connections reset while a body is arriving: every upload lands intact", async () => {
    const objects = Array.from({ length: 6 }, (_, i) => ({ name: `retry-reset/${i}.bin`, data: noise(150_000 + i * 100_000, i + 7) }));
    server.setFaults({ seed: 9, reset: { rate: 0.3, afterBytes: 40_000, operations: ["PutObject", "UploadPart"] } });
    await Promise.all(objects.map(({ name, data }) => tuned.upload(name, data)));
    expect(server.faultStats().reset).toBeGreaterThan(0);
    server.setFaults({});

    expect((await objectsUnder(tuned, "retry-reset/")).sort()).toEqual(objects.map((o) => o.name).sort());
    for (const { name, data } of objects) expect(await sha256(await tuned.download(name))).toBe(await sha256(data));
    expect(await unfinishedUploads("retry-reset/")).toEqual([]);
  });

  it("resumes a download whose connection breaks in the middle of the body", async () => {
    const data = noise(3 * 1024 * 1024, 21);
    await storage.uploadByFile("resume/object.bin", data);
    server.setFaults({ reset: { count: 3, operations: ["GetObject"] } });
    expect(await sha256(await storage.downloadStream("resume/object.bin"))).toBe(await sha256(data));
    expect(server.faultStats().reset).toBe(3);

    server.setFaults({ reset: { count: 2, operations: ["GetObject"] } });
    expect(await sha256(await storage.download("resume/object.bin"))).toBe(await sha256(data));
  });

  it("reports a download stream that keeps breaking as the storage's error, once its retries are used up", async () => {
    const data = noise(1024 * 1024, 22);
    await storage.uploadByFile("resume/hopeless.bin", data);
    // Every body breaks before its first byte: no read makes progress that would earn its retries back.
    server.setFaults({ reset: { count: 100, afterBytes: 0, operations: ["GetObject"] } });
    const stream = await storage.downloadStream("resume/hopeless.bin");
    const error = await storageFailure(stream.toArray());
    expect(error).toMatchObject({ element: "storages.MyOss", operation: "downloadStream", objectName: "resume/hopeless.bin", code: "NETWORK_ERROR" });
    expect(server.faultStats().reset).toBe(4);
    await storageFailure(storage.download("resume/hopeless.bin")).then((whole) => expect(whole).toMatchObject({ operation: "download", code: "NETWORK_ERROR" }));
  });

  it("gives up after `retries` more attempts, with the service's code and status", async () => {
    server.setFaults({ status: { rate: 1, code: 503 } });
    const error = await storageFailure(storage.uploadByFile("hopeless.txt", Buffer.from("x")));
    expect(error).toMatchObject({ code: "ServiceUnavailable", status: 503, attempts: 4, operation: "uploadByFile" });
    expect(error.message).toMatch(/^storages\.MyOss \(storages\.OssType\): uploadByFile of "hopeless\.txt" failed: ServiceUnavailable \(503\), .*gave up after 4 attempts/);
    expect(server.faultStats().status).toBe(4);
  });

  it("does not retry what cannot pass: a 4xx fails after one attempt", async () => {
    const error = await storageFailure(storage.getObject("never-there"));
    expect(error).toMatchObject({ code: "NoSuchKey", attempts: 1 });
  });

  it("fails with TIMEOUT when no answer comes within `timeout`, after its retries", async () => {
    server.setFaults({ delayMs: 1_500 });
    const error = await storageFailure(impatient.getObject("slow"));
    expect(error).toMatchObject({ code: "TIMEOUT", attempts: 2, operation: "getObject" });
    expect(error.message).toContain("within 1000 ms");
  });

  it("gives each part its own deadline: a slow but healthy link does not fail a large upload", async () => {
    // Every request waits 400 ms; the whole upload takes several times the 1 s deadline, each part well within it.
    server.setFaults({ delayMs: 400 });
    const data = noise(1024 * 1024, 31);
    const started = Date.now();
    const result = await impatient.upload("slow-link/large.bin", data);
    expect(Date.now() - started).toBeGreaterThan(2_000);
    server.setFaults({});
    expect(result.etag).toMatch(/-11$/);
    expect(await sha256(await impatient.download("slow-link/large.bin"))).toBe(await sha256(data));
  });
});

describe("AbortSignal", () => {
  it("stops a multipart upload, parts in flight included, and leaves neither object nor unfinished upload", async () => {
    server.setFaults({ delayMs: 150 });
    const controller = new AbortController();
    let progressed = false;
    const upload = tuned.upload("abort/large.bin", noiseStream(4 * 1024 * 1024, 3, 64 * 1024), {
      signal: controller.signal,
      onProgress: () => {
        if (!progressed) {
          progressed = true;
          controller.abort();
        }
      },
    });
    const started = Date.now();
    const error = await storageFailure(upload);
    expect(error).toMatchObject({ code: "ABORTED", operation: "upload", objectName: "abort/large.bin" });
    expect(Date.now() - started).toBeLessThan(3_000);
    server.setFaults({});
    expect(await tuned.exists("abort/large.bin")).toBe(false);
    expect(await unfinishedUploads("abort/")).toEqual([]);
  });

  // A service that has the whole body may store it whatever the client does (cutting the connection does not
  // stop it), so the abort waits for the answer and says what happened; aborts.test.ts has the other cases.
  it("lets a single-request upload whose body is already sent finish, and says that the object was stored", async () => {
    server.setFaults({ delayMs: 600 });
    const controller = new AbortController();
    const upload = storage.upload("abort/small.bin", noise(100_000, 4), { signal: controller.signal });
    setTimeout(() => controller.abort(), 200);
    expect(await storageFailure(upload)).toMatchObject({ code: "ABORTED", stored: true });
    server.setFaults({});
    expect(await storage.exists("abort/small.bin")).toBe(true);
  });

  it("does not cancel other uploads on the same storage", async () => {
    server.setFaults({ delayMs: 100 });
    const controller = new AbortController();
    const other = noise(900 * 1024, 8);
    const aborted = tuned.upload("abort/mine.bin", noise(900 * 1024, 9), { signal: controller.signal });
    const untouched = tuned.upload("abort/theirs.bin", other);
    setTimeout(() => controller.abort(), 250);
    expect(await storageFailure(aborted)).toMatchObject({ code: "ABORTED" });
    await untouched;
    server.setFaults({});
    expect(await sha256(await tuned.download("abort/theirs.bin"))).toBe(await sha256(other));
    expect(await tuned.exists("abort/mine.bin")).toBe(false);
  });

  it("fails at once, without a request, when the signal is already aborted", async () => {
    const before = await objectsUnder(storage, "abort/");
    const error = await storageFailure(storage.upload("abort/never.bin", Buffer.from("x"), { signal: AbortSignal.abort() }));
    expect(error.code).toBe("ABORTED");
    expect(await objectsUnder(storage, "abort/")).toEqual(before);
  });

  it("stops waiting for a stream that stalls before its size is known", async () => {
    const controller = new AbortController();
    const stalled = new Readable({ read() {} });
    stalled.push(Buffer.alloc(1000));
    const upload = storage.upload("abort/stalled.bin", stalled, { signal: controller.signal });
    setTimeout(() => controller.abort(), 100);
    expect(await storageFailure(upload)).toMatchObject({ code: "ABORTED" });
  });
});

describe("parallel work", () => {
  it("takes 200 uploads at once on one storage: all land, intact", async () => {
    const objects = Array.from({ length: 200 }, (_, i) => ({ name: `parallel/${String(i).padStart(3, "0")}.bin`, data: noise(2_000 + i * 37, i + 1) }));
    const results = await Promise.all(objects.map(({ name, data }) => storage.upload(name, data)));
    expect(results.map((r) => r.name)).toEqual(objects.map((o) => o.name));
    expect(await objectsUnder(storage, "parallel/")).toEqual(objects.map((o) => o.name));
    const hashes = await Promise.all(objects.map(async ({ name }) => sha256(await storage.download(name))));
    expect(hashes).toEqual(await Promise.all(objects.map(({ data }) => sha256(data))));
    expect(await storage.deleteMany(objects.map((o) => o.name))).toEqual({ deleted: objects.map((o) => o.name) });
    expect(await objectsUnder(storage, "parallel/")).toEqual([]);
  });
});
