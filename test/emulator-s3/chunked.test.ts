// aws-chunked bodies on the S3 dialect: signed chunks (STREAMING-AWS4-HMAC-SHA256-PAYLOAD, checked against the
// worked example in S3's API reference and signed end to end by the SDK's own signer), signed trailers, and the
// unsigned chunks with a trailing checksum that the SDK sends by default; and what a broken body gets.
import { createHash } from "node:crypto";
import http from "node:http";
import { GetObjectCommand, HeadObjectCommand } from "@aws-sdk/client-s3";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startOssEmulator, type OssEmulator } from "../../emulator/index.ts";
import { AwsChunkedDecoder } from "../../emulator/s3/chunked.ts";
import { checksumOf, crc32c } from "../../emulator/s3/checksums.ts";
import { canonicalRequest, hmacHex, signingKey, stringToSign } from "../../emulator/s3/sigv4.ts";
import { patterned, rawS3, rejectionOf, s3ClientFor, signerFor, xmlText, type RawResponse } from "./helpers.ts";

let emulator: OssEmulator;

beforeAll(async () => {
  emulator = await startOssEmulator();
});
afterAll(async () => {
  await emulator?.stop();
});

// S3 API reference, "Transferring Payload in Multiple Chunks", Example: PUT Object — 66,560 bytes of "a" in a
// 64 KiB chunk and a 1 KiB chunk, signed on 2013-05-24 with the documentation's example key.
const EXAMPLE = {
  secret: "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY",
  timestamp: "20130524T000000Z",
  scope: "20130524/us-east-1/s3/aws4_request",
  headers: {
    "content-encoding": "aws-chunked",
    "content-length": "66824",
    host: "s3.amazonaws.com",
    "x-amz-content-sha256": "STREAMING-AWS4-HMAC-SHA256-PAYLOAD",
    "x-amz-date": "20130524T000000Z",
    "x-amz-decoded-content-length": "66560",
    "x-amz-storage-class": "REDUCED_REDUNDANCY",
  },
  seedSignature: "4f232c4386841ef735655705268965c44a0e4690baa4adea153f7db9fa80a0a9",
  chunkSignatures: [
    "ad80c730a21e5b8d04586a2213dd63b9a0e99e0e2307b0ade35a65485a288648",
    "0055627c9e194cb4542bae2aa5492e3c1575bbb81b612b7d234b86a503ef5497",
    "b6c6ea8a5354eaf15b3cb7646744f4275b71ea724fed81ceb9323e279d449df9",
  ],
};

function exampleBody(signatures = EXAMPLE.chunkSignatures): Buffer {
  return Buffer.concat([
    Buffer.from(`10000;chunk-signature=${signatures[0]}\r\n`),
    Buffer.alloc(65536, "a"),
    Buffer.from(`\r\n400;chunk-signature=${signatures[1]}\r\n`),
    Buffer.alloc(1024, "a"),
    Buffer.from(`\r\n0;chunk-signature=${signatures[2]}\r\n\r\n`),
  ]);
}

function decode(body: Buffer, decoder: AwsChunkedDecoder): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    decoder.on("data", (chunk: Buffer) => chunks.push(chunk));
    decoder.on("end", () => resolve(Buffer.concat(chunks)));
    decoder.on("error", reject);
    // Byte by byte at the boundaries would be slow; odd slices still cut through every line and chunk.
    for (let at = 0; at < body.length; at += 7919) decoder.write(body.subarray(at, at + 7919));
    decoder.end();
  });
}

describe("signed chunks, against the API reference's example", () => {
  const key = signingKey(EXAMPLE.secret, "20130524", "us-east-1", "s3");
  const signing = { key, timestamp: EXAMPLE.timestamp, scope: EXAMPLE.scope, seedSignature: EXAMPLE.seedSignature };

  it("computes the example's seed signature from its headers", () => {
    const canonical = canonicalRequest({
      method: "PUT",
      path: "/examplebucket/chunkObject.txt",
      query: [],
      headers: EXAMPLE.headers,
      signedHeaders: Object.keys(EXAMPLE.headers),
      payloadHash: "STREAMING-AWS4-HMAC-SHA256-PAYLOAD",
    });
    expect(hmacHex(key, stringToSign(EXAMPLE.timestamp, EXAMPLE.scope, canonical))).toBe(EXAMPLE.seedSignature);
    expect(exampleBody().length).toBe(66824);
  });

  it("decodes the example's body, checking every chunk signature", async () => {
    const decoded = await decode(exampleBody(), new AwsChunkedDecoder({ signing, signedTrailer: false, decodedLength: 66560 }));
    expect(decoded.equals(Buffer.alloc(66560, "a"))).toBe(true);
  });

  it("fails on a chunk whose signature is not the chain's, and on a body shorter than declared", async () => {
    const swapped = [EXAMPLE.chunkSignatures[1]!, EXAMPLE.chunkSignatures[0]!, EXAMPLE.chunkSignatures[2]!];
    const bad = await rejectionOf(decode(exampleBody(swapped), new AwsChunkedDecoder({ signing, signedTrailer: false, decodedLength: 66560 })));
    expect((bad as Error & { code?: string }).code).toBe("SignatureDoesNotMatch");
    const short = await rejectionOf(decode(exampleBody(), new AwsChunkedDecoder({ signing, signedTrailer: false, decodedLength: 70000 })));
    expect((short as Error & { code?: string }).code).toBe("IncompleteBody");
  });
});

describe("CRC32C", () => {
  it("gives the Castagnoli check value for 123456789, in one call or in pieces", () => {
    expect(crc32c(Buffer.from("123456789"))).toBe(0xe3069283);
    expect(crc32c(Buffer.from("6789"), crc32c(Buffer.from("12345")))).toBe(0xe3069283);
  });
});

// A PUT with signed chunks, signed by the SDK's own SigV4 signer: the seed signature over the headers, then each
// chunk's signature chained from it (the SDK's event signer with empty headers computes S3's chunk string to sign).
async function signedChunkedPut(
  key: string,
  chunks: Buffer[],
  options: { trailer?: { name: string; value: string }; tamper?: (body: Buffer) => Buffer } = {},
): Promise<RawResponse> {
  const signer = signerFor(emulator);
  const signingDate = new Date();
  const decodedLength = chunks.reduce((n, c) => n + c.length, 0);
  const sizeLine = (size: number) => `${size.toString(16)};chunk-signature=${"0".repeat(64)}\r\n`;
  let length = 0;
  for (const chunk of [...chunks, Buffer.alloc(0)]) length += sizeLine(chunk.length).length + chunk.length + (chunk.length > 0 ? 2 : 0);
  if (options.trailer) length += `${options.trailer.name}:${options.trailer.value}\r\n`.length + `x-amz-trailer-signature:${"0".repeat(64)}\r\n`.length;
  length += 2;
  const headers: Record<string, string> = {
    host: `localhost:${emulator.port}`,
    "content-encoding": "aws-chunked",
    "content-length": String(length),
    "x-amz-content-sha256": options.trailer ? "STREAMING-AWS4-HMAC-SHA256-PAYLOAD-TRAILER" : "STREAMING-AWS4-HMAC-SHA256-PAYLOAD",
    "x-amz-decoded-content-length": String(decodedLength),
    ...(options.trailer ? { "x-amz-trailer": options.trailer.name } : {}),
  };
  const path = `/${emulator.bucket}/${key}`;
  const signed = await signer.sign({ method: "PUT", protocol: "http:", hostname: "localhost", port: emulator.port, path, query: {}, headers }, { signingDate });
  let previous = /Signature=([0-9a-f]{64})/.exec(signed.headers.authorization!)![1]!;
  const pieces: Buffer[] = [];
  for (const chunk of [...chunks, Buffer.alloc(0)]) {
    const signature = await signer.sign({ headers: new Uint8Array(0), payload: chunk }, { signingDate, priorSignature: previous });
    pieces.push(Buffer.from(`${chunk.length.toString(16)};chunk-signature=${signature}\r\n`), chunk, Buffer.from(chunk.length > 0 ? "\r\n" : ""));
    previous = signature;
  }
  if (options.trailer) {
    // "Signature calculations for trailing headers": the trailer's string to sign chains from the last chunk's.
    const line = `${options.trailer.name}:${options.trailer.value}\n`;
    const toSign = `AWS4-HMAC-SHA256-TRAILER\n${signed.headers["x-amz-date"]}\n${signingDate.toISOString().slice(0, 10).replace(/-/g, "")}/us-east-1/s3/aws4_request\n${previous}\n${createHash("sha256").update(line).digest("hex")}`;
    const trailerSignature = await signer.sign(toSign, { signingDate });
    pieces.push(Buffer.from(`${options.trailer.name}:${options.trailer.value}\r\nx-amz-trailer-signature:${trailerSignature}\r\n`));
  }
  pieces.push(Buffer.from("\r\n"));
  const body = Buffer.concat(pieces);
  expect(body.length).toBe(length);
  return send(path, signed.headers, options.tamper ? options.tamper(body) : body);
}

function send(path: string, headers: Record<string, string>, body: Buffer): Promise<RawResponse> {
  return new Promise((resolve, reject) => {
    const req = http.request({ host: "127.0.0.1", port: emulator.port, method: "PUT", path, headers }, (res) => {
      const chunks: Buffer[] = [];
      res.on("data", (chunk: Buffer) => chunks.push(chunk));
      res.on("end", () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(chunks).toString("utf8") }));
      res.on("error", reject);
    });
    req.on("error", reject);
    req.end(body);
  });
}

async function objectBody(key: string): Promise<Buffer> {
  const got = await s3ClientFor(emulator).send(new GetObjectCommand({ Bucket: emulator.bucket, Key: key }));
  return Buffer.from(await got.Body!.transformToByteArray());
}

async function exists(key: string): Promise<boolean> {
  const head = s3ClientFor(emulator).send(new HeadObjectCommand({ Bucket: emulator.bucket, Key: key }));
  return head.then(
    () => true,
    () => false,
  );
}

describe("STREAMING-AWS4-HMAC-SHA256-PAYLOAD over HTTP", () => {
  it("stores a body sent in signed chunks", async () => {
    const chunks = [patterned(65536, 1), patterned(65536, 2), patterned(123, 3)];
    const response = await signedChunkedPut("chunked/signed.bin", chunks);
    expect(response.status).toBe(200);
    expect((await objectBody("chunked/signed.bin")).equals(Buffer.concat(chunks))).toBe(true);
  });

  it("answers 403 SignatureDoesNotMatch, and stores nothing, when a chunk's bytes were changed", async () => {
    const chunks = [patterned(65536, 4), patterned(10, 5)];
    const response = await signedChunkedPut("chunked/tampered.bin", chunks, {
      tamper: (body) => {
        const copy = Buffer.from(body);
        copy[200] = copy[200]! ^ 0xff;
        return copy;
      },
    });
    expect(response.status).toBe(403);
    expect(xmlText(response.body, "Code")).toBe("SignatureDoesNotMatch");
    expect(await exists("chunked/tampered.bin")).toBe(false);
  });

  it("checks the trailing checksum and its signature (…-PAYLOAD-TRAILER)", async () => {
    const chunks = [patterned(70000, 6), patterned(5, 7)];
    const value = checksumOf("crc32c", Buffer.concat(chunks));
    const ok = await signedChunkedPut("chunked/signed-trailer.bin", chunks, { trailer: { name: "x-amz-checksum-crc32c", value } });
    expect(ok.status).toBe(200);
    expect(ok.headers["x-amz-checksum-crc32c"]).toBe(value);
    expect((await objectBody("chunked/signed-trailer.bin")).equals(Buffer.concat(chunks))).toBe(true);
    // Same bytes, another checksum: the trailer signature still holds (it signs what was sent), the checksum does not.
    const wrong = await signedChunkedPut("chunked/signed-trailer-wrong.bin", chunks, { trailer: { name: "x-amz-checksum-crc32c", value: "AAAAAA==" } });
    expect(wrong.status).toBe(400);
    expect(xmlText(wrong.body, "Code")).toBe("BadDigest");
    expect(await exists("chunked/signed-trailer-wrong.bin")).toBe(false);
  });
});

describe("STREAMING-UNSIGNED-PAYLOAD-TRAILER (the SDK's default for streams)", () => {
  const unsigned = (key: string, body: Buffer, trailer: string) => {
    const encoded = Buffer.concat([Buffer.from(`${body.length.toString(16)}\r\n`), body, Buffer.from(`\r\n0\r\n${trailer}\r\n\r\n`)]);
    return rawS3(emulator, {
      method: "PUT",
      path: `/${emulator.bucket}/${key}`,
      headers: {
        "content-encoding": "aws-chunked",
        "content-length": String(encoded.length),
        "x-amz-content-sha256": "STREAMING-UNSIGNED-PAYLOAD-TRAILER",
        "x-amz-decoded-content-length": String(body.length),
        "x-amz-trailer": "x-amz-checksum-crc32",
      },
      body: encoded,
    });
  };

  it("stores the body when the trailing CRC32 matches, and answers with it", async () => {
    const body = patterned(5000, 8);
    const crc = checksumOf("crc32", body);
    const response = await unsigned("chunked/unsigned.bin", body, `x-amz-checksum-crc32:${crc}`);
    expect(response.status).toBe(200);
    expect(response.headers["x-amz-checksum-crc32"]).toBe(crc);
    expect((await objectBody("chunked/unsigned.bin")).equals(body)).toBe(true);
  });

  it("answers 400 BadDigest, and stores nothing, when the trailing CRC32 does not match", async () => {
    const response = await unsigned("chunked/unsigned-bad.bin", patterned(5000, 9), "x-amz-checksum-crc32:AAAAAA==");
    expect(response.status).toBe(400);
    expect(xmlText(response.body, "Code")).toBe("BadDigest");
    expect(await exists("chunked/unsigned-bad.bin")).toBe(false);
  });

  it("answers 400, and stores nothing, when the declared trailer never comes", async () => {
    const response = await unsigned("chunked/unsigned-missing.bin", patterned(100, 1), "");
    expect(response.status).toBe(400);
    expect(await exists("chunked/unsigned-missing.bin")).toBe(false);
  });
});

describe("broken bodies", () => {
  it("answers 400 IncompleteBody for malformed framing, and keeps answering", async () => {
    const encoded = Buffer.from("zz\r\nhello\r\n0\r\n\r\n");
    const response = await rawS3(emulator, {
      method: "PUT",
      path: `/${emulator.bucket}/chunked/malformed.bin`,
      headers: {
        "content-encoding": "aws-chunked",
        "content-length": String(encoded.length),
        "x-amz-content-sha256": "STREAMING-UNSIGNED-PAYLOAD-TRAILER",
        "x-amz-decoded-content-length": "5",
      },
      body: encoded,
    });
    expect(response.status).toBe(400);
    expect(xmlText(response.body, "Code")).toBe("IncompleteBody");
    expect(await exists("chunked/malformed.bin")).toBe(false);
    expect((await s3ClientFor(emulator).send(new HeadObjectCommand({ Bucket: emulator.bucket, Key: "chunked/unsigned.bin" }))).ContentLength).toBe(5000);
  });

  it("leaves no object when the client goes away in the middle of a chunked body", async () => {
    const headers: Record<string, string> = {
      host: `localhost:${emulator.port}`,
      "content-encoding": "aws-chunked",
      "x-amz-content-sha256": "STREAMING-UNSIGNED-PAYLOAD-TRAILER",
      "x-amz-decoded-content-length": String(200_000),
      "x-amz-trailer": "x-amz-checksum-crc32",
    };
    const signed = await signerFor(emulator).sign({
      method: "PUT",
      protocol: "http:",
      hostname: "localhost",
      port: emulator.port,
      path: `/${emulator.bucket}/chunked/abandoned.bin`,
      query: {},
      headers,
    });
    await new Promise<void>((resolve) => {
      const req = http.request({ host: "127.0.0.1", port: emulator.port, method: "PUT", path: `/${emulator.bucket}/chunked/abandoned.bin`, headers: signed.headers });
      req.on("error", () => resolve());
      req.on("close", () => resolve());
      req.write(Buffer.concat([Buffer.from(`${(200_000).toString(16)}\r\n`), patterned(100_000)]), () => req.destroy());
    });
    // The server noticed, cleaned up, and still answers.
    expect(await exists("chunked/abandoned.bin")).toBe(false);
    const error = await rejectionOf(s3ClientFor(emulator).send(new GetObjectCommand({ Bucket: emulator.bucket, Key: "chunked/abandoned.bin" })));
    expect(error.name).toBe("NoSuchKey");
  });
});
