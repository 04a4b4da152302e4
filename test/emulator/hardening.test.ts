// No request, however large, slow, silent or abandoned, stops the local OSS server or keeps its owner out. Each
// case runs against a real `oss-emulator` process, so that a crash shows as an exit and a descriptor shortage
// is the process's own.
import { mkdtemp, readdir, rm } from "node:fs/promises";
import http from "node:http";
import net from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { DEFAULT_ACCESS_KEY_ID, DEFAULT_ACCESS_KEY_SECRET, DEFAULT_BUCKET } from "../../emulator/index.ts";
import { startOssEmulatorProcess, type OssEmulatorProcess } from "../../emulator/process.ts";
import { chunkedRequest, clientFor, patterned, rawRequest, signV1, xmlText, type Client } from "./helpers.ts";

const keys = { accessKeyId: DEFAULT_ACCESS_KEY_ID, accessKeySecret: DEFAULT_ACCESS_KEY_SECRET };
const OPEN_BUCKET = "open-bucket";
// Just over the 2 MiB the service takes in an XML body: what once ended the process.
const HUGE_XML = Buffer.alloc(3_000_000, "<");

function ownerOf(server: OssEmulatorProcess, extra: Parameters<typeof clientFor>[3] = {}): Client {
  return clientFor({ ...keys, endpoint: server.endpoint, bucket: DEFAULT_BUCKET }, "path", "v1", { timeout: 20_000, ...extra });
}

/** Sends `head` (and `body`), then waits for the server to close the connection; resolves with what it answered. */
function untilClosed(port: number, head: string, body?: Buffer): Promise<string> {
  return new Promise((resolve) => {
    let answer = "";
    const socket = net.connect(port, "127.0.0.1", () => {
      socket.write(head);
      if (body) socket.write(body);
    });
    socket.setEncoding("latin1");
    socket.on("data", (text: string) => (answer += text));
    socket.on("error", () => undefined);
    socket.on("close", () => resolve(answer));
  });
}

async function dataFiles(dir: string): Promise<string[]> {
  const entries = await readdir(dir, { recursive: true, withFileTypes: true }).catch(() => []);
  return entries.filter((e) => e.isFile() && e.name.endsWith(".data")).map((e) => e.name);
}

describe("XML bodies over the service's limit", () => {
  let server: OssEmulatorProcess;
  let owner: Client;

  beforeAll(async () => {
    server = await startOssEmulatorProcess({ args: ["--bucket", DEFAULT_BUCKET, "--bucket", OPEN_BUCKET] });
    owner = ownerOf(server);
    await owner.putBucketACL(OPEN_BUCKET, "public-read-write");
    await owner.put("kept.txt", Buffer.from("still here"));
  });
  afterAll(async () => {
    await server?.stop();
  });

  it("answers an anonymous 3 MB DeleteMultipleObjects with 400 MalformedXML, and keeps serving", async () => {
    const answer = await rawRequest(server, { method: "POST", path: `/${OPEN_BUCKET}/?delete`, body: HUGE_XML });
    expect(answer.status).toBe(400);
    expect(xmlText(answer.body, "Code")).toBe("MalformedXML");
    expect(server.exitCode()).toBeNull();
    expect((await owner.get("kept.txt")).content.toString()).toBe("still here");
  });

  it("answers the same body sent chunked, with no length to refuse it by, with 400 MalformedXML", async () => {
    const answer = await chunkedRequest(server.port, `/${OPEN_BUCKET}/?delete`, {}, HUGE_XML);
    expect(answer.status).toBe(400);
    expect(xmlText(answer.body, "Code")).toBe("MalformedXML");
    expect(server.exitCode()).toBeNull();
  });

  it("answers the owner's 3 MB CompleteMultipartUpload and PutObjectTagging with 400 MalformedXML", async () => {
    const { uploadId } = await owner.initMultipartUpload("huge-complete.bin");
    for (const [key, subresources] of [
      ["huge-complete.bin", { uploadId }],
      ["kept.txt", { tagging: "" }],
    ] as const) {
      const query = Object.entries(subresources).map(([k, v]) => (v === "" ? k : `${k}=${v}`)).join("&");
      const method = "uploadId" in subresources ? "POST" : "PUT";
      const headers = signV1(keys, { method, bucket: DEFAULT_BUCKET, key, subresources });
      const answer = await rawRequest(server, { method, path: `/${DEFAULT_BUCKET}/${key}?${query}`, headers, body: HUGE_XML });
      expect(answer.status).toBe(400);
      expect(xmlText(answer.body, "Code")).toBe("MalformedXML");
    }
    expect(server.exitCode()).toBeNull();
    expect((await owner.get("kept.txt")).content.toString()).toBe("still here");
  });
});

describe("slow and silent clients", () => {
  let server: OssEmulatorProcess;
  let owner: Client;
  let dataDir: string;

  beforeAll(async () => {
    dataDir = await mkdtemp(join(tmpdir(), "oss-emulator-hardening-"));
    server = await startOssEmulatorProcess({ args: ["--data-dir", dataDir, "--headers-timeout-ms", "1000", "--idle-timeout-ms", "1000"] });
    owner = ownerOf(server);
  });
  afterAll(async () => {
    await server?.stop();
    await rm(dataDir, { recursive: true, force: true });
  });

  it("closes a connection that never finishes its headers", async () => {
    const answer = await untilClosed(server.port, "GET /local-bucket/ HTTP/1.1\r\nHost: 127.0.0.1\r\nx-oss-date: ");
    // The headers timeout answers 408 first; the idle timeout, when it comes first, just closes.
    expect(answer === "" || answer.startsWith("HTTP/1.1 408")).toBe(true);
    expect(server.exitCode()).toBeNull();
  });

  it("closes a connection that says nothing at all", async () => {
    await untilClosed(server.port, "");
    expect(server.exitCode()).toBeNull();
  });

  it("closes a PUT that stops mid-body, and keeps no part of it", async () => {
    const key = "stalled.bin";
    const headers = signV1(keys, { method: "PUT", bucket: DEFAULT_BUCKET, key, headers: { "Content-Length": String(200 * 1024) } });
    const head = `PUT /${DEFAULT_BUCKET}/${key} HTTP/1.1\r\nHost: 127.0.0.1:${server.port}\r\n${Object.entries(headers)
      .map(([name, value]) => `${name}: ${value}\r\n`)
      .join("")}\r\n`;
    await untilClosed(server.port, head, patterned(80 * 1024));
    // The partial file goes once the handler sees the connection gone, a moment after the close.
    await expect.poll(() => dataFiles(join(dataDir, "buckets", DEFAULT_BUCKET, "data")), { timeout: 15_000 }).toEqual([]);
    const error = await owner.head(key).catch((e: { status: number }) => e);
    expect(error.status).toBe(404);
    expect(server.exitCode()).toBeNull();
  });
});

describe("the delayMs fault with a client that leaves", () => {
  it("ends the abandoned request at once, so that stopping does not wait for it", async () => {
    // Longer than stop()'s grace period: a handler that sat out the delay would be reported still running.
    const server = await startOssEmulatorProcess({ args: ["--fault-delay-ms", "10000"] });
    try {
      for (const method of ["PUT", "GET"]) {
        const key = `abandoned-${method}.txt`;
        const headers = signV1(keys, { method, bucket: DEFAULT_BUCKET, key, headers: method === "PUT" ? { "Content-Length": "5" } : {} });
        await new Promise<void>((resolve) => {
          const req = http.request({ host: "127.0.0.1", port: server.port, method, path: `/${DEFAULT_BUCKET}/${key}`, headers });
          req.on("error", () => resolve());
          req.end(method === "PUT" ? "hello" : undefined);
          // Well inside the delay: the server holds the request, and its client is gone.
          setTimeout(() => req.destroy(), 300);
        });
      }
    } finally {
      await server.stop();
    }
    expect(server.exitCode()).toBe(0);
    expect(server.stderr()).not.toContain("still running");
  });
});

describe("300 silent connections against a server limited to 256 files", () => {
  let server: OssEmulatorProcess;
  const attackers: net.Socket[] = [];

  beforeAll(async () => {
    server = await startOssEmulatorProcess({ fileLimit: 256 });
  });
  afterAll(async () => {
    for (const socket of attackers) socket.destroy();
    await server?.stop();
  });

  it("still serves the owner's GET and 200 KiB PUT within 45 s", async () => {
    const owner = ownerOf(server, { timeout: 10_000 });
    const body = patterned(200 * 1024);
    await owner.put("before.bin", body);
    await Promise.all(
      Array.from(
        { length: 300 },
        () =>
          new Promise<void>((resolve) => {
            const socket = net.connect(server.port, "127.0.0.1", () => resolve());
            socket.on("error", () => resolve());
            socket.on("close", () => resolve());
            attackers.push(socket);
          }),
      ),
    );
    const deadline = Date.now() + 45_000;
    let lastError: unknown;
    let served = false;
    while (!served && Date.now() < deadline) {
      try {
        // A connection of its own for every request, as a new client's would be: no kept-alive socket from before.
        const fresh = ownerOf(server, { timeout: 10_000, agent: new http.Agent({ keepAlive: false }) });
        expect(Buffer.compare((await fresh.get("before.bin")).content, body)).toBe(0);
        expect((await fresh.put("during.bin", body)).res.status).toBe(200);
        served = true;
      } catch (error) {
        lastError = error;
        await new Promise((resolve) => setTimeout(resolve, 500));
      }
    }
    expect(served, `the owner was kept out: ${String(lastError)}`).toBe(true);
    expect(server.exitCode()).toBeNull();
  }, 90_000);
});
