// ListObjects and ListObjectsV2: order, prefixes, delimiters, paging and URL encoding, as the service lists.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startOssEmulator, type OssEmulator } from "../../emulator/index.ts";
import { clientFor, rawRequest, rejectionOf, signV1, xmlText, xmlTexts, type Client } from "./helpers.ts";

let emulator: OssEmulator;
let client: Client;

// In UTF-8 byte order, which is the service's: "Z" < "a" < "é" < "\uFFFD" < "𝄞" (an astral character, which
// JavaScript's own string order would put before "\uFFFD").
const keys = [
  "docs/a.txt",
  "docs/b.txt",
  "docs/sub/c.txt",
  "docs/sub/d.txt",
  "docs/sub2/e.txt",
  "docs/Z.txt",
  "docs/é.txt",
  "docs/\uFFFD.txt",
  "docs/𝄞.txt",
  "top.txt",
];
const utf8Order = [...keys].sort((a, b) => Buffer.compare(Buffer.from(a), Buffer.from(b)));

beforeAll(async () => {
  emulator = await startOssEmulator();
  client = clientFor(emulator);
  for (const key of keys) await client.put(key, Buffer.from(key));
});
afterAll(async () => {
  await emulator?.stop();
});

describe("ListObjects", () => {
  it("lists every key in UTF-8 byte order with size, ETag, type and owner", async () => {
    const result = await client.list({ "max-keys": 1000 }, {});
    expect(result.objects.map((o) => o.name)).toEqual(utf8Order);
    const first = result.objects[0]!;
    expect(first.size).toBe(Buffer.byteLength(first.name));
    expect(first.etag).toMatch(/^"[0-9A-F]{32}"$/);
    expect(first.type).toBe("Normal");
    expect(first.storageClass).toBe("Standard");
    expect(first.owner?.id).toBeTruthy();
    expect(first.lastModified).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/);
    expect(result.isTruncated).toBe(false);
  });

  it("rolls keys up to the delimiter into CommonPrefixes", async () => {
    const result = await client.list({ prefix: "docs/", delimiter: "/", "max-keys": 1000 }, {});
    expect(result.prefixes).toEqual(["docs/sub/", "docs/sub2/"]);
    expect(result.objects.map((o) => o.name)).toEqual(utf8Order.filter((k) => k.startsWith("docs/") && !k.slice(5).includes("/")));
  });

  it("pages with max-keys, marker and NextMarker, counting a common prefix as one entry", async () => {
    const seen: string[] = [];
    let marker: string | undefined;
    for (let page = 0; page < 20; page++) {
      const result = await client.list({ prefix: "docs/", delimiter: "/", "max-keys": 2, ...(marker ? { marker } : {}) }, {});
      seen.push(...result.objects.map((o) => o.name), ...(result.prefixes ?? []));
      if (!result.isTruncated) break;
      expect(result.nextMarker).toBeTruthy();
      marker = result.nextMarker!;
    }
    const expected = [...utf8Order.filter((k) => k.startsWith("docs/") && !k.slice(5).includes("/")), "docs/sub/", "docs/sub2/"];
    expect(seen.sort()).toEqual(expected.sort());
  });

  it("URL-encodes names with encoding-type=url", async () => {
    const headers = signV1(emulator, { method: "GET", bucket: emulator.bucket });
    const response = await fetch(`${emulator.endpoint}/${emulator.bucket}/?prefix=docs%2F&encoding-type=url&max-keys=1000`, { headers });
    const text = await response.text();
    expect(xmlText(text, "EncodingType")).toBe("url");
    expect(xmlText(text, "Prefix")).toBe("docs%2F");
    expect(xmlTexts(text, "Key")).toContain(encodeURIComponent("docs/é.txt"));
  });

  it("answers 400 InvalidArgument to max-keys above 1000", async () => {
    const error = await rejectionOf(client.list({ "max-keys": 1001 }, {}));
    expect(error.status).toBe(400);
    expect(error.code).toBe("InvalidArgument");
  });
});

describe("ListObjectsV2", () => {
  it("pages with continuation tokens and counts keys and prefixes in KeyCount", async () => {
    const seen: string[] = [];
    let token: string | undefined;
    for (let page = 0; page < 20; page++) {
      const result = await client.listV2({ "max-keys": 3, ...(token ? { "continuation-token": token } : {}) }, {});
      expect(result.keyCount).toBe(result.objects.length + (result.prefixes?.length ?? 0));
      seen.push(...result.objects.map((o) => o.name));
      if (!result.isTruncated) break;
      token = result.nextContinuationToken!;
    }
    expect(seen).toEqual(utf8Order);
  });

  it("starts after start-after", async () => {
    const result = await client.listV2({ "start-after": "docs/sub2/e.txt", "max-keys": 100 }, {});
    expect(result.objects.map((o) => o.name)).toEqual(utf8Order.slice(utf8Order.indexOf("docs/sub2/e.txt") + 1));
  });

  it("includes Owner only with fetch-owner=true", async () => {
    const without = await client.listV2({ prefix: "top", "max-keys": 10 }, {});
    expect(without.objects[0]!.owner).toBeNull();
    const withOwner = await client.listV2({ prefix: "top", "fetch-owner": true, "max-keys": 10 }, {});
    expect(withOwner.objects[0]!.owner?.id).toBeTruthy();
  });

  it("takes an empty continuation-token as the first page, as the service does", async () => {
    const result = await client.listV2({ "continuation-token": "", "max-keys": 3 }, {});
    expect(result.objects.map((o) => o.name)).toEqual(utf8Order.slice(0, 3));
  });

  it("writes LastModified with whole seconds (…:26.000Z), as the service does", async () => {
    const headers = signV1(emulator, { method: "GET", bucket: emulator.bucket });
    const { body } = await rawRequest(emulator, { method: "GET", path: `/${emulator.bucket}/?list-type=2&max-keys=3`, headers });
    const times = xmlTexts(body, "LastModified");
    expect(times.length).toBe(3);
    for (const time of times) expect(time).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.000Z$/);
  });

  it("answers 400 InvalidArgument to a continuation token it did not issue", async () => {
    const error = await rejectionOf(client.listV2({ "continuation-token": "not a token!" }, {}));
    expect(error.status).toBe(400);
    expect(error.code).toBe("InvalidArgument");
  });
});
