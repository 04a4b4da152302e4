// Small statistics and test data shared by the benchmarks: the median resists the noise of a shared machine.
import { createWriteStream } from "node:fs";
import { Readable } from "node:stream";
import { pipeline } from "node:stream/promises";

const MiB = 1024 * 1024;

/** The middle value of `values`. */
export function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const middle = Math.floor(sorted.length / 2);
  return sorted.length % 2 === 1 ? sorted[middle]! : (sorted[middle - 1]! + sorted[middle]!) / 2;
}

/** `size` bytes that differ everywhere (xorshift32), so that no layer can compress or deduplicate them. */
export function noise(size: number, seed = 2463534242): Buffer {
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
  return data;
}

/** `size` bytes of cheap noise (a pattern varied per MiB), written without holding them. */
export async function writeNoise(file: string, size: number): Promise<void> {
  const block = noise(MiB);
  let written = 0;
  let counter = 0;
  const chunks = new Readable({
    read() {
      if (written >= size) return void this.push(null);
      const chunk = Buffer.from(block.subarray(0, Math.min(MiB, size - written)));
      chunk.writeUInt32LE(counter++, 0);
      written += chunk.length;
      this.push(chunk);
    },
  });
  await pipeline(chunks, createWriteStream(file));
}
