// CRC-64/ECMA-182 as the service computes it for x-oss-hash-crc64ecma (the reflected form also known as
// CRC-64/XZ: polynomial 0x42F0E1EBA9EA3693, initial value and final xor all ones), and the combination of two
// CRCs into the CRC of the concatenation, which is how a multipart object gets its value without rereading its
// parts. Written here rather than taken from npm: the packages there wrap an emscripten build that copies every
// buffer into its own heap and offer no way to combine values.
//
// The running value is kept as two unsigned 32-bit halves so that the hot loop stays in small integers, eight
// bytes at a time (slicing-by-8); BigInt is used only for combining, which runs once per part.

const POLY_HI = 0xc96c5795;
const POLY_LO = 0xd7870f42;
const POLY = 0xc96c5795d7870f42n;
const MASK = 0xffffffffffffffffn;

/** Slicing-by-8 tables of a reflected 64-bit CRC: hi[k * 256 + i], lo[…] are the effect of byte i followed by k zero bytes. */
interface Crc64Tables {
  hi: Uint32Array;
  lo: Uint32Array;
}

function tablesFor(polyHi: number, polyLo: number): Crc64Tables {
  const hiTable = new Uint32Array(8 * 256);
  const loTable = new Uint32Array(8 * 256);
  for (let i = 0; i < 256; i++) {
    let hi = 0;
    let lo = i;
    for (let bit = 0; bit < 8; bit++) {
      const carry = lo & 1;
      lo = ((lo >>> 1) | ((hi & 1) << 31)) >>> 0;
      hi = hi >>> 1;
      if (carry) {
        hi = (hi ^ polyHi) >>> 0;
        lo = (lo ^ polyLo) >>> 0;
      }
    }
    hiTable[i] = hi;
    loTable[i] = lo;
  }
  for (let k = 1; k < 8; k++) {
    for (let i = 0; i < 256; i++) {
      const hi = hiTable[(k - 1) * 256 + i]!;
      const lo = loTable[(k - 1) * 256 + i]!;
      const index = lo & 0xff;
      hiTable[k * 256 + i] = ((hi >>> 8) ^ hiTable[index]!) >>> 0;
      loTable[k * 256 + i] = (((lo >>> 8) | (hi << 24)) ^ loTable[index]!) >>> 0;
    }
  }
  return { hi: hiTable, lo: loTable };
}

const ECMA_TABLES = tablesFor(POLY_HI, POLY_LO);
let nvmeTables: Crc64Tables | undefined;

/**
 * The tables of CRC-64/NVME, S3's CRC64NVME checksum (reflected polynomial 0x9A6C9329AC4BC9B5, initial value and
 * final xor all ones: the same shape as CRC-64/XZ with another polynomial), made on first use.
 */
function crc64NvmeTables(): Crc64Tables {
  nvmeTables ??= tablesFor(0x9a6c9329, 0xac4bc9b5);
  return nvmeTables;
}

/** An incremental CRC: `update` with each piece in order, then `value()` or `bytes()`. */
export interface IncrementalCrc64 {
  update(data: Uint8Array): this;
  /** The CRC of everything so far, as the decimal string the OSS service sends. */
  value(): string;
  /** The CRC of everything so far as eight big-endian bytes (how S3 sends CRC64NVME, base64-encoded). */
  bytes(): Buffer;
}

// A class per polynomial, its tables constants of the closure as they were of the module when there was one: the
// loop every OSS body runs through keeps reading fixed arrays, not a field of each instance.
function crc64Class(tables: Crc64Tables): new () => IncrementalCrc64 {
  const TABLE_HI = tables.hi;
  const TABLE_LO = tables.lo;
  return class implements IncrementalCrc64 {
    // The register, inverted (the initial value is all ones).
    private hi = 0xffffffff;
    private lo = 0xffffffff;

    update(data: Uint8Array): this {
      let hi = this.hi;
      let lo = this.lo;
      let i = 0;
      const end8 = data.length - (data.length % 8);
      // One little-endian 32-bit load instead of four byte loads and shifts: a fifth less time per 4 KiB body.
      const view = new DataView(data.buffer, data.byteOffset, data.byteLength);
      for (; i < end8; i += 8) {
        lo ^= view.getUint32(i, true);
        hi ^= view.getUint32(i + 4, true);
        const a = 7 * 256 + (lo & 0xff);
        const b = 6 * 256 + ((lo >>> 8) & 0xff);
        const c = 5 * 256 + ((lo >>> 16) & 0xff);
        const d = 4 * 256 + (lo >>> 24);
        const e = 3 * 256 + (hi & 0xff);
        const f = 2 * 256 + ((hi >>> 8) & 0xff);
        const g = 256 + ((hi >>> 16) & 0xff);
        const h = hi >>> 24;
        lo = TABLE_LO[a]! ^ TABLE_LO[b]! ^ TABLE_LO[c]! ^ TABLE_LO[d]! ^ TABLE_LO[e]! ^ TABLE_LO[f]! ^ TABLE_LO[g]! ^ TABLE_LO[h]!;
        hi = TABLE_HI[a]! ^ TABLE_HI[b]! ^ TABLE_HI[c]! ^ TABLE_HI[d]! ^ TABLE_HI[e]! ^ TABLE_HI[f]! ^ TABLE_HI[g]! ^ TABLE_HI[h]!;
      }
      for (; i < data.length; i++) {
        const index = (lo ^ data[i]!) & 0xff;
        lo = ((lo >>> 8) | (hi << 24)) ^ TABLE_LO[index]!;
        hi = (hi >>> 8) ^ TABLE_HI[index]!;
      }
      this.hi = hi >>> 0;
      this.lo = lo >>> 0;
      return this;
    }

    value(): string {
      return ((((BigInt(this.hi) << 32n) | BigInt(this.lo)) ^ MASK) & MASK).toString();
    }

    bytes(): Buffer {
      const bytes = Buffer.allocUnsafe(8);
      bytes.writeUInt32BE(~this.hi >>> 0, 0);
      bytes.writeUInt32BE(~this.lo >>> 0, 4);
      return bytes;
    }
  };
}

/** An incremental CRC-64/ECMA-182, the OSS service's x-oss-hash-crc64ecma. */
export const Crc64 = crc64Class(ECMA_TABLES);
export type Crc64 = IncrementalCrc64;

let Crc64NvmeClass: (new () => IncrementalCrc64) | undefined;

/** An incremental CRC-64/NVME (S3's CRC64NVME), its tables made on first use. */
export function newCrc64Nvme(): IncrementalCrc64 {
  Crc64NvmeClass ??= crc64Class(crc64NvmeTables());
  return new Crc64NvmeClass();
}

/** The CRC-64/ECMA-182 of `data`, as a decimal string. */
export function crc64(data: Uint8Array): string {
  return new Crc64().update(data).value();
}

/** The CRC of A followed by B, from the CRC of A, the CRC of B and the length of B (values as decimal strings). */
export function combineCrc64(first: string, second: string, secondLength: number): string {
  if (secondLength === 0) return first;
  return (multiplyModP(zerosOperator(secondLength), BigInt(first)) ^ BigInt(second)).toString();
}

// Polynomials over GF(2) modulo the CRC's, in the reflected order: the top bit is x^0. This is zlib's
// crc32_combine method (x^(8n) mod P applied to the first CRC), widened to 64 bits.
function multiplyModP(a: bigint, b: bigint): bigint {
  let m = 1n << 63n;
  let product = 0n;
  for (;;) {
    if (a & m) {
      product ^= b;
      if ((a & (m - 1n)) === 0n) break;
    }
    m >>= 1n;
    b = b & 1n ? (b >> 1n) ^ POLY : b >> 1n;
  }
  return product;
}

// X_POWERS[k] = x^(2^k) mod P.
const X_POWERS: bigint[] = [1n << 62n];
for (let k = 1; k < 64; k++) X_POWERS.push(multiplyModP(X_POWERS[k - 1]!, X_POWERS[k - 1]!));

// Parts of one upload mostly share a size: the operator for a length is worth keeping.
const operators = new Map<number, bigint>();

// x^(8 * length) mod P: what appending `length` zero bytes does to a CRC register.
function zerosOperator(length: number): bigint {
  const known = operators.get(length);
  if (known !== undefined) return known;
  let p = 1n << 63n;
  let k = 3;
  for (let n = length; n > 0; n = Math.floor(n / 2), k++) {
    if (n % 2 === 1) p = multiplyModP(X_POWERS[k % 64]!, p);
  }
  if (operators.size < 1024) operators.set(length, p);
  return p;
}
