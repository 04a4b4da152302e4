// Object operations on the S3 dialect, driven by the official client, path style and virtual host: put, get,
// head, ranges, conditions, metadata, checksums, copy, delete and delete-many, on the store the OSS side uses.
import { Readable } from "node:stream";
import {
  CopyObjectCommand,
  DeleteObjectCommand,
  DeleteObjectsCommand,
  GetObjectCommand,
  HeadObjectCommand,
  ListObjectsV2Command,
  PutObjectCommand,
  type ChecksumAlgorithm,
} from "@aws-sdk/client-s3";
import { createHash } from "node:crypto";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startOssEmulator, type OssEmulator } from "../../emulator/index.ts";
import { clientFor } from "../emulator/helpers.ts";
import { patterned, rawS3, rejectionOf, s3ClientFor, xmlText, type S3Addressing } from "./helpers.ts";

let emulator: OssEmulator;

beforeAll(async () => {
  emulator = await startOssEmulator();
});
afterAll(async () => {
  await emulator?.stop();
});

const md5 = (data: Buffer | string) => createHash("md5").update(data).digest("hex");

describe.each<S3Addressing>(["path", "virtual-host"])("objects addressed %s style", (addressing) => {
  const key = (name: string) => `objects/${addressing}/${name}`;

  it("puts an object and reads it back whole, as a head, and in ranges", async () => {
    const client = s3ClientFor(emulator, addressing);
    const body = patterned(100_000);
    const name = key("a b+c%25 ü~'!(x)*.bin");
    const put = await client.send(new PutObjectCommand({ Bucket: emulator.bucket, Key: name, Body: body, ContentType: "application/x-test" }));
    expect(put.ETag).toBe(`"${md5(body)}"`);
    const got = await client.send(new GetObjectCommand({ Bucket: emulator.bucket, Key: name }));
    expect(Buffer.from(await got.Body!.transformToByteArray()).equals(body)).toBe(true);
    expect(got.ContentType).toBe("application/x-test");
    expect(got.ContentLength).toBe(100_000);
    const head = await client.send(new HeadObjectCommand({ Bucket: emulator.bucket, Key: name }));
    expect(head.ETag).toBe(put.ETag);
    expect(head.ContentLength).toBe(100_000);
    expect(head.AcceptRanges).toBe("bytes");
    const range = await client.send(new GetObjectCommand({ Bucket: emulator.bucket, Key: name, Range: "bytes=10-19" }));
    expect(range.$metadata.httpStatusCode).toBe(206);
    expect(range.ContentRange).toBe("bytes 10-19/100000");
    expect(Buffer.from(await range.Body!.transformToByteArray()).equals(body.subarray(10, 20))).toBe(true);
    const suffix = await client.send(new GetObjectCommand({ Bucket: emulator.bucket, Key: name, Range: "bytes=-5" }));
    expect(Buffer.from(await suffix.Body!.transformToByteArray()).equals(body.subarray(-5))).toBe(true);
    const pastEnd = await client.send(new GetObjectCommand({ Bucket: emulator.bucket, Key: name, Range: "bytes=99990-200000" }));
    expect(pastEnd.ContentRange).toBe("bytes 99990-99999/100000");
  });

  it("answers 416 InvalidRange for a range that starts past the end", async () => {
    const client = s3ClientFor(emulator, addressing);
    await client.send(new PutObjectCommand({ Bucket: emulator.bucket, Key: key("short.txt"), Body: "0123456789" }));
    const error = await rejectionOf(client.send(new GetObjectCommand({ Bucket: emulator.bucket, Key: key("short.txt"), Range: "bytes=10-" })));
    expect(error.name).toBe("InvalidRange");
    expect(error.$metadata?.httpStatusCode).toBe(416);
  });

  it("streams a body of unknown chunks as the SDK sends it by default (aws-chunked, trailing CRC32)", async () => {
    const client = s3ClientFor(emulator, addressing);
    const parts = [patterned(70_000, 1), patterned(10, 2), patterned(200_000, 3)];
    const whole = Buffer.concat(parts);
    const put = await client.send(
      new PutObjectCommand({ Bucket: emulator.bucket, Key: key("streamed.bin"), Body: Readable.from(parts), ContentLength: whole.length }),
    );
    expect(put.ETag).toBe(`"${md5(whole)}"`);
    expect(put.ChecksumCRC32).toBeDefined();
    const got = await client.send(new GetObjectCommand({ Bucket: emulator.bucket, Key: key("streamed.bin") }));
    expect(Buffer.from(await got.Body!.transformToByteArray()).equals(whole)).toBe(true);
    // The framing is not the object's encoding.
    expect(got.ContentEncoding).toBeUndefined();
  });

  it("keeps x-amz-meta-* and the standard headers, and answers with them", async () => {
    const client = s3ClientFor(emulator, addressing);
    await client.send(
      new PutObjectCommand({
        Bucket: emulator.bucket,
        Key: key("with-meta.txt"),
        Body: "meta",
        Metadata: { Author: "ada", "project-name": "jit" },
        ContentDisposition: 'attachment; filename="m.txt"',
        CacheControl: "no-cache",
        ContentLanguage: "en",
      }),
    );
    const head = await client.send(new HeadObjectCommand({ Bucket: emulator.bucket, Key: key("with-meta.txt") }));
    expect(head.Metadata).toEqual({ author: "ada", "project-name": "jit" });
    expect(head.ContentDisposition).toBe('attachment; filename="m.txt"');
    expect(head.CacheControl).toBe("no-cache");
    expect(head.ContentLanguage).toBe("en");
  });

  it("keeps the tags of x-amz-tagging, counts them on reads, and copies or replaces them", async () => {
    const client = s3ClientFor(emulator, addressing);
    await client.send(new PutObjectCommand({ Bucket: emulator.bucket, Key: key("tagged.txt"), Body: "t", Tagging: "team=storage&stage=dev%20one" }));
    const got = await client.send(new GetObjectCommand({ Bucket: emulator.bucket, Key: key("tagged.txt") }));
    expect(got.TagCount).toBe(2);
    const CopySource = `${emulator.bucket}/${key("tagged.txt")}`;
    await client.send(new CopyObjectCommand({ Bucket: emulator.bucket, Key: key("tagged-copy.txt"), CopySource }));
    expect((await client.send(new GetObjectCommand({ Bucket: emulator.bucket, Key: key("tagged-copy.txt") }))).TagCount).toBe(2);
    await client.send(new CopyObjectCommand({ Bucket: emulator.bucket, Key: key("tagged-replaced.txt"), CopySource, TaggingDirective: "REPLACE", Tagging: "only=one" }));
    expect((await client.send(new GetObjectCommand({ Bucket: emulator.bucket, Key: key("tagged-replaced.txt") }))).TagCount).toBe(1);
  });

  it("answers 304 when If-None-Match holds and 412 when If-Match does not", async () => {
    const client = s3ClientFor(emulator, addressing);
    const put = await client.send(new PutObjectCommand({ Bucket: emulator.bucket, Key: key("conditional.txt"), Body: "v1" }));
    const notModified = await rejectionOf(client.send(new GetObjectCommand({ Bucket: emulator.bucket, Key: key("conditional.txt"), IfNoneMatch: put.ETag })));
    expect(notModified.$metadata?.httpStatusCode).toBe(304);
    const failed = await rejectionOf(client.send(new GetObjectCommand({ Bucket: emulator.bucket, Key: key("conditional.txt"), IfMatch: '"0123"' })));
    expect(failed.name).toBe("PreconditionFailed");
    expect(failed.$metadata?.httpStatusCode).toBe(412);
    const matched = await client.send(new GetObjectCommand({ Bucket: emulator.bucket, Key: key("conditional.txt"), IfMatch: put.ETag }));
    expect(await matched.Body!.transformToString()).toBe("v1");
  });

  it("deletes an object (204 even when it is gone) and then answers 404 NoSuchKey", async () => {
    const client = s3ClientFor(emulator, addressing);
    await client.send(new PutObjectCommand({ Bucket: emulator.bucket, Key: key("doomed.txt"), Body: "x" }));
    expect((await client.send(new DeleteObjectCommand({ Bucket: emulator.bucket, Key: key("doomed.txt") }))).$metadata.httpStatusCode).toBe(204);
    expect((await client.send(new DeleteObjectCommand({ Bucket: emulator.bucket, Key: key("doomed.txt") }))).$metadata.httpStatusCode).toBe(204);
    const error = await rejectionOf(client.send(new GetObjectCommand({ Bucket: emulator.bucket, Key: key("doomed.txt") })));
    expect(error.name).toBe("NoSuchKey");
    expect(error.$metadata?.httpStatusCode).toBe(404);
    const head = await rejectionOf(client.send(new HeadObjectCommand({ Bucket: emulator.bucket, Key: key("doomed.txt") })));
    expect(head.$metadata?.httpStatusCode).toBe(404);
  });

  it("answers 404 NoSuchBucket for a bucket that does not exist", async () => {
    const client = s3ClientFor(emulator, addressing);
    const error = await rejectionOf(client.send(new GetObjectCommand({ Bucket: "no-such-bucket", Key: "x" })));
    expect(error.name).toBe("NoSuchBucket");
    expect(error.$metadata?.httpStatusCode).toBe(404);
  });

  it("copies an object, keeping its metadata or replacing it", async () => {
    const client = s3ClientFor(emulator, addressing);
    const source = key("copy source ü.txt");
    await client.send(new PutObjectCommand({ Bucket: emulator.bucket, Key: source, Body: "copied bytes", ContentType: "text/plain", Metadata: { origin: "source" } }));
    const copy = await client.send(
      new CopyObjectCommand({ Bucket: emulator.bucket, Key: key("copy-kept.txt"), CopySource: `${emulator.bucket}/${encodeURIComponent(source)}` }),
    );
    expect(copy.CopyObjectResult?.ETag).toBe(`"${md5("copied bytes")}"`);
    const kept = await client.send(new GetObjectCommand({ Bucket: emulator.bucket, Key: key("copy-kept.txt") }));
    expect(await kept.Body!.transformToString()).toBe("copied bytes");
    expect(kept.Metadata).toEqual({ origin: "source" });
    expect(kept.ContentType).toBe("text/plain");
    await client.send(
      new CopyObjectCommand({
        Bucket: emulator.bucket,
        Key: key("copy-replaced.txt"),
        CopySource: `${emulator.bucket}/${encodeURIComponent(source)}`,
        MetadataDirective: "REPLACE",
        Metadata: { origin: "copy" },
        ContentType: "text/x-copy",
      }),
    );
    const replaced = await client.send(new HeadObjectCommand({ Bucket: emulator.bucket, Key: key("copy-replaced.txt") }));
    expect(replaced.Metadata).toEqual({ origin: "copy" });
    expect(replaced.ContentType).toBe("text/x-copy");
  });

  it("copies only when the x-amz-copy-source-if-* conditions hold, and answers 412 otherwise", async () => {
    const client = s3ClientFor(emulator, addressing);
    const put = await client.send(new PutObjectCommand({ Bucket: emulator.bucket, Key: key("guarded.txt"), Body: "guarded" }));
    const CopySource = `${emulator.bucket}/${key("guarded.txt")}`;
    const matched = await client.send(new CopyObjectCommand({ Bucket: emulator.bucket, Key: key("guarded-copy.txt"), CopySource, CopySourceIfMatch: put.ETag }));
    expect(matched.CopyObjectResult?.ETag).toBe(put.ETag);
    const mismatch = await rejectionOf(
      client.send(new CopyObjectCommand({ Bucket: emulator.bucket, Key: key("guarded-copy-2.txt"), CopySource, CopySourceIfMatch: '"0000"' })),
    );
    expect(mismatch.name).toBe("PreconditionFailed");
    const unchanged = await rejectionOf(
      client.send(new CopyObjectCommand({ Bucket: emulator.bucket, Key: key("guarded-copy-3.txt"), CopySource, CopySourceIfNoneMatch: put.ETag })),
    );
    expect(unchanged.$metadata?.httpStatusCode).toBe(412);
    expect((await rejectionOf(client.send(new HeadObjectCommand({ Bucket: emulator.bucket, Key: key("guarded-copy-3.txt") })))).$metadata?.httpStatusCode).toBe(404);
  });

  it("refuses to copy an object onto itself without changing anything, and a missing source", async () => {
    const client = s3ClientFor(emulator, addressing);
    await client.send(new PutObjectCommand({ Bucket: emulator.bucket, Key: key("self.txt"), Body: "self" }));
    const self = await rejectionOf(
      client.send(new CopyObjectCommand({ Bucket: emulator.bucket, Key: key("self.txt"), CopySource: `${emulator.bucket}/${key("self.txt")}` })),
    );
    expect(self.name).toBe("InvalidRequest");
    expect(self.$metadata?.httpStatusCode).toBe(400);
    const missing = await rejectionOf(
      client.send(new CopyObjectCommand({ Bucket: emulator.bucket, Key: key("from-nothing.txt"), CopySource: `${emulator.bucket}/${key("nothing")}` })),
    );
    expect(missing.name).toBe("NoSuchKey");
  });

  it("deletes many objects in one request and reports each", async () => {
    const client = s3ClientFor(emulator, addressing);
    const names = ["many/1", "many/2", "many/3 ü"].map(key);
    for (const name of names) await client.send(new PutObjectCommand({ Bucket: emulator.bucket, Key: name, Body: name }));
    const result = await client.send(
      new DeleteObjectsCommand({ Bucket: emulator.bucket, Delete: { Objects: [...names, key("many/never-there")].map((Key) => ({ Key })) } }),
    );
    expect(result.Deleted?.map((d) => d.Key).sort()).toEqual([...names, key("many/never-there")].sort());
    expect(result.Errors ?? []).toEqual([]);
    for (const name of names) {
      expect((await rejectionOf(client.send(new HeadObjectCommand({ Bucket: emulator.bucket, Key: name })))).$metadata?.httpStatusCode).toBe(404);
    }
    const quiet = await client.send(new DeleteObjectsCommand({ Bucket: emulator.bucket, Delete: { Objects: [{ Key: key("q") }], Quiet: true } }));
    expect(quiet.Deleted ?? []).toEqual([]);
  });
});

describe("checksums", () => {
  it.each<ChecksumAlgorithm>(["CRC32", "CRC32C", "CRC64NVME", "SHA1", "SHA256"])("verifies a %s checksum the SDK computed, and answers with the same", async (algorithm) => {
    const client = s3ClientFor(emulator);
    const body = patterned(3000, 9);
    const put = await client.send(new PutObjectCommand({ Bucket: emulator.bucket, Key: `checksums/${algorithm}`, Body: body, ChecksumAlgorithm: algorithm }));
    const field = `Checksum${algorithm}` as "ChecksumCRC32" | "ChecksumCRC32C" | "ChecksumCRC64NVME" | "ChecksumSHA1" | "ChecksumSHA256";
    expect(put[field]).toMatch(/^[A-Za-z0-9+/]+=*$/);
    // Streamed, the checksum travels as a trailing header, and is checked all the same.
    const streamed = await client.send(
      new PutObjectCommand({ Bucket: emulator.bucket, Key: `checksums/${algorithm}-streamed`, Body: Readable.from([body]), ContentLength: body.length, ChecksumAlgorithm: algorithm }),
    );
    expect(streamed[field]).toBe(put[field]);
  });

  it("refuses a CRC64NVME that is not the body's with 400 BadDigest, and takes the catalogue's check value", async () => {
    const client = s3ClientFor(emulator);
    // CRC-64/NVME of "123456789" is 0xAE8B14860A799888 (the CRC catalogue's check value), base64 of its 8 bytes.
    const right = await client.send(new PutObjectCommand({ Bucket: emulator.bucket, Key: "checksums/nvme.txt", Body: "123456789", ChecksumCRC64NVME: "rosUhgp5mIg=" }));
    expect(right.ChecksumCRC64NVME).toBe("rosUhgp5mIg=");
    const wrong = await rejectionOf(
      client.send(new PutObjectCommand({ Bucket: emulator.bucket, Key: "checksums/nvme.txt", Body: "12345678X", ChecksumCRC64NVME: "rosUhgp5mIg=" })),
    );
    expect(wrong.name).toBe("BadDigest");
    const got = await client.send(new GetObjectCommand({ Bucket: emulator.bucket, Key: "checksums/nvme.txt" }));
    expect(await got.Body!.transformToString()).toBe("123456789");
  });

  it("refuses a body whose checksum does not match with 400 BadDigest, and keeps the object it would replace", async () => {
    const client = s3ClientFor(emulator);
    await client.send(new PutObjectCommand({ Bucket: emulator.bucket, Key: "checksums/kept.txt", Body: "the original" }));
    const error = await rejectionOf(
      client.send(new PutObjectCommand({ Bucket: emulator.bucket, Key: "checksums/kept.txt", Body: "a replacement", ChecksumCRC32: "AAAAAA==" })),
    );
    expect(error.name).toBe("BadDigest");
    expect(error.$metadata?.httpStatusCode).toBe(400);
    const got = await client.send(new GetObjectCommand({ Bucket: emulator.bucket, Key: "checksums/kept.txt" }));
    expect(await got.Body!.transformToString()).toBe("the original");
  });

  it("refuses a wrong Content-MD5 with 400 BadDigest and a malformed one with 400 InvalidDigest", async () => {
    const client = s3ClientFor(emulator);
    const wrong = await rejectionOf(
      client.send(new PutObjectCommand({ Bucket: emulator.bucket, Key: "checksums/md5.txt", Body: "body", ContentMD5: createHash("md5").update("other").digest("base64") })),
    );
    expect(wrong.name).toBe("BadDigest");
    const malformed = await rejectionOf(client.send(new PutObjectCommand({ Bucket: emulator.bucket, Key: "checksums/md5.txt", Body: "body", ContentMD5: "not-md5" })));
    expect(malformed.name).toBe("InvalidDigest");
    const right = await client.send(
      new PutObjectCommand({ Bucket: emulator.bucket, Key: "checksums/md5.txt", Body: "body", ContentMD5: createHash("md5").update("body").digest("base64") }),
    );
    expect(right.ETag).toBe(`"${md5("body")}"`);
  });

  it("refuses a checksum header that is not well-formed with 400 InvalidRequest", async () => {
    const response = await rawS3(emulator, {
      method: "PUT",
      path: `/${emulator.bucket}/checksums/malformed.txt`,
      headers: { "x-amz-checksum-crc32": "not base64!" },
      body: "body",
    });
    expect(response.status).toBe(400);
    expect(xmlText(response.body, "Code")).toBe("InvalidRequest");
  });
});

describe("one store for both dialects", () => {
  it("reads with ali-oss what the S3 client wrote, and the other way round", async () => {
    const s3 = s3ClientFor(emulator);
    const oss = clientFor(emulator);
    await s3.send(new PutObjectCommand({ Bucket: emulator.bucket, Key: "shared/from-s3.txt", Body: "written by S3", Metadata: { via: "s3" } }));
    const read = await oss.get("shared/from-s3.txt");
    expect(read.content.toString()).toBe("written by S3");
    expect((await oss.head("shared/from-s3.txt")).meta).toEqual({ via: "s3" });
    await oss.put("shared/from-oss.txt", Buffer.from("written by OSS"), { meta: { via: "oss" } });
    const got = await s3.send(new GetObjectCommand({ Bucket: emulator.bucket, Key: "shared/from-oss.txt" }));
    expect(await got.Body!.transformToString()).toBe("written by OSS");
    expect(got.Metadata).toEqual({ via: "oss" });
    expect(got.ETag).toBe(`"${md5("written by OSS")}"`);
  });
});

describe("storage classes", () => {
  it("keeps the storage class a write asks for, names it on reads and listings, and refuses one it does not have", async () => {
    const client = s3ClientFor(emulator);
    await client.send(new PutObjectCommand({ Bucket: emulator.bucket, Key: "classes/ia.txt", Body: "ia", StorageClass: "STANDARD_IA" }));
    expect((await client.send(new HeadObjectCommand({ Bucket: emulator.bucket, Key: "classes/ia.txt" }))).StorageClass).toBe("STANDARD_IA");
    const listed = await client.send(new ListObjectsV2Command({ Bucket: emulator.bucket, Prefix: "classes/" }));
    expect(listed.Contents?.map((o) => o.StorageClass)).toEqual(["STANDARD_IA"]);
    const refused = await rejectionOf(
      client.send(new PutObjectCommand({ Bucket: emulator.bucket, Key: "classes/odd.txt", Body: "x", StorageClass: "REDUCED_REDUNDANCY" })),
    );
    expect(refused.name).toBe("InvalidStorageClass");
  });
});
