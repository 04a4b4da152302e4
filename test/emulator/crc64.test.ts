// x-oss-hash-crc64ecma: the CRC-64/ECMA-182 of an object's bytes on every write and read that the service sends
// it on, so that clients which check it by default (the Go, Python and Java SDKs) pass locally as they do in
// production. A multipart object's value is its parts' values composed, as the service composes them.
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startOssEmulator, type OssEmulator } from "../../emulator/index.ts";
import { clientFor, patterned, referenceCrc64, type Client } from "./helpers.ts";

let emulator: OssEmulator;
let client: Client;

beforeAll(async () => {
  emulator = await startOssEmulator();
  client = clientFor(emulator);
});
afterAll(async () => {
  await emulator?.stop();
});

describe("x-oss-hash-crc64ecma", () => {
  it("is computed as the service documents it (the reference's check value)", () => {
    expect(referenceCrc64(Buffer.from("123456789"))).toBe("11051210869376104954");
  });

  it("comes with PutObject, GetObject and HeadObject, for small and large bodies", async () => {
    for (const size of [0, 1000, 100 * 1024]) {
      const body = patterned(size, size);
      const expected = referenceCrc64(body);
      const put = await client.put(`crc/object-${size}.bin`, body);
      expect(put.res.headers["x-oss-hash-crc64ecma"]).toBe(expected);
      expect((await client.get(`crc/object-${size}.bin`)).res.headers["x-oss-hash-crc64ecma"]).toBe(expected);
      expect((await client.head(`crc/object-${size}.bin`)).res.headers["x-oss-hash-crc64ecma"]).toBe(expected);
    }
  });

  it("describes the whole object after each AppendObject", async () => {
    const first = patterned(3000, 1);
    const second = patterned(70 * 1024, 2);
    const one = await client.append("crc/appended.bin", first);
    expect(one.res.headers["x-oss-hash-crc64ecma"]).toBe(referenceCrc64(first));
    const two = await client.append("crc/appended.bin", second, { position: one.nextAppendPosition });
    const whole = referenceCrc64(Buffer.concat([first, second]));
    expect(two.res.headers["x-oss-hash-crc64ecma"]).toBe(whole);
    expect((await client.head("crc/appended.bin")).res.headers["x-oss-hash-crc64ecma"]).toBe(whole);
  });

  it("describes each part on UploadPart, and the composed object on CompleteMultipartUpload", async () => {
    const parts = [patterned(100 * 1024, 3), patterned(100 * 1024, 4), patterned(5000, 5)];
    const scratch = mkdtempSync(join(tmpdir(), "oss-emulator-crc-"));
    const { uploadId } = await client.initMultipartUpload("crc/multipart.bin");
    const done: Array<{ number: number; etag: string }> = [];
    for (const [i, part] of parts.entries()) {
      const file = join(scratch, `${i}.part`);
      writeFileSync(file, part);
      const result = await client.uploadPart("crc/multipart.bin", uploadId, i + 1, file, 0, part.length);
      expect(result.res.headers["x-oss-hash-crc64ecma"]).toBe(referenceCrc64(part));
      done.push({ number: i + 1, etag: result.etag });
    }
    const whole = referenceCrc64(Buffer.concat(parts));
    const completed = await client.completeMultipartUpload("crc/multipart.bin", uploadId, done);
    expect(completed.res.headers["x-oss-hash-crc64ecma"]).toBe(whole);
    expect((await client.head("crc/multipart.bin")).res.headers["x-oss-hash-crc64ecma"]).toBe(whole);
  });

  it("stays with an object copied to another key", async () => {
    const body = patterned(90 * 1024, 6);
    await client.put("crc/source.bin", body);
    await client.copy("crc/copy.bin", "crc/source.bin");
    expect((await client.head("crc/copy.bin")).res.headers["x-oss-hash-crc64ecma"]).toBe(referenceCrc64(body));
  });
});
