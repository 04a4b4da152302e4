// Multipart uploads on the S3 dialect, driven by the official client: create, upload parts (and copy a part),
// list parts and uploads, complete with S3's ETag, abort, and S3's refusals (small parts, wrong ETags).
import {
  AbortMultipartUploadCommand,
  CompleteMultipartUploadCommand,
  CreateMultipartUploadCommand,
  GetObjectCommand,
  HeadObjectCommand,
  ListMultipartUploadsCommand,
  ListPartsCommand,
  PutObjectCommand,
  UploadPartCommand,
  UploadPartCopyCommand,
} from "@aws-sdk/client-s3";
import { createHash } from "node:crypto";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startOssEmulator, type OssEmulator } from "../../emulator/index.ts";
import { patterned, rejectionOf, s3ClientFor } from "./helpers.ts";

let emulator: OssEmulator;
const MiB = 1024 * 1024;

beforeAll(async () => {
  emulator = await startOssEmulator();
});
afterAll(async () => {
  await emulator?.stop();
});

// S3's multipart ETag: the MD5 of the parts' binary MD5s, a dash, the number of parts.
function multipartEtag(parts: Buffer[]): string {
  const digest = createHash("md5");
  for (const part of parts) digest.update(createHash("md5").update(part).digest());
  return `"${digest.digest("hex")}-${parts.length}"`;
}

describe("multipart uploads", () => {
  it("uploads parts, lists them and the upload, and completes into one object with S3's ETag", async () => {
    const client = s3ClientFor(emulator);
    const Bucket = emulator.bucket;
    const Key = "multipart/whole ü.bin";
    const created = await client.send(new CreateMultipartUploadCommand({ Bucket, Key, ContentType: "application/x-parts", Metadata: { kind: "parts" } }));
    const UploadId = created.UploadId!;
    expect(created.Key).toBe(Key);
    const parts = [patterned(5 * MiB, 1), patterned(1000, 2)];
    const etags: string[] = [];
    for (const [i, body] of parts.entries()) {
      const uploaded = await client.send(new UploadPartCommand({ Bucket, Key, UploadId, PartNumber: i + 1, Body: body }));
      expect(uploaded.ETag).toBe(`"${createHash("md5").update(body).digest("hex")}"`);
      etags.push(uploaded.ETag!);
    }
    const listed = await client.send(new ListPartsCommand({ Bucket, Key, UploadId }));
    expect(listed.Parts?.map((p) => [p.PartNumber, p.ETag, p.Size])).toEqual([
      [1, etags[0], 5 * MiB],
      [2, etags[1], 1000],
    ]);
    const uploads = await client.send(new ListMultipartUploadsCommand({ Bucket, Prefix: "multipart/" }));
    expect(uploads.Uploads?.map((u) => [u.Key, u.UploadId])).toEqual([[Key, UploadId]]);
    const completed = await client.send(
      new CompleteMultipartUploadCommand({
        Bucket,
        Key,
        UploadId,
        MultipartUpload: { Parts: etags.map((ETag, i) => ({ ETag, PartNumber: i + 1 })) },
      }),
    );
    expect(completed.ETag).toBe(multipartEtag(parts));
    const got = await client.send(new GetObjectCommand({ Bucket, Key }));
    expect(Buffer.from(await got.Body!.transformToByteArray()).equals(Buffer.concat(parts))).toBe(true);
    expect(got.ContentType).toBe("application/x-parts");
    expect(got.Metadata).toEqual({ kind: "parts" });
    const after = await client.send(new ListMultipartUploadsCommand({ Bucket, Prefix: "multipart/" }));
    expect(after.Uploads ?? []).toEqual([]);
  });

  it("copies a range of an object into a part", async () => {
    const client = s3ClientFor(emulator);
    const Bucket = emulator.bucket;
    const source = patterned(6 * MiB, 5);
    await client.send(new PutObjectCommand({ Bucket, Key: "multipart/copy-source.bin", Body: source }));
    const { UploadId } = await client.send(new CreateMultipartUploadCommand({ Bucket, Key: "multipart/copied.bin" }));
    const first = await client.send(
      new UploadPartCopyCommand({
        Bucket,
        Key: "multipart/copied.bin",
        UploadId,
        PartNumber: 1,
        CopySource: `${Bucket}/multipart/copy-source.bin`,
        CopySourceRange: `bytes=0-${5 * MiB - 1}`,
      }),
    );
    const tail = patterned(10, 6);
    const second = await client.send(new UploadPartCommand({ Bucket, Key: "multipart/copied.bin", UploadId, PartNumber: 2, Body: tail }));
    await client.send(
      new CompleteMultipartUploadCommand({
        Bucket,
        Key: "multipart/copied.bin",
        UploadId,
        MultipartUpload: { Parts: [{ PartNumber: 1, ETag: first.CopyPartResult!.ETag }, { PartNumber: 2, ETag: second.ETag }] },
      }),
    );
    const got = await client.send(new GetObjectCommand({ Bucket, Key: "multipart/copied.bin" }));
    expect(Buffer.from(await got.Body!.transformToByteArray()).equals(Buffer.concat([source.subarray(0, 5 * MiB), tail]))).toBe(true);
  });

  it("aborts an upload: its parts are gone and the object never appears", async () => {
    const client = s3ClientFor(emulator);
    const Bucket = emulator.bucket;
    const Key = "multipart/aborted.bin";
    const { UploadId } = await client.send(new CreateMultipartUploadCommand({ Bucket, Key }));
    await client.send(new UploadPartCommand({ Bucket, Key, UploadId, PartNumber: 1, Body: patterned(100) }));
    expect((await client.send(new AbortMultipartUploadCommand({ Bucket, Key, UploadId }))).$metadata.httpStatusCode).toBe(204);
    const error = await rejectionOf(client.send(new ListPartsCommand({ Bucket, Key, UploadId })));
    expect(error.name).toBe("NoSuchUpload");
    expect(error.$metadata?.httpStatusCode).toBe(404);
    expect((await rejectionOf(client.send(new HeadObjectCommand({ Bucket, Key })))).$metadata?.httpStatusCode).toBe(404);
  });

  it("refuses to complete with a part under 5 MiB that is not the last, or with an ETag that is not the part's", async () => {
    const client = s3ClientFor(emulator);
    const Bucket = emulator.bucket;
    const Key = "multipart/refused.bin";
    const { UploadId } = await client.send(new CreateMultipartUploadCommand({ Bucket, Key }));
    const one = await client.send(new UploadPartCommand({ Bucket, Key, UploadId, PartNumber: 1, Body: patterned(1000, 1) }));
    const two = await client.send(new UploadPartCommand({ Bucket, Key, UploadId, PartNumber: 2, Body: patterned(1000, 2) }));
    const small = await rejectionOf(
      client.send(
        new CompleteMultipartUploadCommand({
          Bucket,
          Key,
          UploadId,
          MultipartUpload: { Parts: [{ PartNumber: 1, ETag: one.ETag }, { PartNumber: 2, ETag: two.ETag }] },
        }),
      ),
    );
    expect(small.name).toBe("EntityTooSmall");
    const wrong = await rejectionOf(
      client.send(new CompleteMultipartUploadCommand({ Bucket, Key, UploadId, MultipartUpload: { Parts: [{ PartNumber: 1, ETag: two.ETag }] } })),
    );
    expect(wrong.name).toBe("InvalidPart");
    const order = await rejectionOf(
      client.send(
        new CompleteMultipartUploadCommand({
          Bucket,
          Key,
          UploadId,
          MultipartUpload: { Parts: [{ PartNumber: 2, ETag: two.ETag }, { PartNumber: 1, ETag: one.ETag }] },
        }),
      ),
    );
    expect(order.name).toBe("InvalidPartOrder");
    // A refused completion leaves the upload as it was: the last part alone still completes.
    await client.send(new CompleteMultipartUploadCommand({ Bucket, Key, UploadId, MultipartUpload: { Parts: [{ PartNumber: 1, ETag: one.ETag }] } }));
    expect((await client.send(new HeadObjectCommand({ Bucket, Key }))).ContentLength).toBe(1000);
  });

  it("refuses a part number outside 1–10000 and an upload id it does not know", async () => {
    const client = s3ClientFor(emulator);
    const Bucket = emulator.bucket;
    const { UploadId } = await client.send(new CreateMultipartUploadCommand({ Bucket, Key: "multipart/numbers.bin" }));
    const outside = await rejectionOf(client.send(new UploadPartCommand({ Bucket, Key: "multipart/numbers.bin", UploadId, PartNumber: 10001, Body: "x" })));
    expect(outside.name).toBe("InvalidArgument");
    const unknown = await rejectionOf(client.send(new UploadPartCommand({ Bucket, Key: "multipart/numbers.bin", UploadId: "NOPE", PartNumber: 1, Body: "x" })));
    expect(unknown.name).toBe("NoSuchUpload");
  });
});
