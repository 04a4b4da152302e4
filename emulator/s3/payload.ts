// An S3 request body as the bytes it stands for: aws-chunked framing removed (chunk signatures checked), and the
// payload checked against what the request declared — the x-amz-content-sha256 hash, and an x-amz-checksum-*
// value given as a header or as a trailing header. Everything is checked as the bytes pass; a mismatch fails the
// stream at its end, before anything is committed.
import { createHash, type Hash } from "node:crypto";
import type { IncomingMessage } from "node:http";
import { Transform, type Readable, type TransformCallback } from "node:stream";
import { headerValue } from "../auth-v1.ts";
import type { S3Principal } from "./auth.ts";
import { AwsChunkedDecoder } from "./chunked.ts";
import { CHECKSUM_NAMES, checksumLength, newChecksum, type Checksum, type ChecksumName } from "./checksums.ts";
import { s3Errors } from "./errors.ts";

export interface Payload {
  /** The decoded bytes. */
  stream: Readable;
  /** How many bytes `stream` will give, when the request says. */
  length: number | undefined;
  /** The checksum the request declared (header or trailer), for the answer; known once `stream` has ended. */
  checksum(): { name: ChecksumName; value: string } | undefined;
}

const STREAMING = new Set([
  "STREAMING-AWS4-HMAC-SHA256-PAYLOAD",
  "STREAMING-AWS4-HMAC-SHA256-PAYLOAD-TRAILER",
  "STREAMING-UNSIGNED-PAYLOAD-TRAILER",
]);

/** The body of `req` as `principal` says it was sent; throws 400 for declarations S3 would refuse. */
export function payloadOf(req: IncomingMessage, principal: S3Principal): Payload {
  const declared = principal.payloadHash;
  const streaming = declared.startsWith("STREAMING-");
  if (streaming && !STREAMING.has(declared)) {
    throw s3Errors.invalidArgument("x-amz-content-sha256 must be UNSIGNED-PAYLOAD, STREAMING-… or a SHA-256 value.", "x-amz-content-sha256", declared);
  }
  if (!streaming && declared !== "UNSIGNED-PAYLOAD" && !/^[0-9a-f]{64}$/.test(declared)) {
    throw s3Errors.invalidArgument("x-amz-content-sha256 must be UNSIGNED-PAYLOAD, STREAMING-… or a SHA-256 value.", "x-amz-content-sha256", declared);
  }
  const expected = expectedChecksum(req, streaming);
  let length = contentLength(req);
  let decoder: AwsChunkedDecoder | undefined;
  if (streaming) {
    const decodedText = headerValue(req.headers["x-amz-decoded-content-length"]);
    if (decodedText === "" && declared !== "STREAMING-UNSIGNED-PAYLOAD-TRAILER") throw s3Errors.missingContentLength();
    if (decodedText !== "" && !/^\d+$/.test(decodedText)) {
      throw s3Errors.invalidArgument("x-amz-decoded-content-length is invalid.", "x-amz-decoded-content-length", decodedText);
    }
    length = decodedText === "" ? undefined : Number(decodedText);
    const signed = declared !== "STREAMING-UNSIGNED-PAYLOAD-TRAILER";
    if (signed && !principal.signing) throw s3Errors.accessDenied("A signed aws-chunked body needs a signed request.");
    decoder = new AwsChunkedDecoder({
      ...(signed && principal.signing ? { signing: principal.signing } : {}),
      signedTrailer: declared.endsWith("-TRAILER") && signed,
      ...(length !== undefined ? { decodedLength: length } : {}),
    });
  }
  const sha256 = /^[0-9a-f]{64}$/.test(declared) ? declared : undefined;
  if (!decoder && !sha256 && !expected) return { stream: req, length, checksum: () => undefined };
  const verifier = new PayloadVerifier(sha256, expected, decoder);
  return {
    stream: chain(req, decoder ? [decoder, verifier] : [verifier]),
    length,
    checksum: () => (expected ? { name: expected.name, value: verifier.checksumValue ?? expected.value ?? "" } : undefined),
  };
}

// Pipes `req` through `stages` and returns the last one, which fails with the first error anywhere. Unlike
// stream.pipeline, a bad body leaves the request itself alone (only unpiped): the server still answers on its
// socket, with the error, and then drains or closes it.
function chain(req: IncomingMessage, stages: Transform[]): Readable {
  const last = stages[stages.length - 1]!;
  let from: Readable = req;
  for (const stage of stages) {
    from.pipe(stage);
    from = stage;
  }
  const fail = (error: Error) => {
    req.unpipe();
    for (const stage of stages) if (!stage.destroyed) stage.destroy(stage === last ? error : undefined);
  };
  for (const stage of stages.slice(0, -1)) stage.once("error", fail);
  req.once("error", fail);
  // The client went away before the body ended.
  req.once("close", () => {
    if (!req.complete) fail(Object.assign(new Error("The client closed the connection mid-body."), { code: "ECONNRESET" }));
  });
  return last;
}

interface Expected {
  name: ChecksumName;
  /** The header's value; undefined when it comes as a trailing header. */
  value?: string;
}

// The checksum a request declares: x-amz-checksum-<name> as a header, or named in x-amz-trailer.
function expectedChecksum(req: IncomingMessage, streaming: boolean): Expected | undefined {
  const trailer = headerValue(req.headers["x-amz-trailer"]).trim().toLowerCase();
  const found: Expected[] = [];
  for (const name of CHECKSUM_NAMES) {
    const header = `x-amz-checksum-${name}`;
    const value = req.headers[header];
    if (value !== undefined || trailer === header) {
      found.push(value !== undefined ? { name, value: headerValue(value).trim() } : { name });
    }
  }
  if (trailer !== "" && !trailer.startsWith("x-amz-checksum-")) {
    throw s3Errors.invalidArgument("x-amz-trailer names no checksum this server knows.", "x-amz-trailer", trailer);
  }
  if (trailer !== "" && !streaming) throw s3Errors.invalidRequest("x-amz-trailer needs an aws-chunked body.");
  if (found.length > 1) throw s3Errors.invalidRequest("Expecting a single x-amz-checksum- header. Multiple checksum Types are not allowed.");
  const expected = found[0];
  if (expected?.value !== undefined && !isBase64Of(expected.value, checksumLength(expected.name))) {
    throw s3Errors.invalidRequest(`Value for x-amz-checksum-${expected.name} header is invalid.`);
  }
  const algorithm = headerValue(req.headers["x-amz-sdk-checksum-algorithm"]).trim().toLowerCase();
  if (algorithm !== "" && expected && algorithm !== expected.name) {
    throw s3Errors.invalidRequest(`Value for x-amz-sdk-checksum-algorithm header is invalid: it names ${algorithm}, the checksum is ${expected.name}.`);
  }
  return expected;
}

function isBase64Of(value: string, length: number): boolean {
  return value.length === length && /^[A-Za-z0-9+/]+={0,2}$/.test(value);
}

function contentLength(req: IncomingMessage): number | undefined {
  const value = req.headers["content-length"];
  // A chunked body's length is its chunks': a Content-Length beside it says nothing (the server's lenient parser
  // lets both through), so the body counts as one of no declared length, which S3 refuses where it needs one.
  if (value === undefined || req.headers["transfer-encoding"] !== undefined) return undefined;
  const length = Number(value);
  if (!Number.isSafeInteger(length) || length < 0) throw s3Errors.invalidArgument("Content-Length is invalid.", "Content-Length", value);
  return length;
}

// Hashes the decoded bytes on their way through and compares at the end.
class PayloadVerifier extends Transform {
  private readonly sha: Hash | undefined;
  private readonly checksum: Checksum | undefined;
  checksumValue: string | undefined;

  constructor(
    private readonly sha256: string | undefined,
    private readonly expected: Expected | undefined,
    private readonly decoder: AwsChunkedDecoder | undefined,
  ) {
    super();
    this.sha = sha256 ? createHash("sha256") : undefined;
    this.checksum = expected ? newChecksum(expected.name) : undefined;
  }

  override _transform(chunk: Buffer, _encoding: BufferEncoding, done: TransformCallback): void {
    this.sha?.update(chunk);
    this.checksum?.update(chunk);
    done(null, chunk);
  }

  override _flush(done: TransformCallback): void {
    if (this.sha && this.sha256) {
      const computed = this.sha.digest("hex");
      if (computed !== this.sha256) return done(s3Errors.contentSha256Mismatch(this.sha256, computed));
    }
    if (this.checksum && this.expected) {
      const header = `x-amz-checksum-${this.expected.name}`;
      const given = this.expected.value ?? this.decoder?.trailers.get(header);
      if (given === undefined) return done(s3Errors.invalidRequest(`The trailing header ${header} was declared in x-amz-trailer and not sent.`));
      const computed = this.checksum.digest();
      if (given !== computed) return done(s3Errors.badDigest(this.expected.name.toUpperCase()));
      this.checksumValue = computed;
    }
    done();
  }
}
