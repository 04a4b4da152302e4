// The S3 dialect obeys the hardening of the OSS side: an XML body past the 2 MiB limit is a clear 4xx, a header
// value a response could not carry back is refused, and a client that leaves never stops the server. Each case
// runs against a real `oss-emulator` process, so that a crash shows as an exit.
import net from "node:net";
import { CreateMultipartUploadCommand, GetObjectCommand, HeadObjectCommand, PutObjectCommand } from "@aws-sdk/client-s3";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { DEFAULT_ACCESS_KEY_ID, DEFAULT_ACCESS_KEY_SECRET, DEFAULT_BUCKET } from "../../emulator/index.ts";
import { startOssEmulatorProcess, type OssEmulatorProcess } from "../../emulator/process.ts";
import { chunkedRequest, clientFor } from "../emulator/helpers.ts";
import { patterned, rawS3, rejectionOf, s3ClientFor, signerFor, xmlText } from "./helpers.ts";

const KEYS = { accessKeyId: DEFAULT_ACCESS_KEY_ID, accessKeySecret: DEFAULT_ACCESS_KEY_SECRET };
const OPEN_BUCKET = "open-bucket";
// Just over the 2 MiB taken in an XML body: what once ended the process on the OSS side.
const HUGE_XML = Buffer.alloc(3_000_000, "<");

function serverOf(process: OssEmulatorProcess) {
  return { endpoint: process.endpoint, port: process.port, ...KEYS };
}

/** Sends `head` and `body` on a raw socket and resolves with what the server answered once it closes or answers. */
function rawExchange(port: number, head: string, body: Buffer | string = ""): Promise<string> {
  return new Promise((resolve) => {
    let answer = "";
    const socket = net.connect(port, "127.0.0.1", () => socket.write(Buffer.concat([Buffer.from(head, "latin1"), Buffer.from(body)])));
    socket.setEncoding("latin1");
    socket.on("data", (text: string) => {
      answer += text;
      // One whole answer (headers and the declared body) is all a test needs.
      const length = /content-length: (\d+)/i.exec(answer);
      const end = answer.indexOf("\r\n\r\n");
      if (end >= 0 && length && answer.length >= end + 4 + Number(length[1])) socket.destroy();
    });
    socket.on("error", () => undefined);
    socket.on("close", () => resolve(answer));
  });
}

/** A request head with `headers` signed by the SDK's signer (values as given, control characters and all). */
async function signedHead(port: number, method: string, path: string, headers: Record<string, string>): Promise<string> {
  const all = { host: `localhost:${port}`, "x-amz-content-sha256": "UNSIGNED-PAYLOAD", ...headers };
  const signed = await signerFor(KEYS).sign({ method, protocol: "http:", hostname: "localhost", port, path, query: {}, headers: all });
  return `${method} ${path} HTTP/1.1\r\n${Object.entries(signed.headers).map(([name, value]) => `${name}: ${value}\r\n`).join("")}\r\n`;
}

describe("the S3 dialect against a server process", () => {
  let server: OssEmulatorProcess;

  beforeAll(async () => {
    server = await startOssEmulatorProcess({ args: ["--bucket", DEFAULT_BUCKET, "--bucket", OPEN_BUCKET] });
    // The S3 dialect has no PutBucketAcl: the bucket is opened from the OSS side, as its owner would.
    await clientFor({ ...serverOf(server), bucket: DEFAULT_BUCKET }).putBucketACL(OPEN_BUCKET, "public-read-write");
    await s3ClientFor(serverOf(server)).send(new PutObjectCommand({ Bucket: DEFAULT_BUCKET, Key: "kept.txt", Body: "still here" }));
  });
  afterAll(async () => {
    await server?.stop();
  });

  async function stillServes(): Promise<void> {
    expect(server.exitCode()).toBeNull();
    const got = await s3ClientFor(serverOf(server)).send(new GetObjectCommand({ Bucket: DEFAULT_BUCKET, Key: "kept.txt" }));
    expect(await got.Body!.transformToString()).toBe("still here");
  }

  describe("XML bodies over the limit", () => {
    it("answers an anonymous 3 MB DeleteObjects with 400 MalformedXML, and keeps serving", async () => {
      const answer = await rawS3(serverOf(server), {
        method: "POST",
        path: `/${OPEN_BUCKET}/`,
        query: { delete: "" },
        headers: { "x-amz-content-sha256": "UNSIGNED-PAYLOAD" },
        body: HUGE_XML,
        sign: false,
      });
      expect(answer.status).toBe(400);
      expect(xmlText(answer.body, "Code")).toBe("MalformedXML");
      await stillServes();
    });

    it("answers the same body sent chunked, with no length to refuse it by, with 400 MalformedXML", async () => {
      const answer = await chunkedRequest(server.port, `/${OPEN_BUCKET}/?delete`, { "x-amz-content-sha256": "UNSIGNED-PAYLOAD" }, HUGE_XML);
      expect(answer.status).toBe(400);
      expect(xmlText(answer.body, "Code")).toBe("MalformedXML");
      await stillServes();
    });

    it("answers the owner's signed 3 MB CompleteMultipartUpload with 400 MalformedXML, and the upload stays", async () => {
      const client = s3ClientFor(serverOf(server));
      const { UploadId } = await client.send(new CreateMultipartUploadCommand({ Bucket: DEFAULT_BUCKET, Key: "huge-complete.bin" }));
      const answer = await rawS3(serverOf(server), {
        method: "POST",
        path: `/${DEFAULT_BUCKET}/huge-complete.bin`,
        query: { uploadId: UploadId! },
        headers: { "x-amz-content-sha256": "UNSIGNED-PAYLOAD" },
        body: HUGE_XML,
      });
      expect(answer.status).toBe(400);
      expect(xmlText(answer.body, "Code")).toBe("MalformedXML");
      const parts = await rawS3(serverOf(server), { method: "GET", path: `/${DEFAULT_BUCKET}/huge-complete.bin`, query: { uploadId: UploadId! } });
      expect(parts.status).toBe(200);
      await stillServes();
    });
  });

  describe("header values a response could not carry", () => {
    it.each([
      ["user metadata", { "x-amz-meta-note": "one\u0001two" }],
      ["Content-Type", { "content-type": "text/plain\u001b[31m" }],
      ["Cache-Control", { "cache-control": "no-cache\u007f" }],
    ])("refuses a PUT whose %s holds a control character with 400 InvalidArgument, and stores nothing", async (_what, headers) => {
      const key = `control-${Object.keys(headers)[0]}.txt`;
      const head = await signedHead(server.port, "PUT", `/${DEFAULT_BUCKET}/${key}`, { ...headers, "content-length": "5" });
      const answer = await rawExchange(server.port, head, "hello");
      expect(answer.startsWith("HTTP/1.1 400")).toBe(true);
      expect(xmlText(answer, "Code")).toBe("InvalidArgument");
      const missing = await rejectionOf(s3ClientFor(serverOf(server)).send(new HeadObjectCommand({ Bucket: DEFAULT_BUCKET, Key: key })));
      expect(missing.$metadata?.httpStatusCode).toBe(404);
      await stillServes();
    });

    it("refuses a GET whose response-content-type would put a line break into the answer's headers", async () => {
      const answer = await rawS3(serverOf(server), {
        method: "GET",
        path: `/${DEFAULT_BUCKET}/kept.txt`,
        query: { "response-content-type": "text/plain\r\nX-Injected: yes" },
      });
      expect(answer.status).toBe(400);
      expect(xmlText(answer.body, "Code")).toBe("InvalidArgument");
      expect(answer.headers["x-injected"]).toBeUndefined();
    });
  });

  describe("a body framed two ways", () => {
    it("answers a PUT that declares a Content-Length beside a chunked body with 411 MissingContentLength", async () => {
      // The server's lenient parser lets both through; the chunks decide the body, so no length was declared.
      const head = await signedHead(server.port, "PUT", `/${DEFAULT_BUCKET}/framed.txt`, { "content-length": "5", "transfer-encoding": "chunked" });
      const answer = await rawExchange(server.port, head, "5\r\nhello\r\n0\r\n\r\n");
      expect(answer.startsWith("HTTP/1.1 411")).toBe(true);
      expect(xmlText(answer, "Code")).toBe("MissingContentLength");
      await stillServes();
    });
  });

  describe("clients that leave", () => {
    it("keeps serving after a client leaves in the middle of a CompleteMultipartUpload document", async () => {
      const client = s3ClientFor(serverOf(server));
      const { UploadId } = await client.send(new CreateMultipartUploadCommand({ Bucket: DEFAULT_BUCKET, Key: "left.bin" }));
      const path = `/${DEFAULT_BUCKET}/left.bin?uploadId=${UploadId}`;
      const signed = await signerFor(serverOf(server)).sign({
        method: "POST",
        protocol: "http:",
        hostname: "localhost",
        port: server.port,
        path: `/${DEFAULT_BUCKET}/left.bin`,
        query: { uploadId: UploadId! },
        headers: { host: `localhost:${server.port}`, "x-amz-content-sha256": "UNSIGNED-PAYLOAD", "content-length": "100000" },
      });
      const head = `POST ${path} HTTP/1.1\r\n${Object.entries(signed.headers).map(([k, v]) => `${k}: ${v}\r\n`).join("")}\r\n`;
      await new Promise<void>((resolve) => {
        const socket = net.connect(server.port, "127.0.0.1", () => {
          socket.write(head);
          socket.write("<CompleteMultipartUpload><Part><PartNumber>1</Part", () => socket.destroy());
        });
        socket.on("close", () => resolve());
        socket.on("error", () => resolve());
      });
      await stillServes();
    });

    it("keeps serving after a client leaves in the middle of a large PUT body", async () => {
      const head = await signedHead(server.port, "PUT", `/${DEFAULT_BUCKET}/half.bin`, { "content-length": String(2 * 1024 * 1024) });
      await new Promise<void>((resolve) => {
        const socket = net.connect(server.port, "127.0.0.1", () => {
          socket.write(head);
          socket.write(patterned(700 * 1024), () => socket.destroy());
        });
        socket.on("close", () => resolve());
        socket.on("error", () => resolve());
      });
      const missing = await rejectionOf(s3ClientFor(serverOf(server)).send(new HeadObjectCommand({ Bucket: DEFAULT_BUCKET, Key: "half.bin" })));
      expect(missing.$metadata?.httpStatusCode).toBe(404);
      await stillServes();
    });
  });
});

describe("the delayMs fault with an S3 client that leaves", () => {
  it("ends the abandoned request at once, so that stopping does not wait for it", async () => {
    // Longer than stop()'s grace period: a handler that sat out the delay would be reported still running.
    const server = await startOssEmulatorProcess({ args: ["--fault-delay-ms", "10000"] });
    try {
      for (const method of ["PUT", "GET"]) {
        const key = `abandoned-${method}.txt`;
        const head = await signedHead(server.port, method, `/${DEFAULT_BUCKET}/${key}`, method === "PUT" ? { "content-length": "5" } : {});
        await new Promise<void>((resolve) => {
          const socket = net.connect(server.port, "127.0.0.1", () => socket.write(method === "PUT" ? `${head}hello` : head));
          // Well inside the delay: the server holds the request, and its client is gone.
          setTimeout(() => socket.destroy(), 300);
          socket.on("close", () => resolve());
          socket.on("error", () => resolve());
        });
      }
    } finally {
      await server.stop();
    }
    expect(server.exitCode()).toBe(0);
    expect(server.stderr()).not.toContain("still running");
  });
});
