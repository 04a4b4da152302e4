// One retry policy, ours: a throttled (503 SlowDown) or reset request is sent again with backoff up to `retries`
// times, and the SDK sends nothing of its own on top; a refusal names what to check. Against s3rver, behind a proxy
// that fails the requests each test picks and counts what reaches it.
import { fileURLToPath } from "node:url";
import { inspect } from "node:util";
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { loadApp, NO_SUCH_KEY, StorageError, type App, type Storage } from "../../index.ts";
import { startFaultProxy, type FaultProxy } from "./fault-proxy.ts";
import { startS3rver, type RunningS3rver } from "./s3rver.ts";

/** The secret of the unknown key: it must show in no error. */
const UNKNOWN_KEYS_SECRET = "secret-of-the-unknown-key";
const reliabilityApp = fileURLToPath(new URL("../fixtures/s3-apps/reliability/", import.meta.url));

describe("retries of the S3 Types", () => {
  let server: RunningS3rver;
  let proxy: FaultProxy;
  let app: App;
  let patient: Storage;
  let impatient: Storage;

  beforeAll(async () => {
    server = await startS3rver();
    proxy = await startFaultProxy(server.endpoint);
    app = await loadApp(reliabilityApp, {
      env: { S3_ENDPOINT: proxy.endpoint, S3_BUCKET: server.bucket, S3_ACCESS_KEY_ID: server.accessKeyId, S3_ACCESS_KEY_SECRET: server.accessKeySecret },
    });
    patient = app.getElement("storages.Patient");
    impatient = app.getElement("storages.NoRetry");
  });

  afterAll(async () => {
    await app?.close();
    await proxy?.stop();
    await server?.stop();
  });

  beforeEach(() => {
    proxy.decide = () => "pass";
    proxy.seen.length = 0;
  });

  /** Fails the first `count` requests with `fault`, then passes the rest. */
  function failFirst(count: number, fault: "slow-down" | "reset"): void {
    proxy.decide = (_request, index) => (index < count ? fault : "pass");
  }

  it("sends a throttled upload again until it lands, each attempt one request (the SDK retries nothing itself)", async () => {
    failFirst(2, "slow-down");
    await patient.uploadByFile("retry/throttled.txt", Buffer.from("landed"), "text/plain");
    expect(proxy.seen).toEqual(Array(3).fill(`PUT /${server.bucket}/retry/throttled.txt`));
    expect((await patient.download("retry/throttled.txt")).toString()).toBe("landed");
  });

  it("gives up after `retries` retries with the service's code, status and the attempts made", async () => {
    failFirst(10, "slow-down");
    const error = await patient.getObject("retry/anything.txt").then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(error).toBeInstanceOf(StorageError);
    expect(error).toMatchObject({ code: "ServiceUnavailable", status: 503, attempts: 3, operation: "getObject" });
    expect(proxy.seen).toHaveLength(3);
  });

  it("names SlowDown when the answer has a body, and sends once with retries 0", async () => {
    failFirst(10, "slow-down");
    const error = await impatient.uploadByFile("retry/once.txt", Buffer.from("x")).then(
      () => undefined,
      (e: unknown) => e as StorageError,
    );
    expect(error).toMatchObject({ code: "SlowDown", status: 503, attempts: 1, requestId: "fault-proxy" });
    expect(error?.message).toContain("the service asked to slow down");
    expect(proxy.seen).toHaveLength(1);
  });

  it("sends a request again after a connection reset, and reports NETWORK_ERROR when every attempt is reset", async () => {
    failFirst(1, "reset");
    await patient.uploadByFile("retry/reset.txt", Buffer.from("after a reset"));
    expect(proxy.seen).toHaveLength(2);
    failFirst(10, "reset");
    const error = await patient.download("retry/reset.txt").then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(error).toMatchObject({ code: "NETWORK_ERROR", attempts: 3, operation: "download" });
  });

  it("resumes a download whose connection breaks from the byte it reached, with a Range for the rest", async () => {
    const data = Buffer.alloc(3 * 1024 * 1024);
    for (let i = 0; i < data.length; i += 4) data.writeUInt32LE(i, i);
    await patient.uploadByFile("retry/resumed.bin", data);
    const ranges: Array<string | undefined> = [];
    proxy.decide = (request) => {
      if (request.method !== "GET") return "pass";
      ranges.push(request.headers.range);
      return ranges.length <= 2 ? { cutAfter: 1024 * 1024 } : "pass";
    };
    const stream = await patient.downloadStream("retry/resumed.bin");
    expect(Buffer.concat(await stream.toArray()).equals(data)).toBe(true);
    // Each retry asks for the rest from the first byte not yet delivered (what arrived before a reset varies).
    expect(ranges).toHaveLength(3);
    expect(ranges[0]).toBeUndefined();
    const starts = ranges.slice(1).map((range) => Number(/^bytes=(\d+)-$/.exec(range ?? "")?.[1]));
    expect(starts[0]).toBeGreaterThan(0);
    expect(starts[1]).toBeGreaterThan(starts[0]!);
  });

  it("retries each part of a multipart upload on its own", async () => {
    // Fail the second part's first attempt only.
    let partsSeen = 0;
    proxy.decide = (request) => (request.method === "PUT" && (request.url ?? "").includes("partNumber=") && ++partsSeen === 2 ? "slow-down" : "pass");
    const data = Buffer.alloc(400 * 1024, 7);
    const tuned = await loadApp(fileURLToPath(new URL("../fixtures/s3-apps/contract/", import.meta.url)), {
      env: { S3_ENDPOINT: proxy.endpoint, S3_BUCKET: server.bucket, S3_ACCESS_KEY_ID: server.accessKeyId, S3_ACCESS_KEY_SECRET: server.accessKeySecret },
    });
    try {
      const result = await tuned.getElement("storages.MinioTuned").upload("retry/parts.bin", data);
      expect(result.size).toBe(data.length);
      expect(partsSeen).toBe(5);
      expect((await patient.download("retry/parts.bin")).equals(data)).toBe(true);
    } finally {
      await tuned.close();
    }
  });
});

describe("deleteMany on the S3 Types", () => {
  let server: RunningS3rver;
  let proxy: FaultProxy;
  let app: App;

  beforeAll(async () => {
    server = await startS3rver();
    proxy = await startFaultProxy(server.endpoint);
    app = await loadApp(reliabilityApp, {
      env: { S3_ENDPOINT: proxy.endpoint, S3_BUCKET: server.bucket, S3_ACCESS_KEY_ID: server.accessKeyId, S3_ACCESS_KEY_SECRET: server.accessKeySecret },
    });
  });

  afterAll(async () => {
    await app?.close();
    await proxy?.stop();
    await server?.stop();
  });

  it("deletes 1,001 names in two batches of DeleteObjects (the service's limit is 1,000), each with a Content-MD5", async () => {
    const storage = app.getElement("storages.Bulk");
    const names = Array.from({ length: 1001 }, (_, i) => `many/${String(i).padStart(4, "0")}`);
    // Names in both batches exist; the others are missing, which deletes as well.
    const stored = [...names.slice(0, 5), ...names.slice(995)];
    await Promise.all(stored.map((n) => storage.uploadByFile(n, Buffer.from(n))));
    const md5s: Array<string | undefined> = [];
    proxy.seen.length = 0;
    proxy.decide = (request) => {
      if (request.method === "POST") md5s.push(request.headers["content-md5"] as string | undefined);
      return "pass";
    };
    expect(await storage.deleteMany([...names, "many/missing"])).toEqual({ deleted: [...names, "many/missing"] });
    // Two batches; s3rver sometimes answers two at once with a 500 (its folder clean-up races), which is retried.
    expect(new Set(proxy.seen)).toEqual(new Set([`POST /${server.bucket}/`]));
    expect(proxy.seen.length).toBeGreaterThanOrEqual(2);
    expect(proxy.seen.length).toBeLessThanOrEqual(2 * (1 + 3));
    for (const md5 of md5s) expect(md5).toMatch(/^[A-Za-z0-9+/]{22}==$/);
    const left: string[] = [];
    for await (const entry of storage.list({ prefix: "many/" })) left.push(entry.name);
    expect(left).toEqual([]);
  });
});

describe("refusals of the S3 Types", () => {
  let server: RunningS3rver;
  let app: App;

  beforeAll(async () => {
    server = await startS3rver();
    app = await loadApp(reliabilityApp, { env: { S3_ENDPOINT: server.endpoint, S3_BUCKET: server.bucket, S3_ACCESS_KEY_ID: "AKIANOSUCHKEY", S3_ACCESS_KEY_SECRET: UNKNOWN_KEYS_SECRET } });
  });

  afterAll(async () => {
    await app?.close();
    await server?.stop();
  });

  it("names accessKeyId for an unknown key, even from a HEAD, whose answer has no body", async () => {
    const error = await app.getElement("storages.Patient").getObject("x.txt").then(
      () => undefined,
      (e: unknown) => e as StorageError,
    );
    expect(error).toMatchObject({ code: "InvalidAccessKeyId", status: 403, attempts: 1 });
    expect(error?.message).toContain("check accessKeyId");
    for (const shown of [error?.message, JSON.stringify(error), inspect(error, { depth: 10 }), inspect(error?.cause, { depth: 10 }), error?.stack]) {
      expect(shown).not.toContain(UNKNOWN_KEYS_SECRET);
    }
    expect(await app.getElement("storages.Patient").exists("x.txt").catch((e: StorageError) => e.code)).toBe("InvalidAccessKeyId");
  });

  it("says which bucket does not exist", async () => {
    const other = await loadApp(reliabilityApp, {
      env: { S3_ENDPOINT: server.endpoint, S3_BUCKET: "no-such-bucket", S3_ACCESS_KEY_ID: server.accessKeyId, S3_ACCESS_KEY_SECRET: server.accessKeySecret },
    });
    try {
      const error = await other.getElement("storages.Patient").download("x.txt").then(
        () => undefined,
        (e: unknown) => e as StorageError,
      );
      expect(error).toMatchObject({ code: "NoSuchBucket", status: 404 });
      expect(error?.message).toContain('the bucket "no-such-bucket" does not exist: check bucketName');
      expect(error?.code).not.toBe(NO_SUCH_KEY);
    } finally {
      await other.close();
    }
  });
});
