// storages.OssType's config as the reference writes it, its defaults, what endPoint means, and what the loader says
// about a config the Type cannot use.
import { fileURLToPath } from "node:url";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startOssEmulator, type OssEmulator } from "../../emulator/index.ts";
import { ElementError, loadApp, OssStorage, Storage, type App } from "../../index.ts";
import { basicApp, envFor } from "./helpers.ts";

const referenceApp = fileURLToPath(new URL("../fixtures/storage-apps/reference/", import.meta.url));
const invalidApp = fileURLToPath(new URL("../fixtures/storage-apps/invalid/", import.meta.url));

describe("the reference's quick start", () => {
  let app: App;
  beforeAll(async () => {
    app = await loadApp(referenceApp, { env: {} });
  });
  afterAll(() => app.close());

  it("loads MyOss as written in the reference, as an OssStorage and a Storage", () => {
    const oss = app.getElement("storages.MyOss");
    expect(oss).toBeInstanceOf(OssStorage);
    expect(oss).toBeInstanceOf(Storage);
    expect(oss.element).toBe("storages.MyOss");
    expect(oss.storageType).toBe("storages.OssType");
  });

  it("fills in the defaults of OssType.json", () => {
    const { config } = app.getElement("storages.MyOss") as OssStorage;
    expect({ ...config }).toEqual({
      accessKeyId: "your_access_key_id",
      accessKeySecret: "your_access_key_secret",
      endPoint: "oss-cn-hangzhou.aliyuncs.com",
      bucketName: "your-bucket-name",
      timeout: 60_000,
      retries: 3,
      multipartThreshold: 16 * 1024 * 1024,
      partSize: 8 * 1024 * 1024,
      parallel: 4,
      signatureVersion: "v1",
    });
  });

  it("reads a bare-host endPoint as https, bucket in the host name (presigning needs no request)", async () => {
    const url = new URL(await app.getElement("storages.MyOss").getSignUrl("users/avatar.jpg", "image/jpeg", 600));
    expect(url.origin).toBe("https://your-bucket-name.oss-cn-hangzhou.aliyuncs.com");
    expect(url.pathname).toBe("/users/avatar.jpg");
    expect(url.searchParams.get("OSSAccessKeyId")).toBe("your_access_key_id");
    expect(url.searchParams.get("response-content-type")).toBe("image/jpeg");
  });

  it("signs V4 for the region the endPoint names", async () => {
    const url = new URL(await app.getElement("storages.Beijing").getSignUrl("a.txt", "text/plain"));
    expect(url.origin).toBe("https://your-bucket-name.oss-cn-beijing-internal.aliyuncs.com");
    expect(url.searchParams.get("x-oss-credential")).toMatch(/^your_access_key_id\/\d{8}\/cn-beijing\/oss\/aliyun_v4_request$/);
    expect(url.searchParams.get("x-oss-expires")).toBe("300");
  });

  it("uses http for a bare host when secure is false, and a cname domain as it is", async () => {
    expect(new URL(await app.getElement("storages.PlainHttp").getSignUrl("a.txt", "text/plain")).origin).toBe("http://your-bucket-name.oss-cn-shanghai.aliyuncs.com");
    const own = new URL(await app.getElement("storages.OwnDomain").getSignUrl("a b.txt", "text/plain"));
    expect(`${own.origin}${own.pathname}`).toBe("https://files.example.com/a%20b.txt");
  });
});

describe("configs the Type cannot use", () => {
  it("are reported at load, every field at once, with its JSON pointer", async () => {
    const error = await loadApp(invalidApp, { env: {} }).then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(error).toBeInstanceOf(ElementError);
    const problems = (error as ElementError).errors.flatMap((e) => e.problems.map((p) => `${e.element} ${p.pointer}`));
    expect(problems).toEqual(expect.arrayContaining(["storages.NoSecret /accessKeySecret", "storages.BadBucket /bucketName", "storages.BadBucket /parallel"]));
  });

  it("an endPoint that is neither a host nor an http(s) URL is refused at load", async () => {
    const env = { OSS_ACCESS_KEY_ID: "a", OSS_ACCESS_KEY_SECRET: "b", OSS_ENDPOINT: "ftp://files.example.com", OSS_BUCKET: "bucket" };
    const error = await loadApp(basicApp, { env }).then(
      () => undefined,
      (e: unknown) => e as ElementError,
    );
    expect(error?.errors.map((e) => `${e.code} ${e.element} ${e.problems[0]?.pointer}`)).toContain("CONFIG_INVALID storages.MyOss /endPoint");
  });

  it("an endPoint the schema lets through but no URL parser takes fails when the instance is made", async () => {
    const app = await loadApp(basicApp, { env: { OSS_ACCESS_KEY_ID: "a", OSS_ACCESS_KEY_SECRET: "b", OSS_ENDPOINT: "http://:9000", OSS_BUCKET: "bucket" } });
    expect(() => app.getElement("storages.MyOss")).toThrow(/endPoint "http:\/\/:9000" is neither a host name .* nor a URL/);
  });
});

describe("endPoint forms against the local server", () => {
  let server: OssEmulator;
  let app: App;
  beforeAll(async () => {
    server = await startOssEmulator();
    app = await loadApp(basicApp, { env: envFor(server) });
  });
  afterAll(async () => {
    await app.close();
    await server.stop();
  });

  it("gives upload results the publicBaseUrl's address when one is set", async () => {
    const result = await app.getElement("storages.Cdn").uploadByFile("img/logo 1.png", Buffer.from("png"), "image/png");
    expect(result.url).toBe("https://cdn.example.com/files/img/logo%201.png");
  });

  it("gives upload results the object's address on a path-style endPoint", async () => {
    const result = await app.getElement("storages.MyOss").uploadByFile("img/logo.png", Buffer.from("png"), "image/png");
    expect(result.url).toBe(`${server.endpoint}/${server.bucket}/img/logo.png`);
  });

  it("reaches the bucket through a cname endPoint (no bucket in host or path)", async () => {
    const cname = app.getElement("storages.Cname");
    const result = await cname.uploadByFile("via-cname.txt", Buffer.from("cname"));
    expect(result.url).toBe(`${server.endpoint}/via-cname.txt`);
    expect((await app.getElement("storages.MyOss").download("via-cname.txt")).toString()).toBe("cname");
    const signed = await cname.getSignUrl("via-cname.txt", "text/plain");
    expect(await (await fetch(signed)).text()).toBe("cname");
  });

  it("makes its client on first use, releases it on close, and makes a new one when used again", async () => {
    const storage = app.getElement("storages.MyOss") as OssStorage;
    const first = storage.client;
    expect(storage.client).toBe(first);
    await storage.close();
    await storage.uploadByFile("after-close.txt", Buffer.from("again"));
    expect(storage.client).not.toBe(first);
    expect((await storage.download("after-close.txt")).toString()).toBe("again");
  });
});
