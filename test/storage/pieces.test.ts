// The small pieces the storages category builds on: scrubbing secrets out of text, backoff, cutting parts.
import { Readable } from "node:stream";
import { describe, expect, it } from "vitest";
import { sanitizeError, scrub } from "../../elements/storages/Meta/errors.ts";
import { backoffDelay, RetriesExhausted, withRetries } from "../../elements/storages/Meta/retry.ts";
import { settleBody, streamParts } from "../../elements/storages/Meta/parts.ts";
import { resumingStream, type OpenedRead } from "../../elements/storages/Meta/resume.ts";

describe("scrub", () => {
  it.each([
    ["a secret anywhere", "key=my-very-secret-value;", "key=[redacted];"],
    ["a V1 Authorization value", "authorization: OSS LTAIabc:q2Vx8dCG2rT1rPm0VQ0nGz6n2Xg=", "authorization: OSS LTAIabc:[redacted]"],
    ["a V4 Authorization value", "OSS4-HMAC-SHA256 Credential=LTAI/20260101/cn-hangzhou/oss/aliyun_v4_request,Signature=abc", "OSS4-HMAC-SHA256 Credential=[redacted]"],
    ["a V1 URL signature", "https://b.oss.example/k?OSSAccessKeyId=id&Expires=1&Signature=abc%2Bdef", "https://b.oss.example/k?OSSAccessKeyId=id&Expires=1&Signature=[redacted]"],
    ["a V4 URL signature and token", "?x-oss-signature=00ff&x-oss-security-token=tok", "?x-oss-signature=[redacted]&x-oss-security-token=[redacted]"],
    ["the service's StringToSign", "<StringToSign>PUT\n\n</StringToSign>", "<StringToSign>[redacted]</StringToSign>"],
    [
      "a SigV4 presigned URL's signature, credential and token",
      "https://b.s3.example/k?X-Amz-Algorithm=AWS4-HMAC-SHA256&X-Amz-Credential=AKIAID%2F20260101%2Fus-east-1%2Fs3%2Faws4_request&X-Amz-Date=20260101T000000Z&X-Amz-Expires=60&X-Amz-Security-Token=IQoJb3JpZ2luX2Vj%2Ftok&X-Amz-Signature=9f2c00ff&X-Amz-SignedHeaders=host",
      "https://b.s3.example/k?X-Amz-Algorithm=AWS4-HMAC-SHA256&X-Amz-Credential=[redacted]&X-Amz-Date=20260101T000000Z&X-Amz-Expires=60&X-Amz-Security-Token=[redacted]&X-Amz-Signature=[redacted]&X-Amz-SignedHeaders=host",
    ],
    ["lower-case SigV4 query names", "?x-amz-signature=00ff&x-amz-credential=AKIAID/20260101", "?x-amz-signature=[redacted]&x-amz-credential=[redacted]"],
    [
      "a SigV4 Authorization value",
      "AWS4-HMAC-SHA256 Credential=AKIAID/20260101/us-east-1/s3/aws4_request, SignedHeaders=host;x-amz-date, Signature=fe5f80f7",
      "AWS4-HMAC-SHA256 Credential=[redacted] SignedHeaders=host;x-amz-date, Signature=[redacted]",
    ],
    ["an x-amz-security-token header", 'x-amz-security-token: IQoJb3JpZ2lu\n"x-amz-security-token": "IQoJb3JpZ2lu"', 'x-amz-security-token: [redacted]\n"x-amz-security-token": "[redacted]"'],
    ["S3's CanonicalRequestBytes", "<CanonicalRequestBytes>50 55 54</CanonicalRequestBytes>", "<CanonicalRequestBytes>[redacted]</CanonicalRequestBytes>"],
  ])("removes %s", (_label, text, expected) => {
    expect(scrub(text, ["my-very-secret-value"])).toBe(expected);
  });

  it("keeps what is not secret", () => {
    expect(scrub('download of "docs/a.pdf" failed: NoSuchKey (404)', ["secret-value"])).toBe('download of "docs/a.pdf" failed: NoSuchKey (404)');
  });
});

describe("sanitizeError", () => {
  it("keeps name, message, stack and scalar facts, drops everything else, and follows causes", () => {
    const inner = Object.assign(new Error("inner holds top-secret-123"), { code: "ECONNRESET" });
    const outer = Object.assign(new Error("outer top-secret-123", { cause: inner }), {
      name: "SignatureDoesNotMatchError",
      status: 403,
      requestId: "RID",
      params: { headers: { authorization: "OSS a:b" } },
    });
    const clean = sanitizeError(outer, ["top-secret-123"]);
    expect(clean).toMatchObject({ name: "SignatureDoesNotMatchError", message: "outer [redacted]", status: 403, requestId: "RID" });
    expect(clean).not.toHaveProperty("params");
    expect(clean.stack).not.toContain("top-secret-123");
    expect(clean.cause).toMatchObject({ message: "inner holds [redacted]", code: "ECONNRESET" });
  });
});

describe("withRetries", () => {
  const policy = { retries: 3, baseDelayMs: 1, maxDelayMs: 4 };

  it("waits base × 2^n between attempts, capped, with jitter in the upper half", () => {
    for (let n = 1; n <= 6; n++) {
      const ceiling = Math.min(4, 2 ** (n - 1));
      const delay = backoffDelay(n, policy);
      expect(delay).toBeGreaterThanOrEqual(ceiling / 2);
      expect(delay).toBeLessThanOrEqual(ceiling);
    }
  });

  it("retries transient failures up to the bound, then reports how many attempts there were", async () => {
    let calls = 0;
    const failing = withRetries(
      async () => {
        calls++;
        throw new Error("503");
      },
      policy,
      () => true,
    );
    const error = await failing.catch((e: unknown) => e);
    expect(error).toBeInstanceOf(RetriesExhausted);
    expect((error as RetriesExhausted).attempts).toBe(4);
    expect(calls).toBe(4);
  });

  it("does not retry a failure that is not transient", async () => {
    let calls = 0;
    const error = await withRetries(
      async () => {
        calls++;
        throw new Error("403");
      },
      policy,
      () => false,
    ).catch((e: unknown) => e);
    expect(error).toEqual(new Error("403"));
    expect(calls).toBe(1);
  });
});

describe("parts of a stream", () => {
  it("keeps a short stream as a buffer, and cuts a long one into parts of the given size", async () => {
    expect(await settleBody({ kind: "stream", stream: Readable.from([Buffer.from("abc")]), size: undefined }, 10)).toEqual({
      kind: "buffer",
      data: Buffer.from("abc"),
      size: 3,
    });
    const chunks = Array.from({ length: 7 }, (_, i) => Buffer.alloc(3, i));
    const settled = await settleBody({ kind: "stream", stream: Readable.from(chunks), size: undefined }, 4);
    if (settled.kind !== "large-stream") throw new Error("expected a large stream");
    const parts: Buffer[] = [];
    for await (const part of streamParts(settled.head, settled.rest, 5)) {
      parts.push(Buffer.concat(await part.open().toArray()));
      parts.push(Buffer.concat(await part.open().toArray())); // opened again, as for a retry: the same bytes
      part.release?.();
    }
    expect(parts.map((p) => p.length)).toEqual([5, 5, 5, 5, 5, 5, 5, 5, 1, 1]);
    expect(Buffer.concat(parts.filter((_, i) => i % 2 === 0))).toEqual(Buffer.concat(chunks));
  });
});

describe("resumingStream", () => {
  const data = Buffer.from("0123456789abcdefghijklmnopqrstuvwxyz");
  const policy = { retries: 2, baseDelayMs: 1, maxDelayMs: 2 };
  const transient = () => true;

  /** A body of `data` from `offset` that sends `upTo` bytes and then stalls, ends early or breaks; or sends the rest. */
  function body(offset: number, upTo: number, then: "stall" | "end" | "break" | "finish"): OpenedRead {
    const stream = new Readable({ read() {} });
    stream.push(data.subarray(offset, then === "finish" ? data.length : Math.min(data.length, offset + upTo)));
    if (then === "end" || then === "finish") stream.push(null);
    if (then === "break") setTimeout(() => stream.destroy(Object.assign(new Error("read ECONNRESET"), { code: "ECONNRESET" })), 5);
    return { stream, length: data.length - offset, etag: "E" };
  }

  it("asks again from the first byte not delivered when a body stalls, ends early or breaks", async () => {
    const opened: number[] = [];
    const plan = ["end", "break", "finish"] as const;
    const stream = resumingStream(body(0, 5, "stall"), {
      start: 0,
      policy,
      isTransient: transient,
      idleTimeoutMs: 50,
      open: async (offset, etag) => {
        expect(etag).toBe("E");
        opened.push(offset);
        return body(offset, 10, plan[opened.length - 1]!);
      },
    });
    expect(Buffer.concat(await stream.toArray()).toString()).toBe(data.toString());
    expect(opened).toEqual([5, 15, 25]);
  });

  /** An HTTP response body parsed to its end (what `complete` says of an IncomingMessage) holding `bytes`. */
  function arrived(bytes: Buffer): Readable {
    const stream = new Readable({ read() {} });
    stream.push(bytes);
    stream.push(null);
    return Object.assign(stream, { complete: true });
  }

  it("takes a body that arrived whole with its headers as it is, and ends it so that its connection is free again", async () => {
    const first = arrived(data);
    let ended = false;
    first.once("end", () => (ended = true));
    const stream = resumingStream(
      { stream: first, length: data.length, etag: "E" },
      { start: 0, policy, isTransient: transient, idleTimeoutMs: 50, open: async () => Promise.reject(new Error("asked again")) },
    );
    expect(Buffer.concat(await stream.toArray()).toString()).toBe(data.toString());
    expect(ended).toBe(true);
  });

  it("asks again for what a body parsed to its end lacks of the length it announced", async () => {
    const opened: number[] = [];
    const stream = resumingStream(
      { stream: arrived(data.subarray(0, 7)), length: data.length, etag: "E" },
      {
        start: 0,
        policy,
        isTransient: transient,
        idleTimeoutMs: 50,
        open: async (offset) => {
          opened.push(offset);
          return body(offset, 0, "finish");
        },
      },
    );
    expect(Buffer.concat(await stream.toArray()).toString()).toBe(data.toString());
    expect(opened).toEqual([7]);
  });

  it("gives up after the retries with the last failure", async () => {
    const stream = resumingStream(body(0, 3, "break"), {
      start: 0,
      policy,
      isTransient: transient,
      idleTimeoutMs: 1_000,
      open: async (offset) => body(offset, 0, "break"),
    });
    await expect(stream.toArray()).rejects.toMatchObject({ code: "ECONNRESET" });
  });
});
