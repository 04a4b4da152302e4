// Deterministic test data and hashes, shared by the contract suite and the storage suites.
import { createHash } from "node:crypto";
import { Readable } from "node:stream";

/**
 * `size` bytes of deterministic noise, generated as it is read (never held whole), in chunks of `chunkSize`.
 * The same `seed` gives the same bytes.
 */
export function noiseStream(size: number, seed = 1, chunkSize = 1 << 20): Readable {
  let produced = 0;
  let counter = 0;
  // One pseudo-random block, varied per chunk by a counter: cheap to make, different everywhere.
  const block = noise(chunkSize, seed);
  return new Readable({
    read() {
      if (produced >= size) {
        this.push(null);
        return;
      }
      const length = Math.min(chunkSize, size - produced);
      const chunk = Buffer.from(block.subarray(0, length));
      chunk.writeUInt32LE(counter++ >>> 0, 0);
      produced += length;
      this.push(chunk);
    },
  });
}

/** `size` bytes of deterministic noise in memory. */
export function noise(size: number, seed = 1): Buffer {
  const data = Buffer.allocUnsafe(size);
  let x = seed >>> 0 || 1;
  for (let i = 0; i + 4 <= size; i += 4) {
    x ^= x << 13;
    x >>>= 0;
    x ^= x >>> 17;
    x ^= x << 5;
    x >>>= 0;
    data.writeUInt32LE(x, i);
  }
  for (let i = size - (size % 4); i < size; i++) data[i] = i & 0xff;
  return data;
}

/** SHA-256 (hex) of a buffer or of everything a stream gives. */
export async function sha256(source: Buffer | Readable): Promise<string> {
  const hash = createHash("sha256");
  if (Buffer.isBuffer(source)) return hash.update(source).digest("hex");
  for await (const chunk of source as AsyncIterable<Buffer>) hash.update(chunk);
  return hash.digest("hex");
}

/** MD5 in upper-case hex: the ETag of an object stored whole. */
export function md5(data: Buffer): string {
  return createHash("md5").update(data).digest("hex").toUpperCase();
}
