// The S3 dialect's authentication, as Amazon S3 documents it: SigV4 in the Authorization header and in presigned
// URLs, driven by the official client and its presigner, and S3's 400/403 error documents for everything else.
import { GetObjectCommand, HeadObjectCommand, PutObjectCommand } from "@aws-sdk/client-s3";
import { getSignedUrl } from "@aws-sdk/s3-request-presigner";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startOssEmulator, type OssEmulator } from "../../emulator/index.ts";
import { rawS3, rejectionOf, s3ClientFor, xmlText } from "./helpers.ts";

let emulator: OssEmulator;

beforeAll(async () => {
  emulator = await startOssEmulator({
    stsTokens: [{ accessKeyId: "STS.temporary-key", accessKeySecret: "temporary-secret", securityToken: "token-of-the-temporary-key" }],
  });
  await s3ClientFor(emulator).send(new PutObjectCommand({ Bucket: emulator.bucket, Key: "auth/readme.txt", Body: "hello, S3" }));
});
afterAll(async () => {
  await emulator?.stop();
});

describe("SigV4 in the Authorization header", () => {
  it("names the bucket in the Host header when the client addresses it virtual-host style", async () => {
    const client = s3ClientFor(emulator, "virtual-host");
    const hosts: string[] = [];
    client.middlewareStack.add(
      (next) => async (args) => {
        hosts.push((args.request as { hostname: string }).hostname);
        return next(args);
      },
      { step: "finalizeRequest" },
    );
    const got = await client.send(new GetObjectCommand({ Bucket: emulator.bucket, Key: "auth/readme.txt" }));
    expect(await got.Body!.transformToString()).toBe("hello, S3");
    expect(hosts).toEqual([`${emulator.bucket}.localhost`]);
  });

  it("reads the bucket from an S3-style virtual host name, and takes s3.amazonaws.com itself as path style", async () => {
    const virtual = await rawS3(emulator, { method: "GET", path: "/auth/readme.txt", headers: { host: `${emulator.bucket}.s3.us-east-1.amazonaws.com` } });
    expect(virtual.status).toBe(200);
    expect(virtual.body).toBe("hello, S3");
    const pathStyle = await rawS3(emulator, { method: "GET", path: `/${emulator.bucket}/auth/readme.txt`, headers: { host: "s3.amazonaws.com" } });
    expect(pathStyle.body).toBe("hello, S3");
  });

  it("accepts a request signed for any region (the signature proves which one)", async () => {
    const client = s3ClientFor(emulator, "path", { region: "eu-central-1" });
    const head = await client.send(new HeadObjectCommand({ Bucket: emulator.bucket, Key: "auth/readme.txt" }));
    expect(head.ContentLength).toBe(9);
  });

  it("answers 403 SignatureDoesNotMatch when the secret is wrong", async () => {
    const client = s3ClientFor({ ...emulator, accessKeySecret: "not-the-secret" });
    const error = await rejectionOf(client.send(new GetObjectCommand({ Bucket: emulator.bucket, Key: "auth/readme.txt" })));
    expect(error.name).toBe("SignatureDoesNotMatch");
    expect(error.$metadata?.httpStatusCode).toBe(403);
  });

  it("writes S3's error document, with the string it signed and never the secret", async () => {
    const response = await rawS3(emulator, { method: "GET", path: `/${emulator.bucket}/auth/readme.txt`, secret: "not-the-secret" });
    expect(response.status).toBe(403);
    expect(xmlText(response.body, "Code")).toBe("SignatureDoesNotMatch");
    expect(xmlText(response.body, "AWSAccessKeyId")).toBe(emulator.accessKeyId);
    expect(xmlText(response.body, "StringToSign")).toMatch(/^AWS4-HMAC-SHA256\n\d{8}T\d{6}Z\n\d{8}\/us-east-1\/s3\/aws4_request\n[0-9a-f]{64}$/);
    expect(xmlText(response.body, "RequestId")).toBe(response.headers["x-amz-request-id"]);
    expect(response.body).not.toContain(emulator.accessKeySecret);
    expect(response.headers["content-type"]).toBe("application/xml");
  });

  it("answers 403 InvalidAccessKeyId for a key it does not know", async () => {
    const client = s3ClientFor({ ...emulator, accessKeyId: "AKIA-NOBODY" });
    const error = await rejectionOf(client.send(new GetObjectCommand({ Bucket: emulator.bucket, Key: "auth/readme.txt" })));
    expect(error.name).toBe("InvalidAccessKeyId");
    expect(error.$metadata?.httpStatusCode).toBe(403);
  });

  it("answers 403 RequestTimeTooSkewed for a request dated 20 minutes off, either way", async () => {
    for (const offset of [-20 * 60_000, 20 * 60_000]) {
      const client = s3ClientFor(emulator, "path", { systemClockOffset: offset });
      const error = await rejectionOf(client.send(new GetObjectCommand({ Bucket: emulator.bucket, Key: "auth/readme.txt" })));
      expect(error.name).toBe("RequestTimeTooSkewed");
      expect(error.$metadata?.httpStatusCode).toBe(403);
    }
    // Within the 15 minutes S3 allows, the same request goes through.
    const client = s3ClientFor(emulator, "path", { systemClockOffset: -10 * 60_000 });
    expect((await client.send(new HeadObjectCommand({ Bucket: emulator.bucket, Key: "auth/readme.txt" }))).ContentLength).toBe(9);
  });

  it("answers 403 SignatureDoesNotMatch when a signed header, the path or the query changed after signing", async () => {
    const path = `/${emulator.bucket}/auth/readme.txt`;
    const base = { method: "GET", path, headers: { "x-amz-meta-note": "signed" } };
    expect((await rawS3(emulator, base)).status).toBe(200);
    const header = await rawS3(emulator, { ...base, after: (h) => (h["x-amz-meta-note"] = "changed") });
    expect(header.status).toBe(403);
    expect(xmlText(header.body, "Code")).toBe("SignatureDoesNotMatch");
    const range = await rawS3(emulator, { ...base, headers: { ...base.headers, range: "bytes=0-1" }, after: (h) => (h.range = "bytes=0-5") });
    expect(xmlText(range.body, "Code")).toBe("SignatureDoesNotMatch");
    const renamed = await rawS3(emulator, { ...base, after: (h) => (h.authorization = h.authorization!.replace("/us-east-1/", "/us-west-2/")) });
    expect(xmlText(renamed.body, "Code")).toBe("SignatureDoesNotMatch");
  });

  it("refuses x-amz-* headers that were not signed", async () => {
    const response = await rawS3(emulator, {
      method: "GET",
      path: `/${emulator.bucket}/auth/readme.txt`,
      after: (h) => (h["x-amz-meta-smuggled"] = "yes"),
    });
    expect(response.status).toBe(403);
    expect(xmlText(response.body, "Code")).toBe("AccessDenied");
    expect(xmlText(response.body, "HeadersNotSigned")).toBe("x-amz-meta-smuggled");
  });

  it("answers 400 XAmzContentSHA256Mismatch, and stores nothing, when the body is not the one signed", async () => {
    const response = await rawS3(emulator, {
      method: "PUT",
      path: `/${emulator.bucket}/auth/swapped.txt`,
      headers: { "content-type": "text/plain" },
      body: "the signed body",
      sendBody: "another body!!!",
    });
    expect(response.status).toBe(400);
    expect(xmlText(response.body, "Code")).toBe("XAmzContentSHA256Mismatch");
    const error = await rejectionOf(s3ClientFor(emulator).send(new HeadObjectCommand({ Bucket: emulator.bucket, Key: "auth/swapped.txt" })));
    expect(error.$metadata?.httpStatusCode).toBe(404);
  });

  it("requires x-amz-content-sha256 in a header-signed request", async () => {
    const response = await rawS3(emulator, {
      method: "GET",
      path: `/${emulator.bucket}/auth/readme.txt`,
      after: (h) => {
        delete h["x-amz-content-sha256"];
        h.authorization = h.authorization!.replace("x-amz-content-sha256;", "");
      },
    });
    expect(response.status).toBe(400);
    expect(xmlText(response.body, "Code")).toBe("InvalidRequest");
  });

  it("answers 403 AccessDenied to an anonymous S3 request on a private bucket", async () => {
    const response = await rawS3(emulator, {
      method: "GET",
      path: `/${emulator.bucket}/auth/readme.txt`,
      headers: { "x-amz-content-sha256": "UNSIGNED-PAYLOAD" },
      sign: false,
    });
    expect(response.status).toBe(403);
    expect(xmlText(response.body, "Code")).toBe("AccessDenied");
  });

  it("takes temporary keys only with their session token", async () => {
    const temporary = { ...emulator, accessKeyId: "STS.temporary-key", accessKeySecret: "temporary-secret" };
    const withToken = s3ClientFor(temporary, "path", {
      credentials: { accessKeyId: "STS.temporary-key", secretAccessKey: "temporary-secret", sessionToken: "token-of-the-temporary-key" },
    });
    expect((await withToken.send(new HeadObjectCommand({ Bucket: emulator.bucket, Key: "auth/readme.txt" }))).ContentLength).toBe(9);
    const wrongToken = s3ClientFor(temporary, "path", {
      credentials: { accessKeyId: "STS.temporary-key", secretAccessKey: "temporary-secret", sessionToken: "another-token" },
    });
    const error = await rejectionOf(wrongToken.send(new GetObjectCommand({ Bucket: emulator.bucket, Key: "auth/readme.txt" })));
    expect(error.name).toBe("InvalidToken");
    const noToken = await rejectionOf(s3ClientFor(temporary).send(new GetObjectCommand({ Bucket: emulator.bucket, Key: "auth/readme.txt" })));
    expect(noToken.name).toBe("InvalidAccessKeyId");
  });
});

describe("presigned URLs", () => {
  it("serves a presigned GET to plain fetch, with the Content-Type the URL names", async () => {
    const url = await getSignedUrl(
      s3ClientFor(emulator),
      new GetObjectCommand({ Bucket: emulator.bucket, Key: "auth/readme.txt", ResponseContentType: "text/markdown; charset=utf-8" }),
      { expiresIn: 300 },
    );
    expect(new URL(url).searchParams.get("X-Amz-Algorithm")).toBe("AWS4-HMAC-SHA256");
    const response = await fetch(url);
    expect(response.status).toBe(200);
    expect(response.headers.get("content-type")).toBe("text/markdown; charset=utf-8");
    expect(await response.text()).toBe("hello, S3");
  });

  it("answers a browser's presigned GET with CORS headers, so that the page can read it", async () => {
    const url = await getSignedUrl(s3ClientFor(emulator), new GetObjectCommand({ Bucket: emulator.bucket, Key: "auth/readme.txt" }), { expiresIn: 300 });
    const response = await fetch(url, { headers: { origin: "http://app.example" } });
    expect(response.status).toBe(200);
    expect(response.headers.get("access-control-allow-origin")).toBe("http://app.example");
  });

  it("takes a presigned PUT with the Content-Type it was signed for, and refuses another", async () => {
    const client = s3ClientFor(emulator);
    // The presigner signs only `host` unless told otherwise; binding the Content-Type is the caller's choice.
    const url = await getSignedUrl(client, new PutObjectCommand({ Bucket: emulator.bucket, Key: "auth/uploaded.txt", ContentType: "text/plain" }), {
      expiresIn: 300,
      signableHeaders: new Set(["content-type"]),
    });
    expect(new URL(url).searchParams.get("X-Amz-SignedHeaders")).toBe("content-type;host");
    // The SDK also signs the CRC32 of the empty body it had into the URL; S3's user guide says presigned uploads do
    // not support those checksums, so, as there, it does not stop the real body.
    expect(new URL(url).searchParams.get("x-amz-checksum-crc32")).toBe("AAAAAA==");
    const refused = await fetch(url, { method: "PUT", body: "uploaded", headers: { "content-type": "image/png" } });
    expect(refused.status).toBe(403);
    expect(xmlText(await refused.text(), "Code")).toBe("SignatureDoesNotMatch");
    const accepted = await fetch(url, { method: "PUT", body: "uploaded", headers: { "content-type": "text/plain" } });
    expect(accepted.status).toBe(200);
    const head = await client.send(new HeadObjectCommand({ Bucket: emulator.bucket, Key: "auth/uploaded.txt" }));
    expect(head.ContentType).toBe("text/plain");
    expect(head.ContentLength).toBe(8);
  });

  it("refuses an expired presigned URL with 403 AccessDenied", async () => {
    const url = await getSignedUrl(s3ClientFor(emulator), new GetObjectCommand({ Bucket: emulator.bucket, Key: "auth/readme.txt" }), {
      expiresIn: 60,
      signingDate: new Date(Date.now() - 3600_000),
    });
    const response = await fetch(url);
    expect(response.status).toBe(403);
    const body = await response.text();
    expect(xmlText(body, "Code")).toBe("AccessDenied");
    expect(xmlText(body, "Message")).toBe("Request has expired");
  });

  it("refuses a presigned URL signed with a wrong secret, or whose key or expiry was changed", async () => {
    const wrong = await getSignedUrl(
      s3ClientFor({ ...emulator, accessKeySecret: "not-the-secret" }),
      new GetObjectCommand({ Bucket: emulator.bucket, Key: "auth/readme.txt" }),
      { expiresIn: 300 },
    );
    expect((await fetch(wrong)).status).toBe(403);
    const good = await getSignedUrl(s3ClientFor(emulator), new GetObjectCommand({ Bucket: emulator.bucket, Key: "auth/readme.txt" }), {
      expiresIn: 300,
    });
    const otherKey = good.replace("/auth/readme.txt", "/auth/uploaded.txt");
    const otherKeyResponse = await fetch(otherKey);
    expect(otherKeyResponse.status).toBe(403);
    expect(xmlText(await otherKeyResponse.text(), "Code")).toBe("SignatureDoesNotMatch");
    const longer = new URL(good);
    longer.searchParams.set("X-Amz-Expires", "3600");
    expect((await fetch(longer)).status).toBe(403);
    const tooLong = new URL(good);
    tooLong.searchParams.set("X-Amz-Expires", "604801");
    const tooLongResponse = await fetch(tooLong);
    expect(tooLongResponse.status).toBe(400);
    expect(xmlText(await tooLongResponse.text(), "Code")).toBe("AuthorizationQueryParametersError");
  });
});
