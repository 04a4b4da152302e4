// The additional checksums S3 verifies on upload (user guide, "Checking object integrity"): CRC32 and CRC32C as
// four big-endian bytes, CRC64NVME as eight, SHA-1 and SHA-256 as their digests, all sent base64-encoded in
// x-amz-checksum-<name>. CRC32 is Node's (zlib.crc32); Node has no CRC32C, so that one is the table-driven
// Castagnoli CRC below, and CRC64NVME is the OSS side's CRC-64 with NVMe's polynomial.
import { createHash, type Hash } from "node:crypto";
import { crc32 } from "node:zlib";
import { newCrc64Nvme } from "../crc64.ts";

export type ChecksumName = "crc32" | "crc32c" | "crc64nvme" | "sha1" | "sha256";
export const CHECKSUM_NAMES: readonly ChecksumName[] = ["crc32", "crc32c", "crc64nvme", "sha1", "sha256"];

/** A running checksum of one algorithm. */
export interface Checksum {
  update(data: Buffer): void;
  /** The base64 value, as it travels in x-amz-checksum-<name>. */
  digest(): string;
}

export function newChecksum(name: ChecksumName): Checksum {
  switch (name) {
    case "crc32":
      return new Crc(crc32);
    case "crc32c":
      return new Crc(crc32c);
    case "crc64nvme":
      return new Crc64Nvme();
    case "sha1":
    case "sha256":
      return new Digest(createHash(name));
  }
}

/** The checksum of `data` in one call. */
export function checksumOf(name: ChecksumName, data: Buffer): string {
  const checksum = newChecksum(name);
  checksum.update(data);
  return checksum.digest();
}

/** The length a well-formed base64 value of `name` has. */
export function checksumLength(name: ChecksumName): number {
  return { crc32: 8, crc32c: 8, crc64nvme: 12, sha1: 28, sha256: 44 }[name];
}

class Crc implements Checksum {
  private value = 0;
  constructor(private readonly step: (data: Buffer, value: number) => number) {}
  update(data: Buffer): void {
    this.value = this.step(data, this.value);
  }
  digest(): string {
    const bytes = Buffer.allocUnsafe(4);
    bytes.writeUInt32BE(this.value >>> 0);
    return bytes.toString("base64");
  }
}

class Crc64Nvme implements Checksum {
  private readonly crc = newCrc64Nvme();
  update(data: Buffer): void {
    this.crc.update(data);
  }
  digest(): string {
    return this.crc.bytes().toString("base64");
  }
}

class Digest implements Checksum {
  constructor(private readonly hash: Hash) {}
  update(data: Buffer): void {
    this.hash.update(data);
  }
  digest(): string {
    return this.hash.digest("base64");
  }
}

// CRC-32C (Castagnoli): reflected polynomial 0x82F63B78, initial and final XOR 0xFFFFFFFF.
const CRC32C_TABLE = (() => {
  const table = new Uint32Array(256);
  for (let n = 0; n < 256; n++) {
    let c = n;
    for (let k = 0; k < 8; k++) c = c & 1 ? 0x82f63b78 ^ (c >>> 1) : c >>> 1;
    table[n] = c >>> 0;
  }
  return table;
})();

/** CRC-32C of `data`, continuing from `value` (the CRC of what came before; 0 to start). */
export function crc32c(data: Buffer, value = 0): number {
  let c = ~value >>> 0;
  for (let i = 0; i < data.length; i++) c = CRC32C_TABLE[(c ^ data[i]!) & 0xff]! ^ (c >>> 8);
  return ~c >>> 0;
}
