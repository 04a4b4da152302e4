// One fix to s3rver 3.7.1, applied in its process before it starts: its filesystem store answers a PUT before the
// object's file is written (it resolves when the body has been read, not when the write stream has finished), so a
// GET right after a PUT can find an empty or missing file. That is no S3 behaviour and tests nothing of a client;
// this replaces FilesystemStore#putObject with the same steps that wait for the write, into a temporary file renamed
// into place. Everything else (protocol, XML, errors, listing) stays s3rver's own.
import { randomUUID } from "node:crypto";
import { createWriteStream } from "node:fs";
import { mkdir, rename, rm } from "node:fs/promises";
import { createRequire } from "node:module";
import { dirname } from "node:path";
import { Readable, Transform } from "node:stream";
import { pipeline } from "node:stream/promises";
import { createHash } from "node:crypto";

interface StoredObject {
  bucket: string;
  key: string;
  content: Buffer | Readable;
  metadata: Record<string, string>;
}

interface FilesystemStore {
  getResourcePath(bucket: string, key: string, resource: string): string;
  putMetadata(bucket: string, key: string, metadata: Record<string, string>, md5: string): Promise<void>;
  putObject(object: StoredObject): Promise<{ size: number; md5: string }>;
}

/** Makes s3rver's filesystem store acknowledge a PUT only once the object is on disk. */
export function fixS3rverWrites(): void {
  const require = createRequire(import.meta.url);
  const Store = require("s3rver/lib/stores/filesystem.js") as { prototype: FilesystemStore };
  Store.prototype.putObject = async function putObject(this: FilesystemStore, object: StoredObject) {
    const objectPath = this.getResourcePath(object.bucket, object.key, "object");
    await mkdir(dirname(objectPath), { recursive: true });
    // Not ending in "._S3rver_object", so listings never see it.
    const temporary = `${objectPath}.${randomUUID()}.part`;
    const hash = createHash("md5");
    let size = 0;
    const count = new Transform({
      transform(chunk: Buffer, _encoding, done) {
        hash.update(chunk);
        size += chunk.length;
        done(null, chunk);
      },
    });
    try {
      await pipeline(Buffer.isBuffer(object.content) ? Readable.from([object.content]) : object.content, count, createWriteStream(temporary));
      await rename(temporary, objectPath);
    } catch (error) {
      await rm(temporary, { force: true });
      throw error;
    }
    const md5 = hash.digest("hex");
    await this.putMetadata(object.bucket, object.key, object.metadata, md5);
    return { size, md5 };
  };
}
