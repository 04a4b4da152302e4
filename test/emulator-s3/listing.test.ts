// Listings and buckets on the S3 dialect, driven by the official client: ListObjectsV2 and ListObjects (v1) with
// prefixes, delimiters and paging, ListBuckets, and creating, probing and deleting buckets.
import {
  CreateBucketCommand,
  DeleteBucketCommand,
  DeleteObjectCommand,
  GetBucketLocationCommand,
  HeadBucketCommand,
  ListBucketsCommand,
  ListObjectsCommand,
  ListObjectsV2Command,
  PutObjectCommand,
} from "@aws-sdk/client-s3";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startOssEmulator, type OssEmulator } from "../../emulator/index.ts";
import { rejectionOf, s3ClientFor } from "./helpers.ts";

let emulator: OssEmulator;
const KEYS = ["list/a.txt", "list/b/1.txt", "list/b/2.txt", "list/c ü.txt", "list/d/x/y.txt", "list/e.txt"];

beforeAll(async () => {
  emulator = await startOssEmulator({ buckets: ["second-bucket"] });
  const client = s3ClientFor(emulator);
  for (const key of KEYS) await client.send(new PutObjectCommand({ Bucket: emulator.bucket, Key: key, Body: key }));
});
afterAll(async () => {
  await emulator?.stop();
});

describe("ListObjectsV2", () => {
  it("lists keys under a prefix, rolling what follows a delimiter into common prefixes", async () => {
    const client = s3ClientFor(emulator);
    const page = await client.send(new ListObjectsV2Command({ Bucket: emulator.bucket, Prefix: "list/", Delimiter: "/" }));
    expect(page.Contents?.map((o) => o.Key)).toEqual(["list/a.txt", "list/c ü.txt", "list/e.txt"]);
    expect(page.CommonPrefixes?.map((p) => p.Prefix)).toEqual(["list/b/", "list/d/"]);
    expect(page.KeyCount).toBe(5);
    expect(page.IsTruncated).toBe(false);
    expect(page.Contents?.[0]).toMatchObject({ Size: "list/a.txt".length, StorageClass: "STANDARD" });
    expect(page.Contents?.[0]?.LastModified).toBeInstanceOf(Date);
  });

  it("pages with MaxKeys and the continuation token until every key was seen once", async () => {
    const client = s3ClientFor(emulator);
    const seen: string[] = [];
    let token: string | undefined;
    let pages = 0;
    do {
      const page = await client.send(new ListObjectsV2Command({ Bucket: emulator.bucket, Prefix: "list/", MaxKeys: 4, ContinuationToken: token }));
      seen.push(...(page.Contents ?? []).map((o) => o.Key!));
      token = page.IsTruncated ? page.NextContinuationToken : undefined;
      pages++;
    } while (token);
    expect(seen).toEqual(KEYS);
    expect(pages).toBe(2);
  });

  it("starts after StartAfter", async () => {
    const page = await s3ClientFor(emulator).send(new ListObjectsV2Command({ Bucket: emulator.bucket, Prefix: "list/", StartAfter: "list/c ü.txt" }));
    expect(page.Contents?.map((o) => o.Key)).toEqual(["list/d/x/y.txt", "list/e.txt"]);
  });

  it("refuses a continuation token it did not hand out", async () => {
    const error = await rejectionOf(s3ClientFor(emulator).send(new ListObjectsV2Command({ Bucket: emulator.bucket, ContinuationToken: "not*a*token" })));
    expect(error.name).toBe("InvalidArgument");
    expect(error.$metadata?.httpStatusCode).toBe(400);
  });
});

describe("ListObjects (v1)", () => {
  it("pages with Marker and NextMarker", async () => {
    const client = s3ClientFor(emulator);
    const first = await client.send(new ListObjectsCommand({ Bucket: emulator.bucket, Prefix: "list/", MaxKeys: 3 }));
    expect(first.Contents?.map((o) => o.Key)).toEqual(KEYS.slice(0, 3));
    expect(first.IsTruncated).toBe(true);
    const second = await client.send(new ListObjectsCommand({ Bucket: emulator.bucket, Prefix: "list/", Marker: first.NextMarker }));
    expect(second.Contents?.map((o) => o.Key)).toEqual(KEYS.slice(3));
    expect(second.IsTruncated).toBe(false);
    expect(second.Contents?.[0]?.Owner?.ID).toBeDefined();
  });

  it("rolls keys into common prefixes with a delimiter", async () => {
    const page = await s3ClientFor(emulator).send(new ListObjectsCommand({ Bucket: emulator.bucket, Prefix: "list/b/", Delimiter: "/" }));
    expect(page.Contents?.map((o) => o.Key)).toEqual(["list/b/1.txt", "list/b/2.txt"]);
    expect(page.CommonPrefixes ?? []).toEqual([]);
  });
});

describe("buckets", () => {
  it("lists the buckets the server holds", async () => {
    const result = await s3ClientFor(emulator).send(new ListBucketsCommand({}));
    expect(result.Buckets?.map((b) => b.Name)).toEqual(expect.arrayContaining([emulator.bucket, "second-bucket"]));
    expect(result.Buckets?.[0]?.CreationDate).toBeInstanceOf(Date);
    expect(result.Owner?.ID).toBeDefined();
  });

  it("creates, probes and deletes a bucket, and refuses to delete one that holds objects", async () => {
    const client = s3ClientFor(emulator);
    await client.send(new CreateBucketCommand({ Bucket: "made-by-s3" }));
    expect((await client.send(new HeadBucketCommand({ Bucket: "made-by-s3" }))).$metadata.httpStatusCode).toBe(200);
    const again = await rejectionOf(client.send(new CreateBucketCommand({ Bucket: "made-by-s3" })));
    expect(again.name).toBe("BucketAlreadyOwnedByYou");
    await client.send(new PutObjectCommand({ Bucket: "made-by-s3", Key: "k", Body: "v" }));
    const notEmpty = await rejectionOf(client.send(new DeleteBucketCommand({ Bucket: "made-by-s3" })));
    expect(notEmpty.name).toBe("BucketNotEmpty");
    expect(notEmpty.$metadata?.httpStatusCode).toBe(409);
    await client.send(new DeleteObjectCommand({ Bucket: "made-by-s3", Key: "k" }));
    expect((await client.send(new DeleteBucketCommand({ Bucket: "made-by-s3" }))).$metadata.httpStatusCode).toBe(204);
    const gone = await rejectionOf(client.send(new HeadBucketCommand({ Bucket: "made-by-s3" })));
    expect(gone.$metadata?.httpStatusCode).toBe(404);
  });

  it("refuses a bucket name S3 would not take", async () => {
    const error = await rejectionOf(s3ClientFor(emulator).send(new CreateBucketCommand({ Bucket: "Not_A_Bucket" })));
    expect(error.$metadata?.httpStatusCode).toBe(400);
  });

  it("reports us-east-1 as the location, which S3 writes as an empty constraint", async () => {
    const result = await s3ClientFor(emulator).send(new GetBucketLocationCommand({ Bucket: emulator.bucket }));
    expect(result.LocationConstraint ?? "").toBe("");
  });
});
