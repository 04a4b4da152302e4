// HMAC-SHA1 of short strings (V1 signatures: one per signed request), computed here rather than with
// createHmac. The digest is no faster here than OpenSSL's, but createHmac builds a stream object, a native
// handle with a weak reference and a cleanup hook for every call, and a request's string to sign is a few
// hundred bytes: under a profiler that made the signature check the largest single cost of a small PUT or GET
// (about 7% of its CPU, where the hashing itself was under 1%). The key's padded blocks are hashed once per
// secret, so that a signature costs the message's blocks and one more.
//
// SHA-1 as FIPS 180-4 gives it; HMAC as RFC 2104 (keys longer than a block are hashed first).
import { createHash } from "node:crypto";

const BLOCK = 64;
const INITIAL = new Int32Array([0x67452301, 0xefcdab89 | 0, 0x98badcfe | 0, 0x10325476, 0xc3d2e1f0 | 0]);
const schedule = new Int32Array(80);
// Room for a message and its padding, grown when a longer one comes.
let scratch = Buffer.alloc(4096);
const state = new Int32Array(5);

interface PaddedKey {
  inner: Int32Array;
  outer: Int32Array;
}

// The states after the key's inner and outer padded blocks, for the few secrets the emulator knows.
const paddedKeys = new Map<string, PaddedKey>();

/** The base64 HMAC-SHA1 of `text` (its UTF-8 bytes, or its char codes as bytes with `latin1`) under `secret`. */
export function hmacSha1Base64(secret: string, text: string, encoding: "utf8" | "latin1"): string {
  const key = paddedKey(secret);
  const length = Buffer.byteLength(text, encoding);
  if (length + BLOCK + 9 > scratch.length) scratch = Buffer.alloc(2 * (length + BLOCK + 9));
  scratch.write(text, 0, length, encoding);
  state.set(key.inner);
  finish(state, scratch, length, BLOCK);
  for (let i = 0; i < 5; i++) scratch.writeInt32BE(state[i]!, i * 4);
  state.set(key.outer);
  finish(state, scratch, 20, BLOCK);
  for (let i = 0; i < 5; i++) scratch.writeInt32BE(state[i]!, i * 4);
  return scratch.toString("base64", 0, 20);
}

function paddedKey(secret: string): PaddedKey {
  let key = paddedKeys.get(secret);
  if (key === undefined) {
    let bytes = Buffer.from(secret, "utf8");
    if (bytes.length > BLOCK) bytes = createHash("sha1").update(bytes).digest();
    const inner = Buffer.alloc(BLOCK, 0x36);
    const outer = Buffer.alloc(BLOCK, 0x5c);
    for (let i = 0; i < bytes.length; i++) {
      inner[i] = inner[i]! ^ bytes[i]!;
      outer[i] = outer[i]! ^ bytes[i]!;
    }
    key = { inner: INITIAL.slice(), outer: INITIAL.slice() };
    compress(key.inner, inner, BLOCK);
    compress(key.outer, outer, BLOCK);
    if (paddedKeys.size >= 64) paddedKeys.clear();
    paddedKeys.set(secret, key);
  }
  return key;
}

// Pads the `length` bytes at the start of `data` (which has room for the padding) as the last part of a message
// that `before` bytes preceded, and hashes them into `h`.
function finish(h: Int32Array, data: Buffer, length: number, before: number): void {
  const total = (length + 9 + BLOCK - 1) & ~(BLOCK - 1);
  data[length] = 0x80;
  data.fill(0, length + 1, total);
  // Message lengths here stay far below 2^29 bytes: the bit count fits the low 32 bits.
  data.writeUInt32BE(((length + before) * 8) >>> 0, total - 4);
  compress(h, data, total);
}

// The SHA-1 compression function over every 64-byte block of `data` up to `length`.
function compress(h: Int32Array, data: Uint8Array, length: number): void {
  const w = schedule;
  let h0 = h[0]!;
  let h1 = h[1]!;
  let h2 = h[2]!;
  let h3 = h[3]!;
  let h4 = h[4]!;
  for (let offset = 0; offset < length; offset += BLOCK) {
    for (let i = 0; i < 16; i++) {
      const j = offset + i * 4;
      w[i] = (data[j]! << 24) | (data[j + 1]! << 16) | (data[j + 2]! << 8) | data[j + 3]!;
    }
    for (let i = 16; i < 80; i++) {
      const x = w[i - 3]! ^ w[i - 8]! ^ w[i - 14]! ^ w[i - 16]!;
      w[i] = (x << 1) | (x >>> 31);
    }
    let a = h0;
    let b = h1;
    let c = h2;
    let d = h3;
    let e = h4;
    for (let i = 0; i < 80; i++) {
      let f: number;
      let k: number;
      if (i < 20) {
        f = (b & c) | (~b & d);
        k = 0x5a827999;
      } else if (i < 40) {
        f = b ^ c ^ d;
        k = 0x6ed9eba1;
      } else if (i < 60) {
        f = (b & c) | (b & d) | (c & d);
        k = 0x8f1bbcdc | 0;
      } else {
        f = b ^ c ^ d;
        k = 0xca62c1d6 | 0;
      }
      const t = (((a << 5) | (a >>> 27)) + f + e + k + w[i]!) | 0;
      e = d;
      d = c;
      c = (b << 30) | (b >>> 2);
      b = a;
      a = t;
    }
    h0 = (h0 + a) | 0;
    h1 = (h1 + b) | 0;
    h2 = (h2 + c) | 0;
    h3 = (h3 + d) | 0;
    h4 = (h4 + e) | 0;
  }
  h[0] = h0;
  h[1] = h1;
  h[2] = h2;
  h[3] = h3;
  h[4] = h4;
}
