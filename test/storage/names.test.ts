// Object names and other arguments are checked by the storages facade, once for every Type, before any request:
// the endPoint here is a closed port, so a request would fail with NETWORK_ERROR instead.
import { Readable } from "node:stream";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { beforeAll, describe, expect, it } from "vitest";
import { loadApp, type Storage } from "../../index.ts";
import { basicApp, storageFailure } from "./helpers.ts";

let storage: Storage;

beforeAll(async () => {
  const app = await loadApp(basicApp, {
    env: { OSS_ACCESS_KEY_ID: "id", OSS_ACCESS_KEY_SECRET: "secret-value", OSS_ENDPOINT: "http://127.0.0.1:9", OSS_BUCKET: "no-bucket" },
  });
  storage = app.getElement("storages.MyOss");
});

const invalidNames: Array<[string, string, RegExp]> = [
  ["empty", "", /may not be empty/],
  ["over 1023 bytes of UTF-8", "é".repeat(512), /at most 1023 bytes of UTF-8, and this one has 1024/],
  ["starting with /", "/docs/a.pdf", /may not start with "\/" or "\\"/],
  ["starting with \\", "\\docs\\a.pdf", /may not start with/],
  ["holding a lone surrogate (not valid UTF-8)", "bad\uD800name", /valid UTF-8/],
];

describe("object names", () => {
  it.each(invalidNames)("refuses a name %s with INVALID_OBJECT_NAME, in every method", async (_label, name, why) => {
    const attempts: Array<[string, () => Promise<unknown>]> = [
      ["uploadByFile", () => storage.uploadByFile(name, Buffer.from("x"))],
      ["upload", () => storage.upload(name, Readable.from(["x"]))],
      ["getSignUrl", () => storage.getSignUrl(name, "text/plain")],
      ["download", () => storage.download(name)],
      ["downloadStream", () => storage.downloadStream(name)],
      ["downloadToFile", () => storage.downloadToFile(name, join(tmpdir(), "never-written"))],
      ["getObject", () => storage.getObject(name)],
      ["exists", () => storage.exists(name)],
      ["delete", () => storage.delete(name)],
      ["copy", () => storage.copy(name, "fine.txt")],
      ["copy", () => storage.copy("fine.txt", name)],
      ["deleteMany", () => storage.deleteMany(["fine.txt", name])],
    ];
    for (const [operation, attempt] of attempts) {
      const error = await storageFailure(attempt());
      expect(error).toMatchObject({ code: "INVALID_OBJECT_NAME", operation, element: "storages.MyOss", storageType: "storages.OssType" });
      expect(error.message).toMatch(why);
      expect(error.message).toMatch(new RegExp(`^storages\\.MyOss \\(storages\\.OssType\\): ${operation}( of ".*")? failed: INVALID_OBJECT_NAME, `, "s"));
    }
  });

  it("names the object in the message, quoted and escaped", async () => {
    const error = await storageFailure(storage.download("/docs/a.pdf"));
    expect(error.message).toBe('storages.MyOss (storages.OssType): download of "/docs/a.pdf" failed: INVALID_OBJECT_NAME, an object name may not start with "/" or "\\"');
    expect(error.objectName).toBe("/docs/a.pdf");
  });

  it("refuses a list prefix that could never match, and accepts an empty one", async () => {
    const refused = await storageFailure(storage.list({ prefix: "\uDC00" }).next());
    expect(refused).toMatchObject({ code: "INVALID_OBJECT_NAME", operation: "list" });
    // An empty prefix is fine: this one gets as far as the network.
    const reached = await storageFailure(storage.list({ prefix: "" }).next());
    expect(reached.code).toBe("NETWORK_ERROR");
  });

  it("refuses a name that is not a string, as plain JavaScript might pass", async () => {
    const error = await storageFailure(storage.download(42 as unknown as string));
    expect(error).toMatchObject({ code: "INVALID_OBJECT_NAME", objectName: undefined });
    expect(error.message).toContain("must be a string, not number");
  });

  it("accepts the longest name, 1023 bytes (so the request goes out)", async () => {
    const error = await storageFailure(storage.getObject("é".repeat(511) + "x"));
    expect(error.code).toBe("NETWORK_ERROR");
    expect(error.message).toContain("http://127.0.0.1:9");
  });
});

describe("other arguments", () => {
  it.each<[string, () => Promise<unknown>, RegExp]>([
    ["a source that is no Buffer, stream or path", () => storage.upload("a", 42 as unknown as Buffer), /must be a Buffer, a Uint8Array, a Readable stream or the path of a file/],
    ["a path that is a folder", () => storage.upload("a", tmpdir()), /is not a file/],
    ["metadata that HTTP headers cannot carry", () => storage.upload("a", Buffer.from("x"), { meta: { note: "héllo" } }), /printable ASCII/],
    ["a metadata name with a space", () => storage.upload("a", Buffer.from("x"), { meta: { "my note": "x" } }), /may only hold letters, digits/],
    ["a range that ends before it starts", () => storage.downloadStream("a", { range: { start: 10, end: 5 } }), /range\.end/],
    ["a negative range start", () => storage.downloadStream("a", { range: { start: -1 } }), /range\.start/],
    ["a page size over 1000", () => storage.list({ pageSize: 5000 }).next(), /pageSize must be a whole number from 1 to 1000/],
  ])("refuses %s with INVALID_ARGUMENT", async (_label, attempt, why) => {
    const error = await storageFailure(attempt());
    expect(error.code).toBe("INVALID_ARGUMENT");
    expect(error.message).toMatch(why);
  });
});
