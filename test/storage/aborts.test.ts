// Aborts that come while the service holds the request that decides an upload's fate: InitiateMultipartUpload
// (which makes an upload id) and CompleteMultipartUpload (which makes the object). The local server holds them
// (delayMs); the abort is given the moment the held request arrives. The error then says what became of the
// object, and no unfinished upload is left behind.
import { subscribe, unsubscribe } from "node:diagnostics_channel";
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import type { IncomingMessage } from "node:http";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { startOssEmulator, type OssEmulator } from "../../emulator/index.ts";
import { loadApp, OssStorage, StorageError, type App } from "../../index.ts";
import { basicApp, envFor, noise, uniqueName } from "./helpers.ts";

let server: OssEmulator;
let app: App;
/** Uploads above 256 KiB in parts of 100 KiB. */
let tuned: OssStorage;

beforeAll(async () => {
  server = await startOssEmulator();
  app = await loadApp(basicApp, { env: envFor(server) });
  const element = app.getElement("storages.Tuned");
  if (!(element instanceof OssStorage)) throw new Error("storages.Tuned is not an OssStorage");
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

const isInitiate = (request: IncomingMessage) => request.method === "POST" && /[?&]uploads(=|&|$)/.test(request.url ?? "");
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
  const { uploads } = await tuned.client.listUploads({ prefix: name });
  return uploads.map((u) => u.name);
}

/** Uploads 1 MiB in parts; holds every request for `delayMs` from the moment the last part has landed. */
function uploadHoldingComplete(name: string, signal: AbortSignal, hold: Parameters<OssEmulator["setFaults"]>[0]): Promise<unknown> {
  const data = noise(1024 * 1024, 7);
  return tuned.upload(name, data, {
    signal,
    onProgress: ({ loaded }) => {
      if (loaded === data.length) server.setFaults(hold);
    },
  });
}

describe("an abort while CompleteMultipartUpload is held", () => {
  it("waits for the answer and says that the object was stored, with its ETag, when the service stored it", async () => {
    const name = uniqueName("aborts/complete-stored-");
    const controller = new AbortController();
    const stop = onArrival(isComplete, () => controller.abort());
    try {
      const error = await rejection(uploadHoldingComplete(name, controller.signal, { delayMs: 300 }));
      server.setFaults({});
      const info = await tuned.getObject(name);
      expect(error).toMatchObject({ code: "ABORTED", operation: "upload", objectName: name, stored: true, etag: info.etag });
      expect(error.message).toContain("the object is stored");
      expect(error.message).toContain(info.etag);
      expect(error.message).not.toContain("nothing was stored");
      expect(error.toJSON()).toMatchObject({ stored: true, etag: info.etag });
    } finally {
      stop();
    }
  });

  it("says that nothing was stored when the service answers that it did not complete it, and leaves no upload", async () => {
    const name = uniqueName("aborts/complete-failed-");
    const controller = new AbortController();
    const stop = onArrival(isComplete, () => controller.abort());
    try {
      const error = await rejection(
        uploadHoldingComplete(name, controller.signal, { delayMs: 300, status: { count: 1, code: 503, operations: ["CompleteMultipartUpload"] } }),
      );
      server.setFaults({});
      expect(error).toMatchObject({ code: "ABORTED", stored: false, etag: undefined });
      expect(error.message).toContain("nothing was stored");
      expect(await tuned.exists(name)).toBe(false);
      expect(await unfinishedUploads(name)).toEqual([]);
    } finally {
      stop();
    }
  });
});

describe("an abort while InitiateMultipartUpload is held", () => {
  it("aborts the upload that the late answer names: nothing is left behind", async () => {
    const name = uniqueName("aborts/initiate-");
    const controller = new AbortController();
    const stop = onArrival(isInitiate, () => controller.abort());
    server.setFaults({ delayMs: 300 });
    try {
      const error = await rejection(tuned.upload(name, noise(1024 * 1024, 8), { signal: controller.signal }));
      expect(error).toMatchObject({ code: "ABORTED", stored: false });
      server.setFaults({});
      // Whatever the server does with the held request, it has done it once its delay is over.
      await new Promise((resolve) => setTimeout(resolve, 500));
      expect(await unfinishedUploads(name)).toEqual([]);
      expect(await tuned.exists(name)).toBe(false);
    } finally {
      stop();
    }
  });
});

describe("an abort of a single-request upload", () => {
  it("says that the object was stored, with its ETag, when the service had stored it as the abort came", async () => {
    const name = uniqueName("aborts/put-stored-");
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
    const name = uniqueName("aborts/put-file-stored-");
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
    const name = uniqueName("aborts/put-held-");
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
    const name = uniqueName("aborts/put-cut-");
    const controller = new AbortController();
    const stop = onArrival(isPutOf(name), () => controller.abort());
    // The server holds the request before reading its body, so that most of 16 MiB is still on this side.
    server.setFaults({ delayMs: 300 });
    try {
      const error = await rejection(app.getElement("storages.MyOss").upload(name, noise(16 * 1024 * 1024, 8), { signal: controller.signal }));
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
