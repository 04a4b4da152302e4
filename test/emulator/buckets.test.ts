// Bucket operations, bucket ACLs and CORS.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startOssEmulator, type OssEmulator } from "../../emulator/index.ts";
import { clientFor, objectUrl, rejectionOf, signV1, xmlText , type Client } from "./helpers.ts";

let emulator: OssEmulator;
let client: Client;

beforeAll(async () => {
  emulator = await startOssEmulator();
  client = clientFor(emulator);
});
afterAll(async () => {
  await emulator?.stop();
});

describe("PutBucket and DeleteBucket", () => {
  it("creates a bucket, lists it, and deletes it once empty", async () => {
    await client.putBucket("created-bucket");
    expect((await client.listBuckets({})).buckets?.map((b) => b.name)).toEqual(["created-bucket", "local-bucket"]);
    const inside = clientFor(emulator).useBucket("created-bucket");
    await inside.put("object.txt", Buffer.from("x"));
    const notEmpty = await rejectionOf(client.deleteBucket("created-bucket"));
    expect(notEmpty.status).toBe(409);
    expect(notEmpty.code).toBe("BucketNotEmpty");
    await inside.delete("object.txt");
    const deleted = await client.deleteBucket("created-bucket");
    expect(deleted.res.status).toBe(204);
    expect((await client.listBuckets({})).buckets?.map((b) => b.name)).toEqual(["local-bucket"]);
  });

  it("answers 409 BucketAlreadyExists for an existing name, and 404 NoSuchBucket for a missing one", async () => {
    const exists = await rejectionOf(client.putBucket("local-bucket"));
    expect(exists.status).toBe(409);
    expect(exists.code).toBe("BucketAlreadyExists");
    const missing = await rejectionOf(clientFor(emulator).useBucket("missing-bucket").get("x"));
    expect(missing.status).toBe(404);
    expect(missing.code).toBe("NoSuchBucket");
  });

  it("answers 400 InvalidBucketName to a name the service refuses", async () => {
    const headers = signV1(emulator, { method: "PUT", bucket: "Bad_Bucket" });
    const response = await fetch(`${emulator.endpoint}/Bad_Bucket/`, { method: "PUT", headers });
    expect(response.status).toBe(400);
    expect(xmlText(await response.text(), "Code")).toBe("InvalidBucketName");
  });

  it("refuses to delete a bucket with multipart uploads in progress", async () => {
    await client.putBucket("busy-bucket");
    const busy = clientFor(emulator).useBucket("busy-bucket");
    const { uploadId } = await busy.initMultipartUpload("upload.bin");
    expect((await rejectionOf(client.deleteBucket("busy-bucket"))).code).toBe("BucketNotEmpty");
    await busy.abortMultipartUpload("upload.bin", uploadId);
    await client.deleteBucket("busy-bucket");
  });
});

describe("GetBucketInfo and GetBucketLocation", () => {
  it("describes the bucket as the service does", async () => {
    const info = await client.getBucketInfo("local-bucket");
    const bucket = info.bucket as unknown as Record<string, unknown>;
    expect(bucket.Name).toBe("local-bucket");
    expect(bucket.Location).toBe("oss-cn-hangzhou");
    expect(bucket.StorageClass).toBe("Standard");
    expect(bucket.ExtranetEndpoint).toBe("oss-cn-hangzhou.aliyuncs.com");
    expect((bucket.AccessControlList as { Grant: string }).Grant).toBe("private");
    expect((await client.getBucketLocation("local-bucket")).location).toBe("oss-cn-hangzhou");
  });
});

describe("bucket ACL", () => {
  it("lets anyone read a public-read bucket's objects but not write them", async () => {
    await client.putBucket("public-bucket", { acl: "public-read" });
    const inside = clientFor(emulator).useBucket("public-bucket");
    await inside.put("open.txt", Buffer.from("open"));
    expect((await client.getBucketACL("public-bucket")).acl).toBe("public-read");
    const read = await fetch(objectUrl(emulator, "open.txt", "public-bucket"));
    expect(read.status).toBe(200);
    expect(await read.text()).toBe("open");
    const listing = await fetch(`${emulator.endpoint}/public-bucket/`);
    expect(listing.status).toBe(200);
    const write = await fetch(objectUrl(emulator, "new.txt", "public-bucket"), { method: "PUT", body: new Uint8Array([1]) });
    expect(write.status).toBe(403);
    expect(xmlText(await write.text(), "Code")).toBe("AccessDenied");
  });

  it("lets anyone write to a public-read-write bucket", async () => {
    await client.putBucket("open-bucket");
    // ali-oss reads the bucket's name from the Location the service answers with.
    expect((await client.putBucketACL("open-bucket", "public-read-write")) as unknown).toMatchObject({ bucket: "open-bucket" });
    const write = await fetch(objectUrl(emulator, "anonymous.txt", "open-bucket"), { method: "PUT", body: new Uint8Array([1, 2]) });
    expect(write.status).toBe(200);
    expect((await clientFor(emulator).useBucket("open-bucket").get("anonymous.txt")).content.length).toBe(2);
  });
});

describe("CORS", () => {
  it("answers any preflight permissively while a bucket has no rules", async () => {
    const response = await fetch(objectUrl(emulator, "any.txt"), {
      method: "OPTIONS",
      headers: { Origin: "http://app.local:3000", "Access-Control-Request-Method": "PUT", "Access-Control-Request-Headers": "content-type, x-oss-meta-a" },
    });
    expect(response.status).toBe(200);
    expect(response.headers.get("access-control-allow-origin")).toBe("http://app.local:3000");
    expect(response.headers.get("access-control-allow-methods")).toContain("PUT");
    expect(response.headers.get("access-control-allow-headers")).toBe("content-type, x-oss-meta-a");
    expect(response.headers.get("access-control-expose-headers")).toContain("ETag");
  });

  it("applies a bucket's rules once it has them, and answers 403 AccessForbidden otherwise", async () => {
    await client.putBucketCORS("local-bucket", [
      { allowedOrigin: "https://*.example.com", allowedMethod: ["GET", "PUT"], allowedHeader: "*", exposeHeader: "ETag", maxAgeSeconds: "100" },
    ]);
    const rules = await client.getBucketCORS("local-bucket");
    expect(rules.rules).toHaveLength(1);
    const allowed = await fetch(objectUrl(emulator, "x.txt"), {
      method: "OPTIONS",
      headers: { Origin: "https://app.example.com", "Access-Control-Request-Method": "GET" },
    });
    expect(allowed.status).toBe(200);
    expect(allowed.headers.get("access-control-allow-origin")).toBe("https://app.example.com");
    expect(allowed.headers.get("access-control-max-age")).toBe("100");
    const refused = await fetch(objectUrl(emulator, "x.txt"), {
      method: "OPTIONS",
      headers: { Origin: "https://elsewhere.org", "Access-Control-Request-Method": "GET" },
    });
    expect(refused.status).toBe(403);
    expect(xmlText(await refused.text(), "Code")).toBe("AccessForbidden");
    await client.deleteBucketCORS("local-bucket");
    const missing = await rejectionOf(client.getBucketCORS("local-bucket"));
    expect(missing.code).toBe("NoSuchCORSConfiguration");
    expect(missing.message).toContain("The CORS Configuration does not exist.");
  });

  it("answers 403 to every preflight without rules when started with cors: false, as the service does", async () => {
    const strict = await startOssEmulator({ cors: false });
    try {
      const response = await fetch(objectUrl(strict, "x.txt"), {
        method: "OPTIONS",
        headers: { Origin: "http://app.local", "Access-Control-Request-Method": "GET" },
      });
      expect(response.status).toBe(403);
    } finally {
      await strict.stop();
    }
  });

  it("adds Access-Control-Allow-Origin to actual cross-origin requests", async () => {
    const headers = signV1(emulator, { method: "GET", bucket: emulator.bucket, key: "missing.txt" });
    const response = await fetch(objectUrl(emulator, "missing.txt"), { headers: { ...headers, Origin: "http://app.local" } });
    expect(response.headers.get("access-control-allow-origin")).toBe("http://app.local");
  });
});
