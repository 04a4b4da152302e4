// The five S3-compatible Types' configs as JitAI's pages write them: their defaults, what each reads from its
// endPoint (seen in presigned URLs, which need no request), what the loader says about a config they cannot use,
// and that the secret shows nowhere.
import { inspect } from "node:util";
import { fileURLToPath } from "node:url";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ElementError, loadApp, S3Storage, Storage, type App } from "../../index.ts";
import { startS3rver, type RunningS3rver } from "./s3rver.ts";

const referenceApp = fileURLToPath(new URL("../fixtures/s3-apps/reference/", import.meta.url));
const invalidApp = fileURLToPath(new URL("../fixtures/s3-apps/invalid/", import.meta.url));
const SECRET = "example-secret-never-shown-anywhere";

describe("the S3-compatible Types as JitAI's pages configure them", () => {
  let app: App;
  beforeAll(async () => {
    app = await loadApp(referenceApp, { env: {} });
  });
  afterAll(() => app.close());

  /** Where a GET of `key` signed by `element` goes, and the region its credential scope names. */
  async function signed(element: `storages.${string}`, key = "docs/a b.txt"): Promise<{ address: string; region: string | undefined; url: URL }> {
    const url = new URL(await app.getElement(element).getSignUrl(key, "text/plain", 600));
    const region = url.searchParams.get("X-Amz-Credential")?.split("/")[2];
    return { address: `${url.origin}${url.pathname}`, region, url };
  }

  it("makes each an S3Storage and a Storage, named by its own Type", () => {
    for (const [element, type] of [
      ["storages.Aws", "storages.AwsS3Type"],
      ["storages.Minio", "storages.MinioType"],
      ["storages.R2", "storages.CloudflareR2Type"],
      ["storages.Eos", "storages.EosType"],
      ["storages.Qiniu", "storages.QiniuType"],
    ] as const) {
      const storage = app.getElement(element);
      expect(storage).toBeInstanceOf(S3Storage);
      expect(storage).toBeInstanceOf(Storage);
      expect(storage.storageType).toBe(type);
      expect(app.elements().find((e) => e.fullName === element)?.chain).toEqual([element, type, "storages.S3Type", "storages.Meta"]);
    }
  });

  it("fills in S3Type's defaults under each Type's own", () => {
    const shared = { timeout: 60_000, retries: 3, multipartThreshold: 16 * 1024 * 1024, partSize: 8 * 1024 * 1024, parallel: 4 };
    expect({ ...(app.getElement("storages.Minio") as S3Storage).config }).toEqual({
      accessKeyId: "AKIAEXAMPLEKEYID",
      accessKeySecret: SECRET,
      endPoint: "minio.example.com:9000",
      bucketName: "my-bucket",
      scheme: "http",
      pathStyle: true,
      ...shared,
    });
    expect((app.getElement("storages.Eos") as S3Storage).config).toMatchObject({ scheme: "https", ...shared });
    expect((app.getElement("storages.R2") as S3Storage).config).toMatchObject({ scheme: "https", region: "auto", ...shared });
    expect((app.getElement("storages.Qiniu") as S3Storage).config).toMatchObject({ scheme: "http", endPoint: "upload-z2.qiniup.com", ...shared });
  });

  it("AwsS3Type: sends the global s3.amazonaws.com to the region's endpoint, bucket in the host", async () => {
    expect(await signed("storages.Aws")).toMatchObject({ address: "https://my-bucket.s3.eu-west-1.amazonaws.com/docs/a%20b.txt", region: "eu-west-1" });
  });

  it("MinioType: host:port over http, bucket in the path", async () => {
    expect(await signed("storages.Minio")).toMatchObject({ address: "http://minio.example.com:9000/my-bucket/docs/a%20b.txt", region: "us-east-1" });
  });

  it("CloudflareR2Type: the account's endpoint over https, signed for region auto", async () => {
    expect(await signed("storages.R2")).toMatchObject({ address: "https://my-bucket.your-account-id.r2.cloudflarestorage.com/docs/a%20b.txt", region: "auto" });
  });

  it("EosType: the pool's endpoint over https, signed for the pool the host names", async () => {
    expect(await signed("storages.Eos")).toMatchObject({ address: "https://my-bucket.eos-beijing-1.cmecloud.cn/docs/a%20b.txt", region: "beijing-1" });
  });

  it("QiniuType: the default upload-z2.qiniup.com is South China's S3 endpoint, s3.cn-south-1.qiniucs.com", async () => {
    expect(await signed("storages.Qiniu")).toMatchObject({ address: "http://my-bucket.s3.cn-south-1.qiniucs.com/docs/a%20b.txt", region: "cn-south-1" });
    expect(await signed("storages.QiniuEast")).toMatchObject({ address: "https://my-bucket.s3.cn-east-1.qiniucs.com/docs/a%20b.txt", region: "cn-east-1" });
  });

  it("signs a GET for 300 seconds by default, serving the Content-Type asked for", async () => {
    const { url } = await signed("storages.Minio");
    const defaults = new URL(await app.getElement("storages.Minio").getSignUrl("a.txt", "image/png"));
    expect(defaults.searchParams.get("X-Amz-Expires")).toBe("300");
    expect(defaults.searchParams.get("response-content-type")).toBe("image/png");
    expect(url.searchParams.get("X-Amz-Algorithm")).toBe("AWS4-HMAC-SHA256");
  });

  it("binds a PUT URL to its Content-Type: the header is among the signed ones", async () => {
    const put = new URL(await app.getElement("storages.Minio").getSignUrl("upload.json", "application/json", 60, { method: "PUT" }));
    expect(put.searchParams.get("X-Amz-SignedHeaders")?.split(";").sort()).toEqual(["content-type", "host"]);
  });

  it("never shows the secret: not in inspect, JSON, String() or a signed URL", async () => {
    const storage = app.getElement("storages.Minio") as S3Storage;
    const shown = [inspect(storage, { depth: 10 }), inspect(storage.config), JSON.stringify(storage.config), String(storage), await storage.getSignUrl("a.txt", "text/plain")];
    for (const text of shown) expect(text).not.toContain(SECRET);
    expect(JSON.stringify(storage.config)).toContain("[redacted]");
  });
});

describe("S3 configs the Types cannot use", () => {
  it("are reported at load, every field at once, with its JSON pointer", async () => {
    const error = await loadApp(invalidApp, { env: {} }).then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(error).toBeInstanceOf(ElementError);
    const problems = (error as ElementError).errors.flatMap((e) => e.problems.map((p) => `${e.element} ${p.pointer}`));
    expect(problems).toEqual(
      expect.arrayContaining([
        "storages.AwsNoRegion /region",
        "storages.BadMinio /endPoint",
        "storages.BadMinio /bucketName",
        "storages.BadMinio /scheme",
        "storages.BadMinio /partSize",
      ]),
    );
    expect(inspect(error, { depth: 10 })).not.toContain(SECRET);
  });
});

describe("upload results of the S3 Types", () => {
  let server: RunningS3rver;
  let app: App;
  beforeAll(async () => {
    server = await startS3rver();
    app = await loadApp(fileURLToPath(new URL("../fixtures/s3-apps/reliability/", import.meta.url)), {
      env: { S3_ENDPOINT: server.endpoint, S3_BUCKET: server.bucket, S3_ACCESS_KEY_ID: server.accessKeyId, S3_ACCESS_KEY_SECRET: server.accessKeySecret },
    });
  });
  afterAll(async () => {
    await app?.close();
    await server?.stop();
  });

  it("give the object's path-style address on a local endPoint", async () => {
    const result = await app.getElement("storages.Bulk").uploadByFile("img/logo 1.png", Buffer.from("png"), "image/png");
    expect(result.url).toBe(`${server.endpoint}/${server.bucket}/img/logo%201.png`);
    expect((await fetch(await app.getElement("storages.Bulk").getSignUrl("img/logo 1.png", "image/png"))).status).toBe(200);
  });

  it("give the publicBaseUrl's address when one is set", async () => {
    const result = await app.getElement("storages.Cdn").uploadByFile("img/logo 1.png", Buffer.from("png"), "image/png");
    expect(result.url).toBe("https://cdn.example.com/files/img/logo%201.png");
  });

  it("make the client on first use, release it on close, and make a new one when used again", async () => {
    const storage = app.getElement("storages.Bulk") as S3Storage;
    const first = await storage.client();
    expect(await storage.client()).toBe(first);
    await storage.close();
    await storage.uploadByFile("after-close.txt", Buffer.from("again"));
    expect(await storage.client()).not.toBe(first);
    expect((await storage.download("after-close.txt")).toString()).toBe("again");
  });
});
