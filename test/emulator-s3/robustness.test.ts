// Malformed and abandoned S3 requests: each gets S3's error document (or a closed connection), never a crash,
// and the server goes on answering.
import net from "node:net";
import { HeadObjectCommand, PutObjectCommand } from "@aws-sdk/client-s3";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startOssEmulator, type OssEmulator } from "../../emulator/index.ts";
import { patterned, rawS3, s3ClientFor, signerFor, xmlText } from "./helpers.ts";

let emulator: OssEmulator;

beforeAll(async () => {
  emulator = await startOssEmulator();
  await s3ClientFor(emulator).send(new PutObjectCommand({ Bucket: emulator.bucket, Key: "still-here.txt", Body: "alive" }));
});
afterAll(async () => {
  await emulator?.stop();
});

async function stillAnswers(): Promise<void> {
  const head = await s3ClientFor(emulator).send(new HeadObjectCommand({ Bucket: emulator.bucket, Key: "still-here.txt" }));
  expect(head.ContentLength).toBe(5);
}

describe("malformed S3 requests", () => {
  it.each([
    ["an Authorization header without its fields", { authorization: "AWS4-HMAC-SHA256 garbage" }, 400, "AuthorizationHeaderMalformed"],
    [
      "a credential for another service",
      { authorization: "AWS4-HMAC-SHA256 Credential=LTAI-local-dev-key/20260101/us-east-1/sqs/aws4_request, SignedHeaders=host, Signature=00", "x-amz-date": "20260101T000000Z", "x-amz-content-sha256": "UNSIGNED-PAYLOAD" },
      400,
      "AuthorizationHeaderMalformed",
    ],
    [
      "a request without a date",
      { authorization: "AWS4-HMAC-SHA256 Credential=LTAI-local-dev-key/20260101/us-east-1/s3/aws4_request, SignedHeaders=host, Signature=00" },
      403,
      "AccessDenied",
    ],
  ])("answers %s with S3's error", async (_what, headers, status, code) => {
    const response = await rawS3(emulator, { method: "GET", path: `/${emulator.bucket}/still-here.txt`, headers, sign: false });
    expect(response.status).toBe(status);
    expect(xmlText(response.body, "Code")).toBe(code);
    await stillAnswers();
  });

  it("answers a presigned URL missing its parameters with 400 AuthorizationQueryParametersError", async () => {
    const response = await fetch(`${emulator.endpoint}/${emulator.bucket}/still-here.txt?X-Amz-Algorithm=AWS4-HMAC-SHA256&X-Amz-Date=20260101T000000Z`);
    expect(response.status).toBe(400);
    expect(xmlText(await response.text(), "Code")).toBe("AuthorizationQueryParametersError");
  });

  it("answers a path that does not decode with 400", async () => {
    const response = await rawS3(emulator, { method: "GET", path: `/${emulator.bucket}/bad%zzpath` });
    expect(response.status).toBe(400);
    await stillAnswers();
  });

  it("answers a PUT without a length with 411 MissingContentLength", async () => {
    const response = await rawS3(emulator, {
      method: "PUT",
      path: `/${emulator.bucket}/no-length.txt`,
      headers: { "x-amz-content-sha256": "UNSIGNED-PAYLOAD", "transfer-encoding": "chunked" },
      body: "some bytes",
    });
    expect(response.status).toBe(411);
    expect(xmlText(response.body, "Code")).toBe("MissingContentLength");
  });

  it("closes the connection of a client that stops in the middle of a body, and keeps no object", async () => {
    const signed = await signerFor(emulator).sign({
      method: "PUT",
      protocol: "http:",
      hostname: "localhost",
      port: emulator.port,
      path: `/${emulator.bucket}/half.bin`,
      query: {},
      headers: { host: `localhost:${emulator.port}`, "x-amz-content-sha256": "UNSIGNED-PAYLOAD", "content-length": "1000000" },
    });
    const signedHeaders = Object.entries(signed.headers).map(([k, v]) => `${k}: ${v}\r\n`).join("");
    await new Promise<void>((resolve) => {
      const socket = net.connect(emulator.port, "127.0.0.1", () => {
        socket.write(`PUT /${emulator.bucket}/half.bin HTTP/1.1\r\n${signedHeaders}\r\n`);
        socket.write(patterned(300_000), () => socket.destroy());
      });
      socket.on("close", () => resolve());
      socket.on("error", () => resolve());
    });
    const head = s3ClientFor(emulator).send(new HeadObjectCommand({ Bucket: emulator.bucket, Key: "half.bin" }));
    await expect(head).rejects.toMatchObject({ $metadata: { httpStatusCode: 404 } });
    await stillAnswers();
  });
});
