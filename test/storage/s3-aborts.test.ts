// The S3 Types' side of aborts.test.ts: aborts that come while the service holds the request that decides an
// upload's fate, CreateMultipartUpload (which makes an upload id) or CompleteMultipartUpload (which makes the
// object), driven by the real @aws-sdk/client-s3 through the element against the local server's S3 dialect. The
// server carries the held request out at once and holds its answer (heldAnswer), as a busy service does, so that
// cutting the request would not undo it; the abort is given the moment the held request arrives. The error then
// says what became of the object, and no unfinished upload is left behind.
import { subscribe, unsubscribe } from "node:diagnostics_channel";
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import type { IncomingMessage } from "node:http";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { ListMultipartUploadsCommand } from "@aws-sdk/client-s3";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { startOssEmulator, type FaultOptions, type OssEmulator } from "../../emulator/index.ts";
import { loadApp, S3Storage, StorageError, type App } from "../../index.ts";
import { noise, uniqueName } from "./helpers.ts";

const contractApp = fileURLToPath(new URL("../fixtures/s3-apps/contract/", import.meta.url));

let server: OssEmulator;
let app: App;
/** MinioType, uploads above 256 KiB in parts of 100 KiB. */
let tuned: S3Storage;

beforeAll(async () => {
  server = await startOssEmulator({ s3MinPartSize: 100 * 1024 });
  app = await loadApp(contractApp, {
    env: { S3_ENDPOINT: server.endpoint, S3_BUCKET: server.bucket, S3_ACCESS_KEY_ID: server.accessKeyId, S3_ACCESS_KEY_SECRET: server.accessKeySecret },
  });
  const element = app.getElement("storages.MinioTuned");
  if (!(element instanceof S3Storage)) throw new Error("storages.MinioTuned is not an S3Storage");
  tuned = element;
});

afterEach(() => server.setFaults({}));

afterAll(async () => {
  await app.close();
  await server.stop();
});

/** Calls `action` when a request that `matches` reaches the local server (before the server answers it). */
function onArrival(matches: (request: IncomingMessage) => boolean, action: () => void): () => void {
  const listener = (message: unknown) => {
    if (matches((message as { request: IncomingMessage }).request)) action();
  };
  subscribe("http.server.request.start", listener);
  return () => unsubscribe("http.server.request.start", listener);
}

/** Calls `action` when the local server has sent its whole answer to a request that `matches` (the client has not read it yet). */
function onAnswered(matches: (request: IncomingMessage) => boolean, action: () => void): () => void {
  const listener = (message: unknown) => {
    if (matches((message as { request: IncomingMessage }).request)) action();
  };
  subscribe("http.server.response.finish", listener);
  return () => unsubscribe("http.server.response.finish", listener);
}

const isPutOf = (name: string) => (request: IncomingMessage) => request.method === "PUT" && (request.url ?? "").split("?")[0]!.endsWith(`/${name}`);

const isCreate = (request: IncomingMessage) => request.method === "POST" && /[?&]uploads(=|&|$)/.test(request.url ?? "");
const isComplete = (request: IncomingMessage) => request.method === "POST" && /[?&]uploadId=/.test(request.url ?? "");

async function rejection(promise: Promise<unknown>): Promise<StorageError> {
  const error = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(StorageError);
  return error as StorageError;
}

/** Multipart uploads of `name` begun and neither completed nor aborted. */
async function unfinishedUploads(name: string): Promise<string[]> {
  const client = await tuned.client();
  const result = await client.send(new ListMultipartUploadsCommand({ Bucket: server.bucket, Prefix: name }));
  return (result.Uploads ?? []).map((u) => u.Key ?? "");
}

/** Uploads 1 MiB in parts, aborted when Complete arrives; `faults` hold from the moment the last part has landed. */
function uploadAbortedAtComplete(name: string, faults: FaultOptions): Promise<StorageError> {
  const data = noise(1024 * 1024, 7);
  const controller = new AbortController();
  const stop = onArrival(isComplete, () => controller.abort());
  const upload = tuned.upload(name, data, {
    signal: controller.signal,
    onProgress: ({ loaded }) => {
      if (loaded === data.length) server.setFaults(faults);
    },
  });
  return rejection(upload).finally(stop);
}

describe("an abort while CompleteMultipartUpload is held (S3 Types)", () => {
  it("waits for the answer and says that the object was stored, with its ETag, when the service stored it", async () => {
    const name = uniqueName("s3-aborts/complete-stored-");
    const error = await uploadAbortedAtComplete(name, { heldAnswer: { ms: 300, operations: ["CompleteMultipartUpload"] } });
    server.setFaults({});
    const info = await tuned.getObject(name);
    expect(error).toMatchObject({ code: "ABORTED", operation: "upload", objectName: name, stored: true, etag: info.etag });
    expect(error.message).toContain("the object is stored");
    expect(error.message).toContain(info.etag);
    expect(error.message).not.toContain("nothing was stored");
    expect(error.toJSON()).toMatchObject({ stored: true, etag: info.etag });
  });

  it("finds the object with a HEAD and says that it was stored when the answer is lost", async () => {
    const name = uniqueName("s3-aborts/complete-lost-");
    const error = await uploadAbortedAtComplete(name, { heldAnswer: { ms: 300, lost: true, operations: ["CompleteMultipartUpload"] } });
    server.setFaults({});
    const info = await tuned.getObject(name);
    expect(error).toMatchObject({ code: "ABORTED", stored: true, etag: info.etag });
    expect(error.message).toContain("a HEAD found it");
  });

  it("says that nothing was stored when the service answers that it did not complete it, and leaves no upload", async () => {
    const name = uniqueName("s3-aborts/complete-failed-");
    const error = await uploadAbortedAtComplete(name, { delayMs: 300, status: { count: 1, code: 503, operations: ["CompleteMultipartUpload"] } });
    server.setFaults({});
    expect(error).toMatchObject({ code: "ABORTED", stored: false, etag: undefined });
    expect(error.message).toContain("nothing was stored");
    expect(await tuned.exists(name)).toBe(false);
    expect(await unfinishedUploads(name)).toEqual([]);
  });
});

describe("an abort while CreateMultipartUpload is held (S3 Types)", () => {
  it("aborts the upload that the late answer names: nothing is left behind", async () => {
    const name = uniqueName("s3-aborts/create-");
    const controller = new AbortController();
    const stop = onArrival(isCreate, () => controller.abort());
    server.setFaults({ heldAnswer: { ms: 300, operations: ["CreateMultipartUpload"] } });
    try {
      const error = await rejection(tuned.upload(name, noise(1024 * 1024, 8), { signal: controller.signal }));
      expect(error).toMatchObject({ code: "ABORTED", stored: false });
      server.setFaults({});
      // The server carries Create out whatever the client does; once its answer's hold is over, it has done so.
      await new Promise((resolve) => setTimeout(resolve, 500));
      expect(await unfinishedUploads(name)).toEqual([]);
      expect(await tuned.exists(name)).toBe(false);
    } finally {
      stop();
    }
  });
});

describe("an abort of a single-request upload (S3 Types)", () => {
  it("says that the object was stored, with its ETag, when the service had stored it as the abort came", async () => {
    const name = uniqueName("s3-aborts/put-stored-");
    const controller = new AbortController();
    const stop = onAnswered(isPutOf(name), () => controller.abort());
    try {
      const error = await rejection(tuned.upload(name, noise(100 * 1024, 5), { signal: controller.signal }));
      const info = await tuned.getObject(name);
      expect(error).toMatchObject({ code: "ABORTED", operation: "upload", objectName: name, stored: true, etag: info.etag });
      expect(error.message).toContain("the object is stored");
      expect(error.message).toContain(info.etag);
      expect(error.message).not.toContain("nothing was stored");
    } finally {
      stop();
    }
  });

  it("says so for a file too", async () => {
    const name = uniqueName("s3-aborts/put-file-stored-");
    const file = join(await mkdtemp(join(tmpdir(), "aborts-")), "small.bin");
    await writeFile(file, noise(100 * 1024, 6));
    const controller = new AbortController();
    const stop = onAnswered(isPutOf(name), () => controller.abort());
    try {
      const error = await rejection(tuned.upload(name, file, { signal: controller.signal }));
      const info = await tuned.getObject(name);
      expect(error).toMatchObject({ code: "ABORTED", stored: true, etag: info.etag });
    } finally {
      stop();
      await rm(dirname(file), { recursive: true, force: true });
    }
  });

  it("waits for the answer once the body has gone out whole, and says what the service did with it", async () => {
    const name = uniqueName("s3-aborts/put-held-");
    const controller = new AbortController();
    const stop = onArrival(isPutOf(name), () => controller.abort());
    // The server holds the request before reading its body; the body (100 KiB) is already on its way whole.
    server.setFaults({ delayMs: 300 });
    try {
      const error = await rejection(tuned.upload(name, noise(100 * 1024, 7), { signal: controller.signal }));
      server.setFaults({});
      const info = await tuned.getObject(name);
      expect(error).toMatchObject({ code: "ABORTED", stored: true, etag: info.etag });
    } finally {
      stop();
    }
  });

  it("says that nothing was stored when the abort cut the request while its body was on its way", async () => {
    const name = uniqueName("s3-aborts/put-cut-");
    const controller = new AbortController();
    const stop = onArrival(isPutOf(name), () => controller.abort());
    // The server holds the request before reading its body, so that most of 16 MiB is still on this side.
    server.setFaults({ delayMs: 300 });
    try {
      const error = await rejection(app.getElement("storages.Minio").upload(name, noise(16 * 1024 * 1024, 8), { signal: controller.signal }));
      server.setFaults({});
      expect(error).toMatchObject({ code: "ABORTED", stored: false, etag: undefined });
      expect(error.message).toContain("nothing was stored");
      // Whatever the server does with the held request, it has done it once its delay is over.
      await new Promise((resolve) => setTimeout(resolve, 500));
      expect(await tuned.exists(name)).toBe(false);
    } finally {
      stop();
    }
  });
});
