// Malformed and abandoned S3 requests: each gets S3's error document (or a closed connection), never a crash,
// and the server goes on answering.
import net from "node:net";
import { GetObjectCommand, HeadObjectCommand, PutObjectCommand } from "@aws-sdk/client-s3";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startOssEmulator, type OssEmulator } from "../../emulator/index.ts";
import { patterned, rawS3, rejectionOf, s3ClientFor, signerFor, xmlText } from "./helpers.ts";

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
    ["a Signature V2 header, which S3 retired", { authorization: "AWS LTAI-local-dev-key:c2lnbmF0dXJl", date: new Date().toUTCString() }, 400, "InvalidRequest"],
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

describe("injected faults", () => {
  it("answers S3's 503 SlowDown and 500 InternalError when the emulator is told to fail", async () => {
    const client = s3ClientFor(emulator);
    try {
      emulator.setFaults({ status: { count: 1, code: 503, operations: ["GetObject"] } });
      const slow = await rejectionOf(client.send(new GetObjectCommand({ Bucket: emulator.bucket, Key: "still-here.txt" })));
      expect(slow.name).toBe("SlowDown");
      expect(slow.$metadata?.httpStatusCode).toBe(503);
      emulator.setFaults({ status: { count: 1, code: 500, operations: ["PutObject"] } });
      const internal = await rejectionOf(client.send(new PutObjectCommand({ Bucket: emulator.bucket, Key: "faulty.txt", Body: "x" })));
      expect(internal.name).toBe("InternalError");
      expect(emulator.faultStats().status).toBe(1);
      // The count is spent: the next request goes through.
      await client.send(new PutObjectCommand({ Bucket: emulator.bucket, Key: "faulty.txt", Body: "x" }));
    } finally {
      emulator.setFaults({});
    }
  });

  it("resets the connection when told to, and answers the next request", async () => {
    const client = s3ClientFor(emulator);
    try {
      emulator.setFaults({ reset: { count: 1, operations: ["HeadObject"] } });
      const reset = await rejectionOf(client.send(new HeadObjectCommand({ Bucket: emulator.bucket, Key: "still-here.txt" })));
      expect(reset.$metadata?.httpStatusCode).toBeUndefined();
      expect(emulator.faultStats().reset).toBe(1);
    } finally {
      emulator.setFaults({});
    }
    await stillAnswers();
  });

  it("carries a request out at once and holds its answer (heldAnswer), even for a client that left meanwhile", async () => {
    const client = s3ClientFor(emulator);
    const put = (Key: string, signal?: AbortSignal) => client.send(new PutObjectCommand({ Bucket: emulator.bucket, Key, Body: "held" }), { abortSignal: signal });
    try {
      emulator.setFaults({ heldAnswer: { ms: 400, operations: ["PutObject"] } });
      const answered = await put("held/answered.txt");
      expect(answered.ETag).toBeDefined();
      // A client that gives up during the hold gets no answer, but the object is stored all the same.
      const left = await rejectionOf(put("held/left.txt", AbortSignal.timeout(150)));
      expect(left.name).toMatch(/Abort|Timeout/);
      emulator.setFaults({ heldAnswer: { ms: 50, lost: true, operations: ["PutObject"] } });
      // With `lost`, the connection is reset instead of answered, after the work is done.
      const lost = await rejectionOf(put("held/lost.txt"));
      expect(lost.$metadata?.httpStatusCode).toBeUndefined();
    } finally {
      emulator.setFaults({});
    }
    for (const Key of ["held/answered.txt", "held/left.txt", "held/lost.txt"]) {
      expect((await client.send(new HeadObjectCommand({ Bucket: emulator.bucket, Key }))).ContentLength).toBe(4);
    }
  });
});
