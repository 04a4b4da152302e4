// aws-chunked request bodies (API reference, "Transferring Payload in Multiple Chunks" and "Signature calculations
// for trailing headers"): `hex-size[;chunk-signature=sig]\r\n<data>\r\n` … `0[;chunk-signature=sig]\r\n`, then
// trailing headers (`x-amz-checksum-crc32:…\r\n`, with `x-amz-trailer-signature:…` when signed) and `\r\n`.
// The decoder passes the data on as it arrives and checks each chunk's signature as the chunk ends; a bad one
// fails the stream, so that whatever consumed the data (a temporary file) is thrown away, never committed.
import { createHash, type Hash } from "node:crypto";
import { Transform, type TransformCallback } from "node:stream";
import type { SigningContext } from "./auth.ts";
import { safeEqual } from "./auth.ts";
import { s3Errors } from "./errors.ts";
import { chunkStringToSign, hmacHex, sha256Hex, trailerStringToSign } from "./sigv4.ts";

// A size line or a trailer line longer than this is not one a client sends.
const MAX_LINE = 4096;
const MAX_TRAILERS = 16;

export interface ChunkedOptions {
  /** Chunk signatures to check (STREAMING-AWS4-HMAC-SHA256-PAYLOAD…); undefined for unsigned chunks. */
  signing?: SigningContext;
  /** True when the trailing headers carry their own signature (…-PAYLOAD-TRAILER). */
  signedTrailer: boolean;
  /** x-amz-decoded-content-length: the data bytes must add up to it. */
  decodedLength?: number;
}

type State = "size" | "data" | "data-end" | "trailer" | "done";

export class AwsChunkedDecoder extends Transform {
  /** The trailing headers, lower-case names; complete once the stream has ended. */
  readonly trailers = new Map<string, string>();
  private state: State = "size";
  private line = "";
  private remaining = 0;
  private lastChunk = false;
  private decoded = 0;
  private chunkHash: Hash | undefined;
  private chunkSignature = "";
  private previousSignature: string;
  private crlf = "";

  constructor(private readonly options: ChunkedOptions) {
    super();
    this.previousSignature = options.signing?.seedSignature ?? "";
  }

  override _transform(chunk: Buffer, _encoding: BufferEncoding, done: TransformCallback): void {
    try {
      this.consume(chunk);
      done();
    } catch (error) {
      done(error as Error);
    }
  }

  override _flush(done: TransformCallback): void {
    // A body that ends right after the last chunk's size line is complete when no trailer was due.
    const endedAfterLastChunk = this.state === "trailer" && this.line === "" && this.trailers.size === 0 && this.lastChunk;
    if (this.state !== "done" && !(endedAfterLastChunk && !this.options.signedTrailer)) {
      done(s3Errors.incompleteBody());
      return;
    }
    if (this.options.decodedLength !== undefined && this.decoded !== this.options.decodedLength) {
      done(s3Errors.incompleteBody());
      return;
    }
    done();
  }

  private consume(chunk: Buffer): void {
    let at = 0;
    while (at < chunk.length) {
      switch (this.state) {
        case "size":
        case "trailer": {
          const end = chunk.indexOf(0x0a, at);
          const piece = chunk.toString("latin1", at, end < 0 ? chunk.length : end + 1);
          at = end < 0 ? chunk.length : end + 1;
          this.line += piece;
          if (this.line.length > MAX_LINE) throw s3Errors.chunkMalformed("An aws-chunked line is too long.");
          if (end < 0) break;
          const text = this.line;
          this.line = "";
          if (!text.endsWith("\r\n")) throw s3Errors.chunkMalformed("aws-chunked lines end with CRLF.");
          if (this.state === "size") this.sizeLine(text.slice(0, -2));
          else this.trailerLine(text.slice(0, -2));
          break;
        }
        case "data": {
          const take = Math.min(this.remaining, chunk.length - at);
          const data = chunk.subarray(at, at + take);
          this.chunkHash?.update(data);
          this.decoded += take;
          this.remaining -= take;
          at += take;
          if (this.options.decodedLength !== undefined && this.decoded > this.options.decodedLength) {
            throw s3Errors.incompleteBody();
          }
          this.push(data);
          if (this.remaining === 0) this.state = "data-end";
          break;
        }
        case "data-end": {
          this.crlf += String.fromCharCode(chunk[at]!);
          at++;
          if (this.crlf.length < 2) break;
          if (this.crlf !== "\r\n") throw s3Errors.chunkMalformed("A chunk's data must be followed by CRLF.");
          this.crlf = "";
          this.endChunk();
          this.state = "size";
          break;
        }
        case "done":
          throw s3Errors.chunkMalformed("Data after the end of an aws-chunked body.");
      }
    }
  }

  private sizeLine(text: string): void {
    const [sizeText = "", ...extensions] = text.split(";");
    if (!/^[0-9a-fA-F]{1,16}$/.test(sizeText)) throw s3Errors.chunkMalformed("An aws-chunked size line is malformed.");
    const size = parseInt(sizeText, 16);
    if (!Number.isSafeInteger(size)) throw s3Errors.chunkMalformed("An aws-chunked size is too large.");
    const signature = extensions.find((e) => e.startsWith("chunk-signature="))?.slice("chunk-signature=".length);
    if (this.options.signing && signature === undefined) {
      throw s3Errors.chunkMalformed("Every chunk of a signed aws-chunked body must carry a chunk-signature.");
    }
    this.chunkSignature = signature ?? "";
    this.chunkHash = this.options.signing ? createHash("sha256") : undefined;
    if (size === 0) {
      this.lastChunk = true;
      this.endChunk();
      this.state = "trailer";
      return;
    }
    this.remaining = size;
    this.state = "data";
  }

  // The chunk's string to sign chains from the previous chunk's signature (the seed signature for the first).
  private endChunk(): void {
    const signing = this.options.signing;
    if (!signing || !this.chunkHash) return;
    const toSign = chunkStringToSign(signing.timestamp, signing.scope, this.previousSignature, this.chunkHash.digest("hex"));
    if (!safeEqual(hmacHex(signing.key, toSign), this.chunkSignature)) {
      throw s3Errors.signatureDoesNotMatch("", toSign, this.chunkSignature);
    }
    this.previousSignature = this.chunkSignature;
    this.chunkHash = undefined;
  }

  private trailerLine(text: string): void {
    if (text === "") {
      if (this.options.signedTrailer) this.checkTrailerSignature();
      this.state = "done";
      return;
    }
    const colon = text.indexOf(":");
    if (colon <= 0) throw s3Errors.chunkMalformed("A trailing header is malformed.");
    if (this.trailers.size >= MAX_TRAILERS) throw s3Errors.chunkMalformed("Too many trailing headers.");
    this.trailers.set(text.slice(0, colon).trim().toLowerCase(), text.slice(colon + 1).trim());
  }

  private checkTrailerSignature(): void {
    const signing = this.options.signing;
    if (!signing) return;
    const signature = this.trailers.get("x-amz-trailer-signature") ?? "";
    const canonical = [...this.trailers]
      .filter(([name]) => name !== "x-amz-trailer-signature")
      .map(([name, value]) => `${name}:${value}\n`)
      .join("");
    const toSign = trailerStringToSign(signing.timestamp, signing.scope, this.previousSignature, sha256Hex(canonical));
    if (!safeEqual(hmacHex(signing.key, toSign), signature)) throw s3Errors.signatureDoesNotMatch("", toSign, signature);
  }
}
