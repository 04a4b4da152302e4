// One store, two dialects: what an S3 client writes, an OSS client reads as the service would serve it (with the
// CRC-64 it verifies), and what the OSS side keeps (multipart objects as linked parts, encryption, archive
// classes, symlinks, ACLs) reads through the S3 dialect as S3 would answer.
import {
  CompleteMultipartUploadCommand,
  CopyObjectCommand,
  CreateMultipartUploadCommand,
  GetObjectCommand,
  HeadObjectCommand,
  PutObjectCommand,
  UploadPartCommand,
  UploadPartCopyCommand,
} from "@aws-sdk/client-s3";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startOssEmulator, type OssEmulator } from "../../emulator/index.ts";
import { clientFor, referenceCrc64, type Client } from "../emulator/helpers.ts";
import { patterned, rawS3, rejectionOf, s3ClientFor, xmlText } from "./helpers.ts";

const MiB = 1024 * 1024;
const OPEN_BUCKET = "open-bucket";
let emulator: OssEmulator;
let oss: Client;

beforeAll(async () => {
  // Restores complete at once: whether a restore is done never depends on the test's timing.
  emulator = await startOssEmulator({ buckets: [OPEN_BUCKET], restoreDelayMs: 0 });
  oss = clientFor(emulator);
});
afterAll(async () => {
  await emulator?.stop();
});

async function bytesOf(Key: string, Range?: string): Promise<Buffer> {
  const got = await s3ClientFor(emulator).send(new GetObjectCommand({ Bucket: emulator.bucket, Key, ...(Range ? { Range } : {}) }));
  return Buffer.from(await got.Body!.transformToByteArray());
}

// An object of two parts, the first of S3's minimum size, completed through the S3 dialect.
async function multipartObject(Key: string, parts: Buffer[]): Promise<void> {
  const client = s3ClientFor(emulator);
  const Bucket = emulator.bucket;
  const { UploadId } = await client.send(new CreateMultipartUploadCommand({ Bucket, Key }));
  const etags: string[] = [];
  for (const [i, Body] of parts.entries()) etags.push((await client.send(new UploadPartCommand({ Bucket, Key, UploadId, PartNumber: i + 1, Body }))).ETag!);
  await client.send(
    new CompleteMultipartUploadCommand({ Bucket, Key, UploadId, MultipartUpload: { Parts: etags.map((ETag, i) => ({ ETag, PartNumber: i + 1 })) } }),
  );
}

describe("objects written through the S3 dialect, read by an OSS client", () => {
  it("carry the CRC-64 of their bytes, small and large, as the service computes it", async () => {
    for (const size of [0, 1000, 200 * 1024]) {
      const body = patterned(size, size);
      await s3ClientFor(emulator).send(new PutObjectCommand({ Bucket: emulator.bucket, Key: `crc/s3-${size}.bin`, Body: body }));
      const head = await oss.head(`crc/s3-${size}.bin`);
      expect(head.res.headers["x-oss-hash-crc64ecma"]).toBe(referenceCrc64(body));
      const got = await oss.get(`crc/s3-${size}.bin`);
      expect(got.content.equals(body)).toBe(true);
    }
  });

  it("carry, after an S3 multipart upload, the CRC-64 the OSS side gives the same bytes put whole", async () => {
    const parts = [patterned(5 * MiB, 11), patterned(3000, 12)];
    await multipartObject("crc/s3-multipart.bin", parts);
    await oss.put("crc/oss-whole.bin", Buffer.concat(parts));
    const composed = (await oss.head("crc/s3-multipart.bin")).res.headers["x-oss-hash-crc64ecma"];
    expect(composed).toBeDefined();
    expect(composed).toBe((await oss.head("crc/oss-whole.bin")).res.headers["x-oss-hash-crc64ecma"]);
    expect((await oss.get("crc/s3-multipart.bin")).content.equals(Buffer.concat(parts))).toBe(true);
  });
});

describe("a completed multipart object (its parts linked, not copied)", () => {
  const parts = [patterned(5 * MiB, 21), patterned(5 * MiB, 22), patterned(777, 23)];
  const whole = Buffer.concat(parts);

  beforeAll(async () => {
    await multipartObject("segmented/object.bin", parts);
  });

  it("reads whole, and in ranges that cross from one part into the next", async () => {
    expect((await bytesOf("segmented/object.bin")).equals(whole)).toBe(true);
    const start = 5 * MiB - 100;
    const end = 10 * MiB + 50;
    expect((await bytesOf("segmented/object.bin", `bytes=${start}-${end}`)).equals(whole.subarray(start, end + 1))).toBe(true);
    expect((await bytesOf("segmented/object.bin", "bytes=-10")).equals(whole.subarray(whole.length - 10))).toBe(true);
  });

  it("copies whole with CopyObject, keeping its bytes and CRC-64", async () => {
    await s3ClientFor(emulator).send(
      new CopyObjectCommand({ Bucket: emulator.bucket, Key: "segmented/copy.bin", CopySource: `${emulator.bucket}/segmented/object.bin` }),
    );
    expect((await bytesOf("segmented/copy.bin")).equals(whole)).toBe(true);
    const [copy, source] = await Promise.all([oss.head("segmented/copy.bin"), oss.head("segmented/object.bin")]);
    expect(copy.res.headers["x-oss-hash-crc64ecma"]).toBe(source.res.headers["x-oss-hash-crc64ecma"]);
  });

  it("gives a part copy a range that spans two of its parts", async () => {
    const client = s3ClientFor(emulator);
    const Bucket = emulator.bucket;
    const Key = "segmented/from-range.bin";
    const { UploadId } = await client.send(new CreateMultipartUploadCommand({ Bucket, Key }));
    const start = 3 * MiB;
    const end = 8 * MiB - 1;
    const copied = await client.send(
      new UploadPartCopyCommand({ Bucket, Key, UploadId, PartNumber: 1, CopySource: `${Bucket}/segmented/object.bin`, CopySourceRange: `bytes=${start}-${end}` }),
    );
    await client.send(
      new CompleteMultipartUploadCommand({ Bucket, Key, UploadId, MultipartUpload: { Parts: [{ PartNumber: 1, ETag: copied.CopyPartResult!.ETag }] } }),
    );
    const expected = whole.subarray(start, end + 1);
    expect((await bytesOf(Key)).equals(expected)).toBe(true);
    const putWhole = await oss.put("segmented/range-whole.bin", expected);
    expect((await oss.head(Key)).res.headers["x-oss-hash-crc64ecma"]).toBe(putWhole.res.headers["x-oss-hash-crc64ecma"]);
  });
});

describe("server-side encryption", () => {
  it("keeps S3's x-amz-server-side-encryption and KMS key id, echoes them in S3's names and shows them to OSS clients", async () => {
    const client = s3ClientFor(emulator);
    const put = await client.send(
      new PutObjectCommand({ Bucket: emulator.bucket, Key: "sse/kms.txt", Body: "secret-ish", ServerSideEncryption: "aws:kms", SSEKMSKeyId: "key-1" }),
    );
    expect(put.ServerSideEncryption).toBe("aws:kms");
    expect(put.SSEKMSKeyId).toBe("key-1");
    const head = await client.send(new HeadObjectCommand({ Bucket: emulator.bucket, Key: "sse/kms.txt" }));
    expect([head.ServerSideEncryption, head.SSEKMSKeyId]).toEqual(["aws:kms", "key-1"]);
    const ossHead = await oss.head("sse/kms.txt");
    expect(ossHead.res.headers["x-oss-server-side-encryption"]).toBe("KMS");
    expect(ossHead.res.headers["x-oss-server-side-encryption-key-id"]).toBe("key-1");
  });

  it("answers an object the OSS side encrypted with S3's header, not the OSS one", async () => {
    await oss.put("sse/aes.txt", Buffer.from("aes"), { headers: { "x-oss-server-side-encryption": "AES256" } });
    const answer = await rawS3(emulator, { method: "HEAD", path: `/${emulator.bucket}/sse/aes.txt` });
    expect(answer.headers["x-amz-server-side-encryption"]).toBe("AES256");
    expect(answer.headers["x-oss-server-side-encryption"]).toBeUndefined();
  });

  it("refuses an encryption S3 does not offer with 400 InvalidArgument", async () => {
    const answer = await rawS3(emulator, {
      method: "PUT",
      path: `/${emulator.bucket}/sse/bad.txt`,
      headers: { "x-amz-server-side-encryption": "ROT13" },
      body: "x",
    });
    expect(answer.status).toBe(400);
    expect(xmlText(answer.body, "Code")).toBe("InvalidArgument");
  });
});

describe("archive storage classes", () => {
  it("answers GET of an unrestored Archive object with 403 InvalidObjectState, and HEAD with its S3 class", async () => {
    await oss.put("archive/cold.txt", Buffer.from("frozen"), { headers: { "x-oss-storage-class": "Archive" } });
    const client = s3ClientFor(emulator);
    const error = await rejectionOf(client.send(new GetObjectCommand({ Bucket: emulator.bucket, Key: "archive/cold.txt" })));
    expect(error.name).toBe("InvalidObjectState");
    expect(error.$metadata?.httpStatusCode).toBe(403);
    const head = await client.send(new HeadObjectCommand({ Bucket: emulator.bucket, Key: "archive/cold.txt" }));
    expect(head.StorageClass).toBe("GLACIER");
    const copy = await rejectionOf(
      client.send(new CopyObjectCommand({ Bucket: emulator.bucket, Key: "archive/copy.txt", CopySource: `${emulator.bucket}/archive/cold.txt` })),
    );
    expect(copy.name).toBe("InvalidObjectState");
  });

  it("reads an Archive object once the OSS side restored it, with x-amz-restore saying until when", async () => {
    await oss.put("archive/thawed.txt", Buffer.from("thawed"), { headers: { "x-oss-storage-class": "Archive" } });
    await oss.restore("archive/thawed.txt", { Days: 2 });
    const client = s3ClientFor(emulator);
    const head = await client.send(new HeadObjectCommand({ Bucket: emulator.bucket, Key: "archive/thawed.txt" }));
    expect(head.Restore).toMatch(/^ongoing-request="false", expiry-date=".+ GMT"$/);
    expect((await bytesOf("archive/thawed.txt")).toString()).toBe("thawed");
  });
});

describe("anonymous reads through a symlink", () => {
  it("are decided by the target's ACL, so that a link in an open bucket does not open a private object", async () => {
    const owner = clientFor({ ...emulator, bucket: OPEN_BUCKET });
    await owner.putBucketACL(OPEN_BUCKET, "public-read-write");
    await owner.put("private.txt", Buffer.from("mine"), { headers: { "x-oss-object-acl": "private" } });
    await owner.putSymlink("alias", "private.txt");
    const anonymous = await rawS3(emulator, {
      method: "GET",
      path: `/${OPEN_BUCKET}/alias`,
      headers: { "x-amz-content-sha256": "UNSIGNED-PAYLOAD" },
      sign: false,
    });
    expect(anonymous.status).toBe(403);
    expect(xmlText(anonymous.body, "Code")).toBe("AccessDenied");
    expect(anonymous.body).not.toContain("mine");
  });
});
