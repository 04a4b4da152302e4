// A digest of bytes in one call: crypto.hash (Node 20.12 and later) rather than a Hash object per call, whose
// native handle costs more than hashing a small body or a string to sign; createHash where Node is older.
import * as nodeCrypto from "node:crypto";

export const digestOf: (algorithm: "md5" | "sha1", data: Buffer) => Buffer =
  typeof nodeCrypto.hash === "function"
    ? (algorithm, data) => nodeCrypto.hash(algorithm, data, "buffer")
    : (algorithm, data) => nodeCrypto.createHash(algorithm).update(data).digest();
