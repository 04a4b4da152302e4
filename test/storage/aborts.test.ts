// Aborts that come while the service holds the request that decides an upload's fate: InitiateMultipartUpload
// (S3: CreateMultipartUpload, which makes an upload id), CompleteMultipartUpload (which makes the object) and a
// single PUT whose body has gone out. The local server carries a held request out at once and holds its answer
// (heldAnswer), as a busy service does, so that cutting the request would not undo it; the abort is given the
// moment the held request arrives. The error then says what became of the object, and no unfinished upload is left
// behind. The same cases run for OssType (ali-oss) and for an S3 Type (@aws-sdk/client-s3, MinioType).
import { subscribe, unsubscribe } from "node:diagnostics_channel";
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import type { IncomingMessage } from "node:http";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { ListMultipartUploadsCommand } from "@aws-sdk/client-s3";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { startOssEmulator, type FaultOptions, type OssEmulator } from "../../emulator/index.ts";
import { loadApp, OssStorage, S3Storage, Storage, StorageError, type App } from "../../index.ts";
import { basicApp, envFor, noise, storageFailure, uniqueName } from "./helpers.ts";

const s3ContractApp = fileURLToPath(new URL("../fixtures/s3-apps/contract/", import.meta.url));

/** A Type under test: how to reach it on a local server, and the few ways its protocol differs. */
interface AbortTarget {
  label: string;
  start(): Promise<{ server: OssEmulator; app: App }>;
  /** Uploads above 256 KiB in parts of 100 KiB. */
  tuned: string;
  /** The Type's defaults: 16 MiB goes as one request. */
  whole: string;
  /** The protocol's name of the request that makes an upload id. */
  initiate: "InitiateMultipartUpload" | "CreateMultipartUpload";
  /** Multipart uploads of `name` begun and neither completed nor aborted. */
  unfinishedUploads(storage: Storage, server: OssEmulator, name: string): Promise<string[]>;
}

const targets: AbortTarget[] = [
  {
    label: "storages.OssType",
    async start() {
      const server = await startOssEmulator();
      return { server, app: await loadApp(basicApp, { env: envFor(server) }) };
    },
    tuned: "storages.Tuned",
    whole: "storages.MyOss",
    initiate: "InitiateMultipartUpload",
    async unfinishedUploads(storage, _server, name) {
      if (!(storage instanceof OssStorage)) throw new Error("not an OssStorage");
      const { uploads } = await storage.client.listUploads({ prefix: name });
      return uploads.map((u) => u.name);
    },
  },
  {
    label: "storages.MinioType (S3)",
    async start() {
      const server = await startOssEmulator({ s3MinPartSize: 100 * 1024 });
      const env = { S3_ENDPOINT: server.endpoint, S3_BUCKET: server.bucket, S3_ACCESS_KEY_ID: server.accessKeyId, S3_ACCESS_KEY_SECRET: server.accessKeySecret };
      return { server, app: await loadApp(s3ContractApp, { env }) };
    },
    tuned: "storages.MinioTuned",
    whole: "storages.Minio",
    initiate: "CreateMultipartUpload",
    async unfinishedUploads(storage, server, name) {
      if (!(storage instanceof S3Storage)) throw new Error("not an S3Storage");
      const result = await (await storage.client()).send(new ListMultipartUploadsCommand({ Bucket: server.bucket, Prefix: name }));
      return (result.Uploads ?? []).map((u) => u.Key ?? "");
    },
  },
];

/** Calls `action` when a request that `matches` reaches the local server (before the server answers it). */
function onArrival(matches: (request: IncomingMessage) => boolean, action: () => void): () => void {
  return onServerEvent("http.server.request.start", matches, action);
}

/** Calls `action` when the local server has sent its whole answer to a request that `matches` (the client has not read it yet). */
function onAnswered(matches: (request: IncomingMessage) => boolean, action: () => void): () => void {
  return onServerEvent("http.server.response.finish", matches, action);
}

function onServerEvent(channel: string, matches: (request: IncomingMessage) => boolean, action: () => void): () => void {
  const listener = (message: unknown) => {
    if (matches((message as { request: IncomingMessage }).request)) action();
  };
  subscribe(channel, listener);
  return () => unsubscribe(channel, listener);
}

const isPutOf = (name: string) => (request: IncomingMessage) => request.method === "PUT" && (request.url ?? "").split("?")[0]!.endsWith(`/${name}`);
const isInitiate = (request: IncomingMessage) => request.method === "POST" && /[?&]uploads(=|&|$)/.test(request.url ?? "");
const isComplete = (request: IncomingMessage) => request.method === "POST" && /[?&]uploadId=/.test(request.url ?? "");

/** Whatever the server does with a held request, it has done it once the hold is over. */
const holdOver = () => new Promise((resolve) => setTimeout(resolve, 500));

describe.each(targets.map((target) => [target.label, target] as const))("%s", (_label, target) => {
  let server: OssEmulator;
  let app: App;
  let tuned: Storage;
  let whole: Storage;

  beforeAll(async () => {
    ({ server, app } = await target.start());
    tuned = storageOf(app, target.tuned);
    whole = storageOf(app, target.whole);
  });

  afterEach(() => server.setFaults({}));

  afterAll(async () => {
    await app?.close();
    await server?.stop();
  });

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
    return storageFailure(upload).finally(stop);
  }

  describe("an abort while CompleteMultipartUpload is held", () => {
    it("waits for the answer and says that the object was stored, with its ETag, when the service stored it", async () => {
      const name = uniqueName("aborts/complete-stored-");
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
      const name = uniqueName("aborts/complete-lost-");
      const error = await uploadAbortedAtComplete(name, { heldAnswer: { ms: 300, lost: true, operations: ["CompleteMultipartUpload"] } });
      server.setFaults({});
      const info = await tuned.getObject(name);
      expect(error).toMatchObject({ code: "ABORTED", stored: true, etag: info.etag });
      expect(error.message).toContain("a HEAD found it");
    });

    it("says that nothing was stored when the service answers that it did not complete it, and leaves no upload", async () => {
      const name = uniqueName("aborts/complete-failed-");
      const error = await uploadAbortedAtComplete(name, { delayMs: 300, status: { count: 1, code: 503, operations: ["CompleteMultipartUpload"] } });
      server.setFaults({});
      expect(error).toMatchObject({ code: "ABORTED", stored: false, etag: undefined });
      expect(error.message).toContain("nothing was stored");
      expect(await tuned.exists(name)).toBe(false);
      expect(await target.unfinishedUploads(tuned, server, name)).toEqual([]);
    });
  });

  describe(`an abort while ${target.initiate} is held`, () => {
    it("aborts the upload that the late answer names: nothing is left behind", async () => {
      const name = uniqueName("aborts/initiate-");
      const controller = new AbortController();
      const stop = onArrival(isInitiate, () => controller.abort());
      server.setFaults({ heldAnswer: { ms: 300, operations: [target.initiate] } });
      try {
        const error = await storageFailure(tuned.upload(name, noise(1024 * 1024, 8), { signal: controller.signal }));
        expect(error).toMatchObject({ code: "ABORTED", stored: false });
        server.setFaults({});
        await holdOver();
        expect(await target.unfinishedUploads(tuned, server, name)).toEqual([]);
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
        const error = await storageFailure(tuned.upload(name, noise(100 * 1024, 5), { signal: controller.signal }));
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
        const error = await storageFailure(tuned.upload(name, file, { signal: controller.signal }));
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
        const error = await storageFailure(tuned.upload(name, noise(100 * 1024, 7), { signal: controller.signal }));
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
        const error = await storageFailure(whole.upload(name, noise(16 * 1024 * 1024, 8), { signal: controller.signal }));
        server.setFaults({});
        expect(error).toMatchObject({ code: "ABORTED", stored: false, etag: undefined });
        expect(error.message).toContain("nothing was stored");
        await holdOver();
        expect(await tuned.exists(name)).toBe(false);
      } finally {
        stop();
      }
    });
  });
});

function storageOf(app: App, fullName: string): Storage {
  const element = app.getElement(fullName);
  if (!(element instanceof Storage)) throw new Error(`${fullName} is not a Storage`);
  return element;
}
