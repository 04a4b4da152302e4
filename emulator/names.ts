// Names as the service checks and orders them.
import { errors } from "./errors.ts";

const LONE_SURROGATE = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/;
const BUCKET_NAME = /^[a-z0-9][a-z0-9-]{1,61}[a-z0-9]$/;

/** True when `name` is a bucket name the service accepts: 3–63 of a-z, 0-9 and `-`, no `-` at either end. */
export function isBucketName(name: string): boolean {
  return BUCKET_NAME.test(name);
}

/** Throws 400 InvalidBucketName unless `name` is a valid bucket name. */
export function checkBucketName(name: string): void {
  if (!isBucketName(name)) throw errors.invalidBucketName(name);
}

/** Throws 400 InvalidObjectName unless `key` is 1–1023 bytes of UTF-8 not starting with `/` or `\`. */
export function checkObjectName(key: string): void {
  const bytes = Buffer.byteLength(key, "utf8");
  if (bytes < 1 || bytes > 1023 || key.startsWith("/") || key.startsWith("\\") || LONE_SURROGATE.test(key)) {
    throw errors.invalidObjectName(key);
  }
}

/**
 * Orders keys as the service lists them: by UTF-8 bytes, which is code point order. JavaScript's `<` compares
 * UTF-16 code units, which puts astral characters (surrogates) before U+E000–U+FFFF; this corrects for that.
 */
export function compareKeys(a: string, b: string): number {
  const n = Math.min(a.length, b.length);
  for (let i = 0; i < n; i++) {
    const x = a.charCodeAt(i);
    const y = b.charCodeAt(i);
    if (x !== y) return fixUp(x) - fixUp(y);
  }
  return a.length - b.length;
}

function fixUp(unit: number): number {
  if (unit < 0xd800) return unit;
  return unit >= 0xe000 ? unit - 0x800 : unit + 0x2000;
}
