// Injected faults: service errors, connections reset mid-body and slow answers, deterministic and adjustable.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startOssEmulator, type OssEmulator } from "../../emulator/index.ts";
import { clientFor, objectUrl, patterned, rejectionOf, signV1, xmlText } from "./helpers.ts";

let emulator: OssEmulator;

beforeAll(async () => {
  emulator = await startOssEmulator();
});
afterAll(async () => {
  await emulator?.stop();
});

describe("status faults", () => {
  it("answers the next `count` requests with 503 ServiceUnavailable in the service's XML, then serves normally", async () => {
    const client = clientFor(emulator);
    emulator.setFaults({ status: { count: 2, code: 503 } });
    for (let attempt = 0; attempt < 2; attempt++) {
      const error = await rejectionOf(client.put("faults/retried.txt", Buffer.from("x")));
      expect(error.status).toBe(503);
      expect(error.code).toBe("ServiceUnavailable");
      expect(error.requestId).toMatch(/^[0-9A-F]{24}$/);
    }
    expect((await client.put("faults/retried.txt", Buffer.from("third time"))).res.status).toBe(200);
    expect(emulator.faultStats()).toEqual({ status: 2, reset: 0 });
    emulator.setFaults({});
    expect((await client.get("faults/retried.txt")).content.toString()).toBe("third time");
  });

  it("answers 500 InternalError, also in x-oss-err for HEAD, only for the operations named", async () => {
    const client = clientFor(emulator);
    await client.put("faults/head.txt", Buffer.from("x"));
    emulator.setFaults({ status: { count: 5, code: 500, operations: ["HeadObject"] } });
    expect((await client.get("faults/head.txt")).res.status).toBe(200);
    const headers = signV1(emulator, { method: "HEAD", bucket: emulator.bucket, key: "faults/head.txt" });
    const response = await fetch(objectUrl(emulator, "faults/head.txt"), { method: "HEAD", headers });
    expect(response.status).toBe(500);
    expect(xmlText(Buffer.from(response.headers.get("x-oss-err")!, "base64").toString(), "Code")).toBe("InternalError");
    emulator.setFaults({});
  });

  it("picks the same requests for the same seed and rate", async () => {
    const client = clientFor(emulator);
    await client.put("faults/seeded.txt", Buffer.from("x"));
    const pattern = async () => {
      emulator.setFaults({ seed: 42, status: { rate: 0.5 } });
      const outcomes: number[] = [];
      for (let i = 0; i < 16; i++) outcomes.push(await client.head("faults/seeded.txt").then((r) => r.status, (e: { status: number }) => e.status));
      emulator.setFaults({});
      return outcomes;
    };
    const first = await pattern();
    expect(first).toContain(503);
    expect(first).toContain(200);
    expect(await pattern()).toEqual(first);
  });
});

describe("reset faults", () => {
  it("resets a GetObject connection after part of the body", async () => {
    const client = clientFor(emulator);
    const body = patterned(200 * 1024);
    await client.put("faults/reset.bin", body);
    emulator.setFaults({ reset: { count: 1, operations: ["GetObject"], afterBytes: 50 * 1024 } });
    const { stream, res } = await client.getStream("faults/reset.bin");
    expect(res.status).toBe(200);
    let received = 0;
    const failure = await new Promise<Error | undefined>((resolve) => {
      stream.on("data", (chunk: Buffer) => (received += chunk.length));
      stream.on("error", (error: Error) => resolve(error));
      stream.on("end", () => resolve(undefined));
    });
    expect(failure).toBeInstanceOf(Error);
    expect(received).toBe(50 * 1024);
    expect(emulator.faultStats().reset).toBe(1);
    // The fault is spent: the next read is whole.
    expect(Buffer.compare((await client.get("faults/reset.bin")).content, body)).toBe(0);
    emulator.setFaults({});
  });

  it("resets a PutObject connection mid-body, leaving the stored object as it was", async () => {
    const client = clientFor(emulator);
    await client.put("faults/kept.bin", Buffer.from("kept"));
    emulator.setFaults({ reset: { count: 1, operations: ["PutObject"], afterBytes: 64 * 1024 } });
    const error = await rejectionOf(client.put("faults/kept.bin", patterned(300 * 1024)));
    expect(error.status).toBe(-1);
    emulator.setFaults({});
    expect((await client.get("faults/kept.bin")).content.toString()).toBe("kept");
  });
});

describe("slow answers", () => {
  it("waits delayMs before answering", async () => {
    const client = clientFor(emulator);
    await client.put("faults/slow.txt", Buffer.from("x"));
    emulator.setFaults({ delayMs: 150 });
    const started = Date.now();
    await client.get("faults/slow.txt");
    expect(Date.now() - started).toBeGreaterThanOrEqual(140);
    emulator.setFaults({});
  });

  it("carries a request out at once and holds its answer (heldAnswer), even for a client that gave up meanwhile", async () => {
    const client = clientFor(emulator);
    try {
      emulator.setFaults({ heldAnswer: { ms: 400, operations: ["PutObject"] } });
      expect((await client.put("faults/held-answered.txt", Buffer.from("held"))).res.status).toBe(200);
      // A client that gives up during the hold gets no answer, yet the object is stored: unlike delayMs.
      const left = await rejectionOf(client.put("faults/held-left.txt", Buffer.from("held"), { timeout: 150 }));
      expect(left.status).not.toBe(200);
      emulator.setFaults({ heldAnswer: { ms: 50, lost: true, operations: ["PutObject"] } });
      // With `lost`, the connection is reset instead of answered, after the work is done.
      expect((await rejectionOf(client.put("faults/held-lost.txt", Buffer.from("held")))).status).not.toBe(200);
      // Only the operations named are held.
      expect((await client.get("faults/held-answered.txt")).content.toString()).toBe("held");
    } finally {
      emulator.setFaults({});
    }
    for (const key of ["faults/held-answered.txt", "faults/held-left.txt", "faults/held-lost.txt"]) {
      expect((await client.head(key)).res.headers["content-length"]).toBe("4");
    }
  });

  it("takes its faults from the start options too", async () => {
    const faulty = await startOssEmulator({ faults: { status: { count: 1 } } });
    try {
      const client = clientFor(faulty);
      expect((await rejectionOf(client.put("x.txt", Buffer.from("x")))).status).toBe(503);
      expect((await client.put("x.txt", Buffer.from("x"))).res.status).toBe(200);
    } finally {
      await faulty.stop();
    }
  });
});
