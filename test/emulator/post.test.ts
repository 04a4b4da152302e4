// PostObject, the browser form upload: the policy's conditions and the signature over it decide, as the service
// documents (V1: OSSAccessKeyId + Signature; V4: x-oss-credential, x-oss-date, x-oss-signature). Signatures come
// from ali-oss's own calculatePostSignature and signPostObjectPolicyV4.
import { readdir } from "node:fs/promises";
import net from "node:net";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startOssEmulator, type OssEmulator } from "../../emulator/index.ts";
import { clientFor, patterned, rejectionOf, xmlText, type Client } from "./helpers.ts";

let emulator: OssEmulator;
let client: Client;

beforeAll(async () => {
  emulator = await startOssEmulator({ buckets: ["open-forms"] });
  client = clientFor(emulator);
  await clientFor(emulator).putBucketACL("open-forms", "public-read-write");
});
afterAll(async () => {
  await emulator?.stop();
});

const inAnHour = () => new Date(Date.now() + 3600_000).toISOString();

/** Posts a form of `fields` (in order) and then the file, as a browser does. */
async function postForm(fields: Record<string, string>, file: Buffer, bucket = emulator.bucket): Promise<Response> {
  const form = new FormData();
  for (const [name, value] of Object.entries(fields)) form.append(name, value);
  form.append("file", new Blob([file]), "upload.bin");
  return fetch(`${emulator.endpoint}/${bucket}`, { method: "POST", body: form, redirect: "manual" });
}

function signedV1(policy: object, fields: Record<string, string>): Record<string, string> {
  const { OSSAccessKeyId, Signature, policy: encoded } = client.calculatePostSignature(policy);
  return { ...fields, OSSAccessKeyId, policy: encoded, Signature };
}

describe("PostObject with a V1 policy", () => {
  it("stores the file under the form's key and answers 204 by default", async () => {
    const policy = { expiration: inAnHour(), conditions: [{ bucket: emulator.bucket }, ["starts-with", "$key", "forms/"], ["content-length-range", 1, 1024 * 1024]] };
    const body = patterned(200 * 1024);
    const response = await postForm(signedV1(policy, { key: "forms/${filename}", "x-oss-meta-origin": "browser", "Content-Type": "image/png" }), body);
    expect(response.status).toBe(204);
    const got = await client.get("forms/upload.bin");
    expect(Buffer.compare(got.content, body)).toBe(0);
    expect(got.res.headers["content-type"]).toBe("image/png");
    expect(got.res.headers["x-oss-meta-origin"]).toBe("browser");
    expect(response.headers.get("etag")).toBe(got.res.headers.etag);
  });

  it("answers 201 with a PostResponse document for success_action_status=201", async () => {
    const policy = { expiration: inAnHour(), conditions: [["eq", "$key", "forms/201.txt"]] };
    const response = await postForm(signedV1(policy, { key: "forms/201.txt", success_action_status: "201" }), Buffer.from("created"));
    expect(response.status).toBe(201);
    const text = await response.text();
    expect(xmlText(text, "Key")).toBe("forms/201.txt");
    expect(xmlText(text, "Bucket")).toBe(emulator.bucket);
  });

  it("redirects with bucket, key and etag for success_action_redirect", async () => {
    const policy = { expiration: inAnHour(), conditions: [] };
    const response = await postForm(signedV1(policy, { key: "forms/redirected.txt", success_action_redirect: "http://app.local/done" }), Buffer.from("r"));
    expect(response.status).toBe(303);
    const location = new URL(response.headers.get("location")!);
    expect(location.origin + location.pathname).toBe("http://app.local/done");
    expect(location.searchParams.get("key")).toBe("forms/redirected.txt");
    expect(location.searchParams.get("bucket")).toBe(emulator.bucket);
    expect(location.searchParams.get("etag")).toBe((await client.head("forms/redirected.txt")).res.headers.etag);
  });

  it("answers 403 AccessDenied when a condition fails, and stores nothing", async () => {
    const policy = { expiration: inAnHour(), conditions: [["starts-with", "$key", "user-1/"]] };
    const response = await postForm(signedV1(policy, { key: "user-2/stolen.txt" }), Buffer.from("x"));
    expect(response.status).toBe(403);
    const text = await response.text();
    expect(xmlText(text, "Code")).toBe("AccessDenied");
    expect(xmlText(text, "Message")).toContain("Invalid according to Policy");
    expect((await rejectionOf(client.head("user-2/stolen.txt"))).status).toBe(404);
  });

  it("answers 400 EntityTooLarge for a file over content-length-range, and stores nothing", async () => {
    const policy = { expiration: inAnHour(), conditions: [["content-length-range", 0, 1000]] };
    const response = await postForm(signedV1(policy, { key: "forms/too-big.bin" }), patterned(5000));
    expect(response.status).toBe(400);
    expect(xmlText(await response.text(), "Code")).toBe("EntityTooLarge");
    expect((await rejectionOf(client.head("forms/too-big.bin"))).status).toBe(404);
  });

  it("answers 403 for an expired policy and for a signature made with another secret", async () => {
    const expired = await postForm(signedV1({ expiration: new Date(Date.now() - 1000).toISOString(), conditions: [] }, { key: "forms/late.txt" }), Buffer.from("x"));
    expect(expired.status).toBe(403);
    expect(xmlText(await expired.text(), "Message")).toContain("Policy expired");
    const fields = signedV1({ expiration: inAnHour(), conditions: [] }, { key: "forms/forged.txt" });
    const forged = await postForm({ ...fields, Signature: "AAAAAAAAAAAAAAAAAAAAAAAAAAA=" }, Buffer.from("x"));
    expect(forged.status).toBe(403);
    expect(xmlText(await forged.text(), "Code")).toBe("SignatureDoesNotMatch");
  });
});

describe("PostObject with a V4 policy", () => {
  it("stores the file when x-oss-signature is the V4 signature of the policy", async () => {
    const date = new Date();
    const stamp = date.toISOString().replace(/[-:]/g, "").replace(/\.\d{3}/, "");
    const credential = `${emulator.accessKeyId}/${stamp.slice(0, 8)}/${emulator.region}/oss/aliyun_v4_request`;
    const policy = {
      expiration: inAnHour(),
      conditions: [
        { bucket: emulator.bucket },
        { "x-oss-signature-version": "OSS4-HMAC-SHA256" },
        { "x-oss-credential": credential },
        { "x-oss-date": stamp },
        ["content-length-range", 1, 1000],
      ],
    };
    const encoded = Buffer.from(JSON.stringify(policy)).toString("base64");
    const fields = {
      key: "forms/v4.txt",
      policy: encoded,
      "x-oss-signature-version": "OSS4-HMAC-SHA256",
      "x-oss-credential": credential,
      "x-oss-date": stamp,
      "x-oss-signature": client.signPostObjectPolicyV4(policy, date),
      success_action_status: "200",
    };
    const response = await postForm(fields, Buffer.from("signed v4"));
    expect(response.status).toBe(200);
    expect((await client.get("forms/v4.txt")).content.toString()).toBe("signed v4");
    const tampered = await postForm({ ...fields, key: "forms/v4-tampered.txt", "x-oss-signature": "0".repeat(64) }, Buffer.from("x"));
    expect(tampered.status).toBe(403);
  });
});

describe("PostObject cut off mid-file", () => {
  it("keeps no part of the file, and goes on serving", async () => {
    const dataDir = join(emulator.dataDir, "buckets", "open-forms", "data");
    const files = async () => (await readdir(dataDir, { recursive: true, withFileTypes: true })).filter((e) => e.isFile()).length;
    const before = await files();
    const boundary = "cut-off-boundary";
    const head = `--${boundary}\r\nContent-Disposition: form-data; name="key"\r\n\r\ncut.bin\r\n--${boundary}\r\nContent-Disposition: form-data; name="file"; filename="cut.bin"\r\n\r\n`;
    await new Promise<void>((resolve) => {
      const socket = net.connect(emulator.port, "127.0.0.1", () => {
        socket.write(
          `POST /open-forms HTTP/1.1\r\nHost: 127.0.0.1:${emulator.port}\r\nContent-Type: multipart/form-data; boundary=${boundary}\r\nContent-Length: ${10 * 1024 * 1024}\r\n\r\n${head}`,
        );
        socket.write(patterned(512 * 1024), () => setTimeout(() => socket.destroy(), 100));
      });
      socket.on("error", () => undefined);
      socket.on("close", () => resolve());
    });
    await expect.poll(files, { timeout: 15_000 }).toBe(before);
    expect((await rejectionOf(clientFor(emulator).useBucket("open-forms").head("cut.bin"))).status).toBe(404);
  });
});

describe("PostObject without a signature", () => {
  it("is taken by a public-read-write bucket and refused by a private one", async () => {
    const open = await postForm({ key: "anonymous.txt" }, Buffer.from("anyone"), "open-forms");
    expect(open.status).toBe(204);
    expect((await clientFor(emulator).useBucket("open-forms").get("anonymous.txt")).content.toString()).toBe("anyone");
    const closed = await postForm({ key: "anonymous.txt" }, Buffer.from("anyone"));
    expect(closed.status).toBe(403);
    expect(xmlText(await closed.text(), "Code")).toBe("AccessDenied");
  });
});
