// Multipart uploads: parts stored apart, checked on complete, assembled in order, with the service's ETag.
import { createHash } from "node:crypto";
import { mkdtempSync, writeFileSync } from "node:fs";
import { readdir, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startOssEmulator, type OssEmulator } from "../../emulator/index.ts";
import { clientFor, objectUrl, patterned, rejectionOf, signV1, xmlText, xmlTexts , type Client } from "./helpers.ts";

let emulator: OssEmulator;
let client: Client;

beforeAll(async () => {
  emulator = await startOssEmulator();
  client = clientFor(emulator);
});
afterAll(async () => {
  await emulator?.stop();
});

const KiB = 1024;
const md5 = (body: Buffer) => createHash("md5").update(body).digest();

// The multipart ETag as the service documents it: MD5 of the parts' binary MD5s, "-", the number of parts.
function multipartEtag(parts: Buffer[]): string {
  const digest = createHash("md5");
  for (const part of parts) digest.update(md5(part));
  return `"${digest.digest("hex").toUpperCase()}-${parts.length}"`;
}

async function uploadParts(key: string, parts: Buffer[]): Promise<{ uploadId: string; etags: string[] }> {
  const { uploadId } = await client.initMultipartUpload(key);
  const etags: string[] = [];
  for (const [i, part] of parts.entries()) {
    const result = await client.uploadPart(key, uploadId, i + 1, writeTemp(part), 0, part.length);
    etags.push(result.etag);
  }
  return { uploadId, etags };
}

// uploadPart reads a file range; buffers are written to files of their own.
const scratch = mkdtempSync(join(tmpdir(), "oss-emulator-parts-"));
let scratchCount = 0;
function writeTemp(body: Buffer): string {
  const path = join(scratch, `part-${scratchCount++}`);
  writeFileSync(path, body);
  return path;
}

describe("multipart upload with the official client", () => {
  it("uploads a file in parts (multipartUpload) and answers the service's multipart ETag", async () => {
    const parts = [patterned(100 * KiB, 1), patterned(100 * KiB, 2), patterned(100 * KiB, 3), patterned(50 * KiB, 4)];
    const whole = Buffer.concat(parts);
    const progress: number[] = [];
    const result = await client.multipartUpload("mp/whole.bin", writeTemp(whole), {
      partSize: 100 * KiB,
      parallel: 3,
      progress: (p: number) => {
        progress.push(p);
      },
      meta: { kind: "multipart" },
    });
    expect(result.res.status).toBe(200);
    expect((result as unknown as { etag: string }).etag).toBe(multipartEtag(parts));
    expect(progress.at(-1)).toBe(1);
    const got = await client.get("mp/whole.bin");
    expect(Buffer.compare(got.content, whole)).toBe(0);
    expect(got.res.headers.etag).toBe(multipartEtag(parts));
    expect(got.res.headers["x-oss-object-type"]).toBe("Multipart");
    expect(got.res.headers["x-oss-meta-kind"]).toBe("multipart");
  });

  it("answers each UploadPart with the part's MD5 as ETag", async () => {
    const part = patterned(120 * KiB, 7);
    const { uploadId } = await client.initMultipartUpload("mp/etag.bin");
    const result = await client.uploadPart("mp/etag.bin", uploadId, 1, writeTemp(part), 0, part.length);
    expect(result.etag).toBe(`"${md5(part).toString("hex").toUpperCase()}"`);
    await client.abortMultipartUpload("mp/etag.bin", uploadId);
  });

  it("lists parts (ListParts) and uploads (ListMultipartUploads)", async () => {
    const parts = [patterned(100 * KiB, 5), patterned(10 * KiB, 6)];
    const { uploadId, etags } = await uploadParts("mp/listed.bin", parts);
    const listed = await client.listParts("mp/listed.bin", uploadId, {}, {});
    const listedParts = listed.parts as unknown as Array<{ PartNumber: string; ETag: string; Size: string }>;
    expect(listedParts.map((p) => [p.PartNumber, p.ETag, p.Size])).toEqual([
      ["1", etags[0], String(100 * KiB)],
      ["2", etags[1], String(10 * KiB)],
    ]);
    const uploads = await client.listUploads({ prefix: "mp/listed" }, {});
    expect(uploads.uploads.map((u) => [u.name, u.uploadId])).toEqual([["mp/listed.bin", uploadId]]);
    await client.abortMultipartUpload("mp/listed.bin", uploadId);
  });

  it("orders the uploads of one key by upload id and writes Initiated and LastModified with whole seconds", async () => {
    const ids: string[] = [];
    for (let i = 0; i < 4; i++) ids.push((await client.initMultipartUpload("mp/many.bin")).uploadId);
    const uploads = await client.listUploads({ prefix: "mp/many" }, {});
    expect(uploads.uploads.map((u) => u.uploadId)).toEqual([...ids].sort());
    for (const upload of uploads.uploads) expect(upload.initiated).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.000Z$/);
    await client.uploadPart("mp/many.bin", ids[0]!, 1, writeTemp(patterned(1000)), 0, 1000);
    const listed = await client.listParts("mp/many.bin", ids[0]!, {}, {});
    const parts = (Array.isArray(listed.parts) ? listed.parts : [listed.parts]) as Array<{ LastModified: string }>;
    expect(parts[0]!.LastModified).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.000Z$/);
    for (const id of ids) await client.abortMultipartUpload("mp/many.bin", id);
  });

  it("aborts an upload: its parts are removed and its id is unknown afterwards", async () => {
    const { uploadId } = await uploadParts("mp/aborted.bin", [patterned(100 * KiB)]);
    const uploadsDir = join(emulator.dataDir, "buckets", emulator.bucket, "uploads");
    expect(await readdir(uploadsDir)).toContain(uploadId);
    const aborted = await client.abortMultipartUpload("mp/aborted.bin", uploadId);
    expect(aborted.res.status).toBe(204);
    expect(await readdir(uploadsDir)).not.toContain(uploadId);
    const error = await rejectionOf(client.listParts("mp/aborted.bin", uploadId, {}, {}));
    expect(error.status).toBe(404);
    expect(error.code).toBe("NoSuchUpload");
  });

  it("copies a range of an object into a part (UploadPartCopy)", async () => {
    const source = patterned(300 * KiB, 8);
    await client.put("mp/copy-source.bin", source);
    const { uploadId } = await client.initMultipartUpload("mp/copied.bin");
    const first = await client.uploadPartCopy("mp/copied.bin", uploadId, 1, `0-${150 * KiB - 1}`, {
      sourceKey: "mp/copy-source.bin",
      sourceBucketName: emulator.bucket,
    });
    const second = await client.uploadPartCopy("mp/copied.bin", uploadId, 2, `${150 * KiB}-${300 * KiB - 1}`, {
      sourceKey: "mp/copy-source.bin",
      sourceBucketName: emulator.bucket,
    });
    await client.completeMultipartUpload("mp/copied.bin", uploadId, [
      { number: 1, etag: first.etag },
      { number: 2, etag: second.etag },
    ]);
    expect(Buffer.compare((await client.get("mp/copied.bin")).content, source)).toBe(0);
  });
});

describe("CompleteMultipartUpload", () => {
  it("answers 400 InvalidPart when a part's ETag does not match", async () => {
    const { uploadId, etags } = await uploadParts("mp/bad-etag.bin", [patterned(100 * KiB), patterned(1 * KiB)]);
    const error = await rejectionOf(
      client.completeMultipartUpload("mp/bad-etag.bin", uploadId, [
        { number: 1, etag: etags[0]! },
        { number: 2, etag: '"00000000000000000000000000000000"' },
      ]),
    );
    expect(error.status).toBe(400);
    expect(error.code).toBe("InvalidPart");
  });

  it("answers 400 InvalidPart when a part was never uploaded", async () => {
    const { uploadId, etags } = await uploadParts("mp/missing-part.bin", [patterned(100 * KiB)]);
    const error = await rejectionOf(
      client.completeMultipartUpload("mp/missing-part.bin", uploadId, [
        { number: 1, etag: etags[0]! },
        { number: 2, etag: etags[0]! },
      ]),
    );
    expect(error.code).toBe("InvalidPart");
  });

  it("answers 400 InvalidPartOrder when the parts are not in ascending order", async () => {
    const { uploadId, etags } = await uploadParts("mp/order.bin", [patterned(100 * KiB, 1), patterned(100 * KiB, 2)]);
    // The client sorts parts itself, so the document is sent raw.
    const body = `<CompleteMultipartUpload><Part><PartNumber>2</PartNumber><ETag>${etags[1]}</ETag></Part><Part><PartNumber>1</PartNumber><ETag>${etags[0]}</ETag></Part></CompleteMultipartUpload>`;
    const headers = signV1(emulator, {
      method: "POST",
      bucket: emulator.bucket,
      key: "mp/order.bin",
      subresources: { uploadId },
      headers: { "content-type": "application/xml" },
    });
    const response = await fetch(`${objectUrl(emulator, "mp/order.bin")}?uploadId=${uploadId}`, { method: "POST", headers, body });
    expect(response.status).toBe(400);
    expect(xmlText(await response.text(), "Code")).toBe("InvalidPartOrder");
  });

  it("answers 400 EntityTooSmall when a part other than the last is under 100 KB", async () => {
    const { uploadId, etags } = await uploadParts("mp/small.bin", [patterned(10 * KiB, 1), patterned(10 * KiB, 2)]);
    const error = await rejectionOf(
      client.completeMultipartUpload("mp/small.bin", uploadId, [
        { number: 1, etag: etags[0]! },
        { number: 2, etag: etags[1]! },
      ]),
    );
    expect(error.status).toBe(400);
    expect(error.code).toBe("EntityTooSmall");
  });

  it("answers with Bucket, Key and ETag in the XML and the ETag header", async () => {
    const parts = [patterned(100 * KiB, 3), patterned(3, 4)];
    const { uploadId, etags } = await uploadParts("mp/answer.bin", parts);
    const body = `<CompleteMultipartUpload>${etags.map((etag, i) => `<Part><PartNumber>${i + 1}</PartNumber><ETag>${etag}</ETag></Part>`).join("")}</CompleteMultipartUpload>`;
    const headers = signV1(emulator, {
      method: "POST",
      bucket: emulator.bucket,
      key: "mp/answer.bin",
      subresources: { uploadId },
      headers: { "content-type": "application/xml" },
    });
    const response = await fetch(`${objectUrl(emulator, "mp/answer.bin")}?uploadId=${uploadId}`, { method: "POST", headers, body });
    expect(response.status).toBe(200);
    const text = await response.text();
    expect(xmlText(text, "Bucket")).toBe(emulator.bucket);
    expect(xmlText(text, "Key")).toBe("mp/answer.bin");
    expect(xmlTexts(text, "ETag")).toEqual([multipartEtag(parts)]);
    expect(response.headers.get("etag")).toBe(multipartEtag(parts));
    // A completed upload is gone.
    expect((await rejectionOf(client.listParts("mp/answer.bin", uploadId, {}, {}))).code).toBe("NoSuchUpload");
  });
});

describe("a completed multipart object", () => {
  // Three parts of uneven sizes: boundaries at 100 KiB + 7 and 200 KiB + 7 + 13.
  const parts = [patterned(100 * KiB + 7, 11), patterned(100 * KiB + 13, 12), patterned(50 * KiB, 13)];
  const whole = Buffer.concat(parts);

  beforeAll(async () => {
    const { uploadId, etags } = await uploadParts("mp/assembled.bin", parts);
    await client.completeMultipartUpload("mp/assembled.bin", uploadId, etags.map((etag, i) => ({ number: i + 1, etag })));
  });

  it("reads whole, and in ranges that cross its parts' boundaries", async () => {
    expect(Buffer.compare((await client.get("mp/assembled.bin")).content, whole)).toBe(0);
    for (const [start, end] of [[100 * KiB, 100 * KiB + 20], [100 * KiB + 6, 200 * KiB + 30], [0, 250 * KiB + 19], [200 * KiB + 20, 250 * KiB + 19]] as const) {
      const got = await client.get("mp/assembled.bin", { headers: { Range: `bytes=${start}-${end}` } });
      expect(got.res.status).toBe(206);
      expect(Buffer.compare(got.content, whole.subarray(start, end + 1))).toBe(0);
    }
  });

  it("copies whole (CopyObject) and in ranges across parts (UploadPartCopy)", async () => {
    await client.copy("mp/assembled-copy.bin", "mp/assembled.bin");
    expect(Buffer.compare((await client.get("mp/assembled-copy.bin")).content, whole)).toBe(0);
    const { uploadId } = await client.initMultipartUpload("mp/from-parts.bin");
    const copied = await client.uploadPartCopy("mp/from-parts.bin", uploadId, 1, `${100 * KiB}-${200 * KiB + 30}`, {
      sourceKey: "mp/assembled.bin",
      sourceBucketName: emulator.bucket,
    });
    await client.completeMultipartUpload("mp/from-parts.bin", uploadId, [{ number: 1, etag: copied.etag }]);
    expect(Buffer.compare((await client.get("mp/from-parts.bin")).content, whole.subarray(100 * KiB, 200 * KiB + 31))).toBe(0);
  });

  it("leaves no file behind once overwritten or deleted", async () => {
    const { uploadId, etags } = await uploadParts("mp/replaced.bin", parts);
    await client.completeMultipartUpload("mp/replaced.bin", uploadId, etags.map((etag, i) => ({ number: i + 1, etag })));
    const dataDir = join(emulator.dataDir, "buckets", emulator.bucket, "data");
    const count = async () => (await Promise.all((await readdir(dataDir)).map((shard) => readdir(join(dataDir, shard))))).flat().length;
    const before = await count();
    await client.put("mp/replaced.bin", Buffer.from("small now"));
    expect(await count()).toBe(before - parts.length);
    expect((await client.get("mp/replaced.bin")).content.toString()).toBe("small now");
  });
});

afterAll(async () => {
  await rm(scratch, { recursive: true, force: true });
});
