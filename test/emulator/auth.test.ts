// Addressing and authentication, as the service does them: every addressing style and signature version the
// official client uses, presigned URLs fetched with plain fetch, and the service's 403s for everything else.
import { createHmac } from "node:crypto";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startOssEmulator, DEFAULT_ACCESS_KEY_ID, DEFAULT_ACCESS_KEY_SECRET, type OssEmulator } from "../../emulator/index.ts";
import {
  clientFor,
  objectUrl,
  presignV2,
  rawRequest,
  rejectionOf,
  signV1,
  signV2,
  xmlText,
  xmlTexts,
  type Addressing,
  type Client,
  type ClientOptions,
} from "./helpers.ts";

let emulator: OssEmulator;

beforeAll(async () => {
  emulator = await startOssEmulator({
    stsTokens: [
      { accessKeyId: "STS.temporary-key", accessKeySecret: "temporary-secret", securityToken: "token-of-the-temporary-key" },
      { accessKeyId: "STS.expired-key", accessKeySecret: "expired-secret", securityToken: "old-token", expiration: new Date(Date.now() - 1000) },
      "token-for-the-main-key",
    ],
  });
});
afterAll(async () => {
  await emulator?.stop();
});

describe("startOssEmulator", () => {
  it("starts with the documented development keys and a localhost endpoint", () => {
    expect(emulator.accessKeyId).toBe(DEFAULT_ACCESS_KEY_ID);
    expect(emulator.accessKeySecret).toBe(DEFAULT_ACCESS_KEY_SECRET);
    expect(emulator.bucket).toBe("local-bucket");
    expect(emulator.region).toBe("cn-hangzhou");
    expect(emulator.endpoint).toMatch(/^http:\/\/localhost:\d+$/);
  });

  it("answers on both 127.0.0.1 and ::1, however localhost resolves", async () => {
    for (const host of ["127.0.0.1", "[::1]"]) {
      const response = await fetch(`http://${host}:${emulator.port}/${emulator.bucket}/nothing-here`);
      expect(response.status).toBe(403);
      expect(response.headers.get("x-oss-request-id")).toMatch(/^[0-9A-F]{24}$/);
    }
  });
});

describe("addressing and signing with the official client", () => {
  const modes: Array<[Addressing, "v1" | "v4"]> = [];
  for (const addressing of ["path", "ip", "virtual-host", "cname"] as const) {
    for (const signing of ["v1", "v4"] as const) modes.push([addressing, signing]);
  }

  it.each(modes)("puts, reads, lists and deletes an object addressed %s style, signed %s", async (addressing, signing) => {
    const client = clientFor(emulator, addressing, signing);
    // Spaces, `+`, `%` and non-ASCII: everything the client must escape and the server decode. (The client's
    // URL handling folds `..` segments away before sending, so those are tested with raw requests.)
    const key = `modes/${addressing}-${signing}/a b+c%25 ü/ü.txt`;
    const put = await client.put(key, Buffer.from(`body of ${addressing} ${signing}`), { meta: { mode: addressing } });
    expect(put.res.status).toBe(200);
    const got = await client.get(key);
    expect(got.content.toString()).toBe(`body of ${addressing} ${signing}`);
    const head = await client.head(key);
    expect(head.meta).toEqual({ mode: addressing });
    const listed = await client.list({ prefix: `modes/${addressing}-${signing}/`, "max-keys": 10 }, {});
    expect(listed.objects.map((o) => o.name)).toEqual([key]);
    const deleted = await client.delete(key);
    expect(deleted.res.status).toBe(204);
    expect((await rejectionOf(client.head(key))).status).toBe(404);
  });

  it.each(["v1", "v4"] as const)("accepts non-ASCII metadata from a client sending headers as latin1 (headerEncoding), signed %s", async (signing) => {
    const client = clientFor(emulator, "path", signing, { headerEncoding: "latin1" } as Partial<ClientOptions>);
    const key = `modes/latin1-${signing}.txt`;
    const put = await client.put(key, Buffer.from("x"), { meta: { who: "Zoë 张" } });
    expect(put.res.status).toBe(200);
    // The bytes come back as they were sent: the UTF-8 of the value, read by the client as latin1.
    const head = await client.head(key);
    expect(Buffer.from(head.res.headers["x-oss-meta-who"]!, "latin1").toString("utf8")).toBe("Zoë 张");
  });

  it.each(["v1", "v4"] as const)("takes a secret longer than a hash block (64 bytes) and refuses it cut short, signed %s", async (signing) => {
    const secret = "a-secret-of-more-than-sixty-four-bytes-so-that-HMAC-hashes-the-key-first-0123456789";
    const server = await startOssEmulator({ accessKeySecret: secret });
    try {
      const client = clientFor(server, "path", signing);
      expect((await client.put("long-secret.txt", Buffer.from("x"))).res.status).toBe(200);
      const cut = clientFor({ ...server, accessKeySecret: secret.slice(0, 64) }, "path", signing);
      expect(await rejectionOf(cut.get("long-secret.txt"))).toMatchObject({ status: 403, code: "SignatureDoesNotMatch" });
    } finally {
      await server.stop();
    }
  });

  it("lists buckets on the service endpoint in path style, V1 and V4", async () => {
    for (const signing of ["v1", "v4"] as const) {
      const result = await clientFor(emulator, "path", signing).listBuckets({});
      expect(result.buckets?.map((b) => b.name)).toContain("local-bucket");
    }
  });

  it("addresses the default bucket in cname style even when its first path segment names another bucket", async () => {
    await clientFor(emulator, "path").putBucket("second-bucket");
    const cname = clientFor(emulator, "cname");
    await cname.put("second-bucket/inside-default.txt", Buffer.from("in the default bucket"));
    const path = clientFor(emulator, "path");
    expect((await path.get("second-bucket/inside-default.txt")).content.toString()).toBe("in the default bucket");
    expect((await rejectionOf(path.useBucket("second-bucket").get("inside-default.txt"))).code).toBe("NoSuchKey");
  });
});

describe("presigned URLs", () => {
  it("serves a V1 presigned GET (signatureUrl) to plain fetch", async () => {
    const client = clientFor(emulator);
    await client.put("presigned/v1 get ü.txt", Buffer.from("presigned v1"));
    const url = client.signatureUrl("presigned/v1 get ü.txt", { expires: 60 });
    const response = await fetch(url);
    expect(response.status).toBe(200);
    expect(await response.text()).toBe("presigned v1");
  });

  it("applies the response-* overrides a V1 presigned URL carries", async () => {
    const client = clientFor(emulator);
    await client.put("presigned/download.bin", Buffer.from("x"));
    const url = client.signatureUrl("presigned/download.bin", {
      expires: 60,
      response: { "content-type": "text/plain", "content-disposition": 'attachment; filename="d.txt"' },
    });
    const response = await fetch(url);
    expect(response.status).toBe(200);
    expect(response.headers.get("content-type")).toBe("text/plain");
    expect(response.headers.get("content-disposition")).toBe('attachment; filename="d.txt"');
  });

  it("accepts a V1 presigned PUT with the signed Content-Type", async () => {
    const client = clientFor(emulator);
    const url = client.signatureUrl("presigned/v1 put.txt", { method: "PUT", expires: 60, "Content-Type": "text/plain" });
    const response = await fetch(url, { method: "PUT", body: "uploaded by url", headers: { "Content-Type": "text/plain" } });
    expect(response.status).toBe(200);
    const got = await client.get("presigned/v1 put.txt");
    expect(got.content.toString()).toBe("uploaded by url");
    expect(got.res.headers["content-type"]).toBe("text/plain");
  });

  it("answers 403 SignatureDoesNotMatch to a V1 presigned PUT sent with another Content-Type", async () => {
    const url = clientFor(emulator).signatureUrl("presigned/wrong type.txt", { method: "PUT", expires: 60, "Content-Type": "text/plain" });
    const response = await fetch(url, { method: "PUT", body: "x", headers: { "Content-Type": "application/json" } });
    expect(response.status).toBe(403);
    expect(xmlText(await response.text(), "Code")).toBe("SignatureDoesNotMatch");
  });

  it("answers 403 AccessDenied 'Request has expired.' to an expired V1 URL", async () => {
    const client = clientFor(emulator);
    await client.put("presigned/expired.txt", Buffer.from("x"));
    const url = new URL(client.signatureUrl("presigned/expired.txt", { expires: 60 }));
    // Re-sign with an Expires in the past, so that only the expiry is wrong.
    const expired = new URL(signedUrlWithExpires(client, "presigned/expired.txt", Math.floor(Date.now() / 1000) - 10));
    const response = await fetch(expired);
    expect(response.status).toBe(403);
    const body = await response.text();
    expect(xmlText(body, "Code")).toBe("AccessDenied");
    expect(xmlText(body, "Message")).toBe("Request has expired.");
    expect((await fetch(url)).status).toBe(200);
  });

  it("answers 403 SignatureDoesNotMatch to a tampered V1 URL", async () => {
    const client = clientFor(emulator);
    await client.put("presigned/a.txt", Buffer.from("a"));
    await client.put("presigned/b.txt", Buffer.from("b"));
    const url = client.signatureUrl("presigned/a.txt", { expires: 60 }).replace("presigned/a.txt", "presigned/b.txt");
    const response = await fetch(url);
    expect(response.status).toBe(403);
    expect(xmlText(await response.text(), "Code")).toBe("SignatureDoesNotMatch");
  });

  it("serves a V4 presigned GET (signatureUrlV4) to plain fetch", async () => {
    const client = clientFor(emulator, "path", "v4");
    await client.put("presigned/v4 get ü.txt", Buffer.from("presigned v4"));
    const url = await client.signatureUrlV4("GET", 60, undefined, "presigned/v4 get ü.txt");
    const response = await fetch(url);
    expect(response.status).toBe(200);
    expect(await response.text()).toBe("presigned v4");
  });

  it("accepts a V4 presigned PUT with its signed headers and refuses one whose Content-Type differs", async () => {
    const client = clientFor(emulator, "path", "v4");
    const url = await client.signatureUrlV4("PUT", 60, { headers: { "Content-Type": "text/plain" } }, "presigned/v4 put.txt");
    const wrong = await fetch(url, { method: "PUT", body: "x", headers: { "Content-Type": "text/html" } });
    expect(wrong.status).toBe(403);
    expect(xmlText(await wrong.text(), "Code")).toBe("SignatureDoesNotMatch");
    const right = await fetch(url, { method: "PUT", body: "uploaded by v4 url", headers: { "Content-Type": "text/plain" } });
    expect(right.status).toBe(200);
    expect((await client.get("presigned/v4 put.txt")).content.toString()).toBe("uploaded by v4 url");
  });

  it("answers 403 AccessDenied 'Request has expired.' to an expired V4 URL, and SignatureDoesNotMatch when tampered", async () => {
    const client = clientFor(emulator, "path", "v4");
    await client.put("presigned/v4 expired.txt", Buffer.from("x"));
    const url = new URL(await client.signatureUrlV4("GET", 1, undefined, "presigned/v4 expired.txt"));
    const date = url.searchParams.get("x-oss-date")!;
    // Move the signing time back 10 s: the URL's own claim is then that it expired 9 s ago.
    const earlier = new Date(Date.UTC(+date.slice(0, 4), +date.slice(4, 6) - 1, +date.slice(6, 8), +date.slice(9, 11), +date.slice(11, 13), +date.slice(13, 15)) - 10_000);
    url.searchParams.set("x-oss-date", earlier.toISOString().replace(/[-:]/g, "").replace(/\.\d{3}/, ""));
    url.searchParams.set("x-oss-credential", url.searchParams.get("x-oss-credential")!.replace(/\/\d{8}\//, `/${url.searchParams.get("x-oss-date")!.slice(0, 8)}/`));
    const expired = await fetch(url);
    expect(expired.status).toBe(403);
    expect(xmlText(await expired.text(), "Message")).toBe("Request has expired.");

    const fresh = new URL(await client.signatureUrlV4("GET", 60, undefined, "presigned/v4 expired.txt"));
    fresh.searchParams.set("x-oss-expires", "3600");
    const tampered = await fetch(fresh);
    expect(tampered.status).toBe(403);
    expect(xmlText(await tampered.text(), "Code")).toBe("SignatureDoesNotMatch");
  });
});

describe("signature V2 (OSS2)", () => {
  it("accepts requests signed V2 in the Authorization header, with additional headers and sub-resources", async () => {
    const key = "v2/a b+ü.txt";
    const put = await rawRequest(emulator, {
      method: "PUT",
      path: `/${emulator.bucket}/${key.split("/").map(encodeURIComponent).join("/")}`,
      headers: signV2(emulator, { method: "PUT", bucket: emulator.bucket, key, headers: { "Content-Type": "text/plain", "x-oss-meta-v": "2" } }),
      body: "signed v2",
    });
    expect(put.status).toBe(200);
    const range = { Range: "bytes=0-5" };
    const got = await rawRequest(emulator, {
      method: "GET",
      path: `/${emulator.bucket}/${key.split("/").map(encodeURIComponent).join("/")}`,
      headers: signV2(emulator, { method: "GET", bucket: emulator.bucket, key, headers: range, additional: ["range"] }),
    });
    expect(got.status).toBe(206);
    expect(got.body).toBe("signed");
    const listed = await rawRequest(emulator, {
      method: "GET",
      path: `/${emulator.bucket}/?prefix=v2%2F&max-keys=5`,
      headers: signV2(emulator, { method: "GET", bucket: emulator.bucket, query: { prefix: "v2/", "max-keys": "5" } }),
    });
    expect(listed.status).toBe(200);
    expect(xmlTexts(listed.body, "Key")).toEqual([key]);
  });

  it("answers 403 SignatureDoesNotMatch to a V2 signature made with another secret", async () => {
    const answer = await rawRequest(emulator, {
      method: "GET",
      path: `/${emulator.bucket}/`,
      headers: signV2(emulator, { method: "GET", bucket: emulator.bucket, secret: "wrong" }),
    });
    expect(answer.status).toBe(403);
    expect(xmlText(answer.body, "Code")).toBe("SignatureDoesNotMatch");
  });

  it("serves a V2 presigned URL, and refuses it once expired", async () => {
    await clientFor(emulator).put("v2/presigned.txt", Buffer.from("by url"));
    const ok = await fetch(presignV2(emulator, "GET", emulator.bucket, "v2/presigned.txt", 60));
    expect(ok.status).toBe(200);
    expect(await ok.text()).toBe("by url");
    const expired = await fetch(presignV2(emulator, "GET", emulator.bucket, "v2/presigned.txt", -60));
    expect(expired.status).toBe(403);
    expect(xmlText(await expired.text(), "Message")).toBe("Request has expired.");
  });
});

describe("authentication failures", () => {
  it("answers 403 AccessDenied to an anonymous request to a private bucket", async () => {
    await clientFor(emulator).put("private/secret.txt", Buffer.from("secret"));
    const response = await fetch(objectUrl(emulator, "private/secret.txt"));
    expect(response.status).toBe(403);
    const body = await response.text();
    expect(xmlText(body, "Code")).toBe("AccessDenied");
    expect(xmlText(body, "RequestId")).toBe(response.headers.get("x-oss-request-id"));
    expect(xmlText(body, "HostId")).toBe("local-bucket.oss-cn-hangzhou.aliyuncs.com");
  });

  it("answers 403 InvalidAccessKeyId to an unknown access key", async () => {
    const client = clientFor(emulator, "path", "v1", { accessKeyId: "LTAI-nobody" });
    const error = await rejectionOf(client.get("anything.txt"));
    expect(error.status).toBe(403);
    expect(error.code).toBe("InvalidAccessKeyId");
  });

  it("answers 403 SignatureDoesNotMatch to a wrong secret, V1 and V4", async () => {
    for (const signing of ["v1", "v4"] as const) {
      const client = clientFor(emulator, "path", signing, { accessKeySecret: "not-the-secret" });
      const error = await rejectionOf(client.put("wrong-secret.txt", Buffer.from("x")));
      expect(error.status).toBe(403);
      expect(error.code).toBe("SignatureDoesNotMatch");
    }
  });

  it("answers 403 RequestTimeTooSkewed to a request dated more than 15 minutes off, and accepts one 14 minutes off", async () => {
    await clientFor(emulator).put("skew/object.txt", Buffer.from("on time"));
    const skewed = signV1(emulator, { method: "GET", bucket: emulator.bucket, key: "skew/object.txt", date: new Date(Date.now() - 16 * 60_000) });
    const response = await fetch(objectUrl(emulator, "skew/object.txt"), { headers: skewed });
    expect(response.status).toBe(403);
    expect(xmlText(await response.text(), "Code")).toBe("RequestTimeTooSkewed");
    const close = signV1(emulator, { method: "GET", bucket: emulator.bucket, key: "skew/object.txt", date: new Date(Date.now() + 14 * 60_000) });
    const ok = await fetch(objectUrl(emulator, "skew/object.txt"), { headers: close });
    expect(ok.status).toBe(200);
    expect(await ok.text()).toBe("on time");
  });

  it("answers 403 AccessDenied to a signed request without any date", async () => {
    const headers = signV1(emulator, { method: "GET", bucket: emulator.bucket, key: "skew/object.txt" });
    const response = await fetch(objectUrl(emulator, "skew/object.txt"), {
      headers: { authorization: headers.authorization! },
    });
    // fetch adds no Date header: the signature has no date to be checked against.
    expect(response.status).toBe(403);
    expect(xmlText(await response.text(), "Code")).toBe("AccessDenied");
  });

  it("answers 400 InvalidArgument to an Authorization header of an unknown scheme", async () => {
    const response = await fetch(objectUrl(emulator, "x.txt"), { headers: { authorization: "Bearer abc" } });
    expect(response.status).toBe(400);
    expect(xmlText(await response.text(), "Code")).toBe("InvalidArgument");
  });

  it("refuses a V4 signature for another region", async () => {
    const client = clientFor(emulator, "path", "v4", { region: "oss-cn-beijing" });
    const error = await rejectionOf(client.get("anything.txt"));
    expect(error.status).toBe(403);
    expect(error.code).toBe("AccessDenied");
  });
});

describe("STS security tokens", () => {
  it("accepts a temporary key with its token, V1 and V4, in headers and in presigned URLs", async () => {
    for (const signing of ["v1", "v4"] as const) {
      const client = clientFor(emulator, "path", signing, {
        accessKeyId: "STS.temporary-key",
        accessKeySecret: "temporary-secret",
        stsToken: "token-of-the-temporary-key",
        refreshSTSToken: async () => ({ accessKeyId: "STS.temporary-key", accessKeySecret: "temporary-secret", stsToken: "token-of-the-temporary-key" }),
      });
      await client.put(`sts/${signing}.txt`, Buffer.from(signing));
      expect((await client.get(`sts/${signing}.txt`)).content.toString()).toBe(signing);
      const url = signing === "v1" ? client.signatureUrl(`sts/${signing}.txt`) : await client.signatureUrlV4("GET", 60, undefined, `sts/${signing}.txt`);
      expect((await fetch(url)).status).toBe(200);
    }
  });

  it("answers 403 to a temporary key without its token, with a wrong token, or expired", async () => {
    const without = clientFor(emulator, "path", "v1", { accessKeyId: "STS.temporary-key", accessKeySecret: "temporary-secret" });
    expect((await rejectionOf(without.get("sts/v1.txt"))).code).toBe("InvalidAccessKeyId");
    const refresh = async () => ({ accessKeyId: "", accessKeySecret: "", stsToken: "" });
    const wrong = clientFor(emulator, "path", "v1", {
      accessKeyId: "STS.temporary-key",
      accessKeySecret: "temporary-secret",
      stsToken: "another-token",
      refreshSTSToken: refresh,
      refreshSTSTokenInterval: 3_600_000,
    });
    expect((await rejectionOf(wrong.get("sts/v1.txt"))).code).toBe("InvalidSecurityToken");
    const expired = clientFor(emulator, "path", "v1", {
      accessKeyId: "STS.expired-key",
      accessKeySecret: "expired-secret",
      stsToken: "old-token",
      refreshSTSToken: refresh,
      refreshSTSTokenInterval: 3_600_000,
    });
    expect((await rejectionOf(expired.get("sts/v1.txt"))).code).toBe("SecurityTokenExpired");
  });

  it("accepts a configured token sent with the main key, and refuses an unknown one", async () => {
    const refresh = async () => ({ accessKeyId: "", accessKeySecret: "", stsToken: "" });
    const good = clientFor(emulator, "path", "v4", { stsToken: "token-for-the-main-key", refreshSTSToken: refresh, refreshSTSTokenInterval: 3_600_000 });
    await good.put("sts/main.txt", Buffer.from("main"));
    const bad = clientFor(emulator, "path", "v4", { stsToken: "unknown-token", refreshSTSToken: refresh, refreshSTSTokenInterval: 3_600_000 });
    expect((await rejectionOf(bad.get("sts/main.txt"))).code).toBe("InvalidSecurityToken");
  });
});

// A V1 presigned URL with a chosen absolute Expires, signed as the documentation describes.
function signedUrlWithExpires(client: Client, key: string, expires: number): string {
  const original = new URL(client.signatureUrl(key, { expires: 60 }));
  const stringToSign = `GET\n\n\n${expires}\n/${emulator.bucket}/${key}`;
  const signature = createHmac("sha1", emulator.accessKeySecret).update(stringToSign).digest("base64");
  original.searchParams.set("Expires", String(expires));
  original.searchParams.set("Signature", signature);
  return original.toString();
}
