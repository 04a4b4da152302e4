// Object operations, checked against the service's documented behaviour: status codes, error codes, header names
// and formats.
import { createHash } from "node:crypto";
import { mkdtempSync, writeFileSync } from "node:fs";
import { readdir } from "node:fs/promises";
import http from "node:http";
import net from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Readable } from "node:stream";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startOssEmulator, type OssEmulator } from "../../emulator/index.ts";
import { clientFor, objectUrl, patterned, rawRequest, rejectionOf, signV1, xmlText, xmlTexts , type Client } from "./helpers.ts";

let emulator: OssEmulator;
let client: Client;

beforeAll(async () => {
  emulator = await startOssEmulator({ buckets: ["other-bucket"] });
  client = clientFor(emulator);
});
afterAll(async () => {
  await emulator?.stop();
});

/** Writes `request` as raw bytes (what Node's client refuses to send) and resolves with everything answered. */
function socketExchange(port: number, request: string): Promise<string> {
  return new Promise((resolve, reject) => {
    let answer = "";
    // Written, not ended: a half-closed connection would be closed before a slow answer. The request asks
    // for Connection: close, so the server closes once it has answered.
    const socket = net.connect(port, "127.0.0.1", () => socket.write(request, "latin1"));
    socket.setEncoding("latin1");
    socket.on("data", (text: string) => (answer += text));
    socket.on("error", reject);
    socket.on("close", () => resolve(answer));
  });
}

const md5Hex = (body: Buffer) => createHash("md5").update(body).digest("hex").toUpperCase();

describe("PutObject", () => {
  it("answers 200 with the upper-case MD5 of the body, quoted, as ETag", async () => {
    const body = Buffer.from("hello, object");
    const result = await client.put("put/etag.txt", body);
    expect(result.res.status).toBe(200);
    expect(result.res.headers.etag).toBe(`"${md5Hex(body)}"`);
    expect(result.res.headers["x-oss-request-id"]).toMatch(/^[0-9A-F]{24}$/);
  });

  it("keeps user metadata (x-oss-meta-*) and returns it on HeadObject and GetObject", async () => {
    await client.put("put/meta.txt", Buffer.from("m"), { meta: { owner: "alice", purpose: "test" } });
    expect((await client.head("put/meta.txt")).meta).toEqual({ owner: "alice", purpose: "test" });
    const got = await client.get("put/meta.txt");
    expect(got.res.headers["x-oss-meta-owner"]).toBe("alice");
  });

  it("defaults Content-Type to application/octet-stream when the request has none", async () => {
    const headers = signV1(emulator, { method: "PUT", bucket: emulator.bucket, key: "put/no-type" });
    const response = await fetch(objectUrl(emulator, "put/no-type"), { method: "PUT", headers, body: new Uint8Array([1, 2, 3]) });
    expect(response.status).toBe(200);
    expect((await client.head("put/no-type")).res.headers["content-type"]).toBe("application/octet-stream");
  });

  it("stores Content-Type, Content-Disposition, Content-Encoding, Content-Language, Cache-Control and Expires as given", async () => {
    const headers = {
      "Content-Type": "text/csv; charset=utf-8",
      "Content-Disposition": 'attachment; filename="report.csv"',
      "Content-Encoding": "identity",
      "Content-Language": "zh-CN",
      "Cache-Control": "max-age=60",
      Expires: "Wed, 21 Oct 2037 07:28:00 GMT",
    };
    await client.put("put/headers.csv", Buffer.from("a,b\n"), { headers });
    const got = await client.get("put/headers.csv");
    for (const [name, value] of Object.entries(headers)) expect(got.res.headers[name.toLowerCase()]).toBe(value);
    expect(got.res.headers["content-length"]).toBe("4");
    expect(got.res.headers["last-modified"]).toMatch(/GMT$/);
  });

  it("answers 400 InvalidDigest when Content-MD5 does not match the body, and stores nothing", async () => {
    const error = await rejectionOf(
      client.put("put/bad-md5.txt", Buffer.from("the body"), { headers: { "Content-MD5": createHash("md5").update("other").digest("base64") } }),
    );
    expect(error.status).toBe(400);
    expect(error.code).toBe("InvalidDigest");
    expect((await rejectionOf(client.head("put/bad-md5.txt"))).status).toBe(404);
  });

  it("answers 400 InvalidDigest for a large streamed body whose Content-MD5 is wrong", async () => {
    const body = patterned(300 * 1024);
    const error = await rejectionOf(
      client.put("put/bad-md5-large.bin", body, { headers: { "Content-MD5": createHash("md5").update("other").digest("base64") } }),
    );
    expect(error.code).toBe("InvalidDigest");
    expect((await rejectionOf(client.head("put/bad-md5-large.bin"))).status).toBe(404);
  });

  it("takes a chunked body that also declares a Content-Length, ignoring the length, as the service does", async () => {
    // In the other bucket: a body of no declared length gets a data file of its own, whatever its size.
    const headers = signV1(emulator, { method: "PUT", bucket: "other-bucket", key: "put/both.txt" });
    const head = [
      `PUT /other-bucket/put/both.txt HTTP/1.1`,
      `Host: 127.0.0.1:${emulator.port}`,
      ...Object.entries(headers).map(([name, value]) => `${name}: ${value}`),
      "Content-Length: 99",
      "Transfer-Encoding: chunked",
      "Connection: close",
    ].join("\r\n");
    const answer = await socketExchange(emulator.port, `${head}\r\n\r\n5\r\nhello\r\n6\r\n world\r\n0\r\n\r\n`);
    expect(answer).toMatch(/^HTTP\/1\.1 200/);
    expect((await clientFor(emulator).useBucket("other-bucket").get("put/both.txt")).content.toString()).toBe("hello world");
  });

  it("answers 400 InvalidArgument to metadata a header could not carry back", async () => {
    const headers = signV1(emulator, { method: "PUT", bucket: emulator.bucket, key: "put/control.txt", headers: { "x-oss-meta-bad": "a\u0001b" } });
    const head = [
      `PUT /${emulator.bucket}/put/control.txt HTTP/1.1`,
      `Host: 127.0.0.1:${emulator.port}`,
      ...Object.entries(headers).map(([name, value]) => `${name}: ${value}`),
      "Content-Length: 1",
      "Connection: close",
    ].join("\r\n");
    const answer = await socketExchange(emulator.port, `${head}\r\n\r\nx`);
    expect(answer).toMatch(/^HTTP\/1\.1 400/);
    expect(xmlText(answer, "Code")).toBe("InvalidArgument");
  });

  it("takes a chunked body (putStream without a length)", async () => {
    const parts = [patterned(70_000, 1), patterned(50_000, 2), Buffer.from("end")];
    const result = await client.putStream("put/chunked.bin", Readable.from(parts));
    const whole = Buffer.concat(parts);
    expect(result.res.status).toBe(200);
    const got = await client.get("put/chunked.bin");
    expect(Buffer.compare(got.content, whole)).toBe(0);
    expect(got.res.headers.etag).toBe(`"${md5Hex(whole)}"`);
  });

  it("ends concurrent writers of one key with one complete version", async () => {
    const bodies = Array.from({ length: 8 }, (_, i) => patterned(i % 2 === 0 ? 3000 : 150_000, i));
    await Promise.all(bodies.map((body) => client.put("put/contended.bin", body)));
    const got = await client.get("put/contended.bin");
    expect(bodies.some((body) => Buffer.compare(body, got.content) === 0)).toBe(true);
    expect(got.res.headers.etag).toBe(`"${md5Hex(got.content)}"`);
  });

  it("keeps the previous version when an upload is cut off mid-body", async () => {
    await client.put("put/interrupted.bin", Buffer.from("the good version"));
    const headers = signV1(emulator, {
      method: "PUT",
      bucket: emulator.bucket,
      key: "put/interrupted.bin",
      headers: { "content-length": String(1024 * 1024), "content-type": "application/octet-stream" },
    });
    await new Promise<void>((resolve) => {
      const req = http.request({ host: "127.0.0.1", port: emulator.port, method: "PUT", path: `/${emulator.bucket}/put/interrupted.bin`, headers });
      req.on("error", () => resolve());
      req.write(patterned(200 * 1024), () => setTimeout(() => {
        req.destroy();
        resolve();
      }, 50));
    });
    await new Promise((resolve) => setTimeout(resolve, 100));
    expect((await client.get("put/interrupted.bin")).content.toString()).toBe("the good version");
    // The cut-off body left no file behind: every data file is named by an object.
    const dataDir = join(emulator.dataDir, "buckets", emulator.bucket, "data");
    const files = (await Promise.all((await readdir(dataDir)).map((shard) => readdir(join(dataDir, shard))))).flat();
    const large = (await client.list({ "max-keys": 1000 }, {})).objects.filter((o) => o.size > 64 * 1024);
    expect(files.length).toBe(large.length);
  });

  it("answers 409 FileAlreadyExists when x-oss-forbid-overwrite is true and the object exists", async () => {
    await client.put("put/once.txt", Buffer.from("first"));
    const error = await rejectionOf(client.put("put/once.txt", Buffer.from("second"), { headers: { "x-oss-forbid-overwrite": "true" } }));
    expect(error.status).toBe(409);
    expect(error.code).toBe("FileAlreadyExists");
    expect((await client.get("put/once.txt")).content.toString()).toBe("first");
  });
});

describe("object names", () => {
  it("answers 400 InvalidObjectName to a name starting with a backslash or longer than 1023 bytes", async () => {
    for (const key of ["\\starts-with-backslash", "x".repeat(1024), "é".repeat(512)]) {
      const headers = signV1(emulator, { method: "PUT", bucket: emulator.bucket, key });
      const response = await rawRequest(emulator, { method: "PUT", path: `/${emulator.bucket}/${encodeURIComponent(key)}`, headers, body: "x" });
      expect(response.status).toBe(400);
      expect(xmlText(response.body, "Code")).toBe("InvalidObjectName");
    }
  });

  it("answers 400 InvalidObjectName to a name starting with a slash", async () => {
    const headers = signV1(emulator, { method: "PUT", bucket: emulator.bucket, key: "/leading-slash" });
    const response = await rawRequest(emulator, { method: "PUT", path: `/${emulator.bucket}//leading-slash`, headers, body: "x" });
    expect(response.status).toBe(400);
    expect(xmlText(response.body, "Code")).toBe("InvalidObjectName");
  });

  it("accepts a name of exactly 1023 bytes", async () => {
    const key = `names/${"k".repeat(1017)}`;
    await client.put(key, Buffer.from("long"));
    expect((await client.get(key)).content.toString()).toBe("long");
  });

  it("keeps names with `..` segments as names, inside the data folder", async () => {
    const key = "../../../../escaped ü+%.txt";
    const headers = signV1(emulator, { method: "PUT", bucket: emulator.bucket, key, headers: { "content-type": "text/plain" } });
    const path = `/${emulator.bucket}/${key.split("/").map(encodeURIComponent).join("/")}`;
    const put = await rawRequest(emulator, { method: "PUT", path, headers, body: "not escaped" });
    expect(put.status).toBe(200);
    const listed = await client.list({ prefix: "../", "max-keys": 10 }, {});
    expect(listed.objects.map((o) => o.name)).toEqual([key]);
    const get = await rawRequest(emulator, { method: "GET", path, headers: signV1(emulator, { method: "GET", bucket: emulator.bucket, key }) });
    expect(get.body).toBe("not escaped");
    expect(await readdir(join(emulator.dataDir, ".."))).not.toContain("escaped ü+%.txt");
  });
});

describe("GetObject", () => {
  const body = Buffer.from("0123456789abcdef");
  beforeAll(async () => {
    await client.put("get/range.txt", body);
  });

  it("answers 206 with Content-Range and Content-Length for a byte range", async () => {
    const result = await client.get("get/range.txt", { headers: { Range: "bytes=2-5" } });
    expect(result.res.status).toBe(206);
    expect(result.content.toString()).toBe("2345");
    expect(result.res.headers["content-range"]).toBe("bytes 2-5/16");
    expect(result.res.headers["content-length"]).toBe("4");
  });

  it("answers suffix (bytes=-n) and open (bytes=n-) ranges", async () => {
    expect((await client.get("get/range.txt", { headers: { Range: "bytes=-3" } })).content.toString()).toBe("def");
    const open = await client.get("get/range.txt", { headers: { Range: "bytes=10-" } });
    expect(open.content.toString()).toBe("abcdef");
    expect(open.res.headers["content-range"]).toBe("bytes 10-15/16");
  });

  it("ignores an unsatisfiable range with 200 and the whole object, or answers 416 InvalidRange with x-oss-range-behavior: standard", async () => {
    const ignored = await client.get("get/range.txt", { headers: { Range: "bytes=100-200" } });
    expect(ignored.res.status).toBe(200);
    expect(ignored.content.toString()).toBe(body.toString());
    const error = await rejectionOf(client.get("get/range.txt", { headers: { Range: "bytes=100-200", "x-oss-range-behavior": "standard" } }));
    expect(error.status).toBe(416);
    expect(error.code).toBe("InvalidRange");
    const clipped = await client.get("get/range.txt", { headers: { Range: "bytes=10-200", "x-oss-range-behavior": "standard" } });
    expect(clipped.res.status).toBe(206);
    expect(clipped.res.headers["content-range"]).toBe("bytes 10-15/16");
  });

  it("answers 416 for an open range that starts at the end, with x-oss-range-behavior: standard", async () => {
    const error = await rejectionOf(client.get("get/range.txt", { headers: { Range: "bytes=16-", "x-oss-range-behavior": "standard" } }));
    expect(error.status).toBe(416);
    expect(error.code).toBe("InvalidRange");
    const ignored = await client.get("get/range.txt", { headers: { Range: "bytes=16-" } });
    expect(ignored.res.status).toBe(200);
  });

  it("serves ranges of a large object from its file", async () => {
    const large = patterned(300 * 1024, 5);
    await client.put("get/large.bin", large);
    const result = await client.get("get/large.bin", { headers: { Range: "bytes=100000-200000" } });
    expect(Buffer.compare(result.content, large.subarray(100000, 200001))).toBe(0);
    expect((await client.get("get/large.bin")).content.length).toBe(large.length);
  });

  it("replaces headers in the answer with response-content-type and the other response-* parameters", async () => {
    const result = await client.get("get/range.txt", {
      subres: {
        "response-content-type": "text/csv",
        "response-content-disposition": "attachment",
        "response-cache-control": "no-store",
        "response-expires": "Thu, 01 Dec 1994 16:00:00 GMT",
        "response-content-language": "en",
        "response-content-encoding": "identity",
      },
    });
    expect(result.res.headers["content-type"]).toBe("text/csv");
    expect(result.res.headers["content-disposition"]).toBe("attachment");
    expect(result.res.headers["cache-control"]).toBe("no-store");
    expect(result.res.headers.expires).toBe("Thu, 01 Dec 1994 16:00:00 GMT");
    expect(result.res.headers["content-language"]).toBe("en");
    expect(result.res.headers["content-encoding"]).toBe("identity");
  });

  it("sends Content-Length for an empty object", async () => {
    await client.put("get/empty", Buffer.alloc(0));
    const result = await client.get("get/empty");
    expect(result.res.headers["content-length"]).toBe("0");
    expect(result.res.headers.etag).toBe('"D41D8CD98F00B204E9800998ECF8427E"');
  });

  it("answers 404 NoSuchKey with the service's XML, the same XML base64 in x-oss-err", async () => {
    const headers = signV1(emulator, { method: "GET", bucket: emulator.bucket, key: "get/missing.txt" });
    const response = await fetch(objectUrl(emulator, "get/missing.txt"), { headers });
    expect(response.status).toBe(404);
    expect(response.headers.get("content-type")).toBe("application/xml");
    const text = await response.text();
    expect(xmlText(text, "Code")).toBe("NoSuchKey");
    expect(xmlText(text, "Message")).toBe("The specified key does not exist.");
    expect(xmlText(text, "Key")).toBe("get/missing.txt");
    expect(Buffer.from(response.headers.get("x-oss-err")!, "base64").toString()).toBe(text);
  });

  it("lets a streamed read (getStream) see the error code through x-oss-err", async () => {
    const error = await rejectionOf(client.getStream("get/missing.txt"));
    expect(error.status).toBe(404);
    expect(error.code).toBe("NoSuchKey");
  });

  it("answers HeadObject with the object's headers and no body, and 404 with x-oss-err", async () => {
    const head = await client.head("get/range.txt");
    expect(head.res.headers["content-length"]).toBe("16");
    expect(head.res.headers.etag).toBe(`"${md5Hex(body)}"`);
    expect(head.res.headers["x-oss-object-type"]).toBe("Normal");
    const headers = signV1(emulator, { method: "HEAD", bucket: emulator.bucket, key: "get/missing.txt" });
    const response = await fetch(objectUrl(emulator, "get/missing.txt"), { method: "HEAD", headers });
    expect(response.status).toBe(404);
    expect(xmlText(Buffer.from(response.headers.get("x-oss-err")!, "base64").toString(), "Code")).toBe("NoSuchKey");
  });
});

describe("conditional requests", () => {
  let etag: string;
  beforeAll(async () => {
    etag = (await client.put("cond/object.txt", Buffer.from("conditional"))).res.headers.etag as string;
  });

  it("answers 304 to If-None-Match with the current ETag, on GET and HEAD", async () => {
    expect((await client.get("cond/object.txt", { headers: { "If-None-Match": etag } })).res.status).toBe(304);
    expect((await client.head("cond/object.txt", { headers: { "If-None-Match": etag } })).res.status).toBe(304);
  });

  it("answers 412 PreconditionFailed to If-Match with another ETag", async () => {
    const error = await rejectionOf(client.get("cond/object.txt", { headers: { "If-Match": '"0123"' } }));
    expect(error.status).toBe(412);
    expect(error.code).toBe("PreconditionFailed");
    expect(error.message).toContain("At least one of the pre-conditions you specified did not hold. (condition: If-Match)");
    expect((await client.get("cond/object.txt", { headers: { "If-Match": etag } })).res.status).toBe(200);
  });

  it("answers 304 to If-Modified-Since a later date, and 412 to If-Unmodified-Since an earlier one", async () => {
    const later = new Date(Date.now() + 60_000).toUTCString();
    const earlier = new Date(Date.now() - 3_600_000).toUTCString();
    expect((await client.get("cond/object.txt", { headers: { "If-Modified-Since": later } })).res.status).toBe(304);
    expect((await client.get("cond/object.txt", { headers: { "If-Modified-Since": earlier } })).res.status).toBe(200);
    expect((await rejectionOf(client.get("cond/object.txt", { headers: { "If-Unmodified-Since": earlier } }))).status).toBe(412);
    expect((await rejectionOf(client.head("cond/object.txt", { headers: { "If-Unmodified-Since": earlier } }))).status).toBe(412);
  });

  it("checks x-oss-copy-source-if-* on copy: 412 for a failed If-Match, 304 for a matching If-None-Match", async () => {
    const failed = await rejectionOf(client.copy("cond/copy.txt", "cond/object.txt", { headers: { "If-Match": '"0123"' } }));
    expect(failed.status).toBe(412);
    expect(failed.code).toBe("PreconditionFailed");
    // The service names the condition as the plain header, not as its copy-source twin.
    expect(failed.message).toContain("did not hold. (condition: If-Match)");
    const unchanged = await client.copy("cond/copy.txt", "cond/object.txt", { headers: { "If-None-Match": etag } });
    expect(unchanged.res.status).toBe(304);
    const copied = await client.copy("cond/copy.txt", "cond/object.txt", { headers: { "If-Match": etag } });
    expect(copied.res.status).toBe(200);
  });
});

describe("DeleteObject", () => {
  it("answers 204, whether or not the object existed", async () => {
    await client.put("delete/here.txt", Buffer.from("x"));
    expect((await client.delete("delete/here.txt")).res.status).toBe(204);
    expect((await client.delete("delete/never-was.txt")).res.status).toBe(204);
    expect((await rejectionOf(client.get("delete/here.txt"))).code).toBe("NoSuchKey");
  });
});

describe("DeleteMultipleObjects", () => {
  it("deletes the listed keys and names each in the DeleteResult, unless Quiet", async () => {
    const keys = ["multi/a.txt", "multi/b & <c>.txt", "multi/never-was.txt"];
    for (const key of keys.slice(0, 2)) await client.put(key, Buffer.from(key));
    const result = await client.deleteMulti(keys);
    expect(result.deleted.map((d) => (d as unknown as { Key: string }).Key).sort()).toEqual([...keys].sort());
    expect((await client.list({ prefix: "multi/" }, {})).objects).toEqual([]);
    await client.put("multi/quiet.txt", Buffer.from("q"));
    const quiet = await client.deleteMulti(["multi/quiet.txt"], { quiet: true });
    expect(quiet.deleted).toEqual([]);
    expect((await client.list({ prefix: "multi/" }, {})).objects).toEqual([]);
  });

  it("answers 400 InvalidRequest to a request without Content-MD5, and deletes nothing", async () => {
    await client.put("multi/kept.txt", Buffer.from("k"));
    const body = "<Delete><Object><Key>multi/kept.txt</Key></Object></Delete>";
    const headers = signV1(emulator, { method: "POST", bucket: emulator.bucket, subresources: { delete: "" }, headers: { "content-type": "application/xml" } });
    const response = await fetch(`${emulator.endpoint}/${emulator.bucket}/?delete`, { method: "POST", headers, body });
    expect(response.status).toBe(400);
    const text = await response.text();
    expect(xmlText(text, "Code")).toBe("InvalidRequest");
    expect(xmlText(text, "Message")).toContain("Content-MD5");
    expect((await client.get("multi/kept.txt")).content.toString()).toBe("k");
  });

  it("answers 400 MalformedXML to a document that is not XML", async () => {
    const md5 = createHash("md5").update("<Delete><Object>").digest("base64");
    const headers = signV1(emulator, { method: "POST", bucket: emulator.bucket, subresources: { delete: "" }, headers: { "content-type": "application/xml", "content-md5": md5 } });
    const response = await fetch(`${emulator.endpoint}/${emulator.bucket}/?delete`, { method: "POST", headers, body: "<Delete><Object>" });
    expect(response.status).toBe(400);
    expect(xmlText(await response.text(), "Code")).toBe("MalformedXML");
  });
});

describe("CopyObject", () => {
  it("copies the bytes and keeps metadata and headers by default (COPY)", async () => {
    const put = await client.put("copy/source.txt", Buffer.from("source"), {
      meta: { from: "source" },
      headers: { "Content-Type": "text/x-source", "Cache-Control": "no-cache" },
    });
    const result = await client.copy("copy/target.txt", "copy/source.txt");
    expect(result.res.status).toBe(200);
    expect(result.data?.etag).toBe(put.res.headers.etag);
    // Whole seconds, as the service writes every time in XML.
    expect(result.data?.lastModified).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.000Z$/);
    const got = await client.get("copy/target.txt");
    expect(got.content.toString()).toBe("source");
    expect(got.res.headers["content-type"]).toBe("text/x-source");
    expect(got.res.headers["cache-control"]).toBe("no-cache");
    expect(got.res.headers["x-oss-meta-from"]).toBe("source");
  });

  it("replaces metadata with x-oss-metadata-directive: REPLACE", async () => {
    await client.put("copy/replace-source.txt", Buffer.from("bytes"), { meta: { old: "yes" } });
    await client.copy("copy/replaced.txt", "copy/replace-source.txt", { meta: { fresh: "yes" }, headers: { "Content-Type": "text/plain" } });
    const head = await client.head("copy/replaced.txt");
    expect(head.meta).toEqual({ fresh: "yes" });
    expect(head.res.headers["content-type"]).toBe("text/plain");
    expect((await client.get("copy/replaced.txt")).content.toString()).toBe("bytes");
  });

  it("changes an object's metadata in place (putMeta, a copy onto itself) and keeps its bytes", async () => {
    const large = patterned(120 * 1024, 9);
    await client.put("copy/in-place.bin", large, { meta: { version: "1" } });
    await client.putMeta("copy/in-place.bin", { version: "2" }, {});
    expect((await client.head("copy/in-place.bin")).meta).toEqual({ version: "2" });
    expect(Buffer.compare((await client.get("copy/in-place.bin")).content, large)).toBe(0);
  });

  it("copies between buckets, small and large objects alike", async () => {
    const small = Buffer.from("small");
    const large = patterned(200 * 1024, 3);
    await client.put("copy/small.bin", small);
    await client.put("copy/large.bin", large);
    const other = clientFor(emulator).useBucket("other-bucket");
    await other.copy("copied/small.bin", "copy/small.bin", emulator.bucket);
    await other.copy("copied/large.bin", "copy/large.bin", emulator.bucket);
    expect(Buffer.compare((await other.get("copied/small.bin")).content, small)).toBe(0);
    expect(Buffer.compare((await other.get("copied/large.bin")).content, large)).toBe(0);
    // The copy is its own: replacing the source leaves it alone.
    await client.put("copy/large.bin", Buffer.from("replaced"));
    expect(Buffer.compare((await other.get("copied/large.bin")).content, large)).toBe(0);
  });

  it("answers 404 NoSuchKey when the source does not exist", async () => {
    const error = await rejectionOf(client.copy("copy/nothing.txt", "copy/does-not-exist.txt"));
    expect(error.status).toBe(404);
    expect(error.code).toBe("NoSuchKey");
  });
});

describe("AppendObject", () => {
  it("appends at the position given and answers x-oss-next-append-position", async () => {
    const first = await client.append("append/log.txt", Buffer.from("first line\n"));
    expect(first.nextAppendPosition).toBe("11");
    const second = await client.append("append/log.txt", Buffer.from("second line\n"), { position: first.nextAppendPosition });
    expect(second.nextAppendPosition).toBe("23");
    const got = await client.get("append/log.txt");
    expect(got.content.toString()).toBe("first line\nsecond line\n");
    expect(got.res.headers["x-oss-object-type"]).toBe("Appendable");
    expect(got.res.headers["x-oss-next-append-position"]).toBe("23");
  });

  it("answers 409 PositionNotEqualToLength with the right position in x-oss-next-append-position", async () => {
    await client.append("append/positions.txt", Buffer.from("12345"));
    const error = await rejectionOf(client.append("append/positions.txt", Buffer.from("x"), { position: "3" }));
    expect(error.status).toBe(409);
    expect(error.code).toBe("PositionNotEqualToLength");
    const headers = signV1(emulator, { method: "POST", bucket: emulator.bucket, key: "append/positions.txt", subresources: { append: "", position: "3" } });
    const response = await fetch(`${objectUrl(emulator, "append/positions.txt")}?append&position=3`, { method: "POST", headers, body: new Uint8Array([120]) });
    expect(response.status).toBe(409);
    expect(response.headers.get("x-oss-next-append-position")).toBe("5");
    expect((await client.get("append/positions.txt")).content.toString()).toBe("12345");
  });

  it("answers 409 ObjectNotAppendable for an object that was put", async () => {
    await client.put("append/normal.txt", Buffer.from("normal"));
    const error = await rejectionOf(client.append("append/normal.txt", Buffer.from("x"), { position: "6" }));
    expect(error.status).toBe(409);
    expect(error.code).toBe("ObjectNotAppendable");
  });
});

describe("object ACL", () => {
  it("lets anyone read a public-read object of a private bucket, and reports the ACL", async () => {
    await client.put("acl/public.txt", Buffer.from("for everyone"), { headers: { "x-oss-object-acl": "public-read" } });
    const response = await fetch(objectUrl(emulator, "acl/public.txt"));
    expect(response.status).toBe(200);
    expect(await response.text()).toBe("for everyone");
    expect((await client.getACL("acl/public.txt")).acl).toBe("public-read");
    await client.putACL("acl/public.txt", "private");
    expect((await fetch(objectUrl(emulator, "acl/public.txt"))).status).toBe(403);
  });

  it("answers 400 InvalidArgument to an unknown ACL", async () => {
    const error = await rejectionOf(client.put("acl/bad.txt", Buffer.from("x"), { headers: { "x-oss-object-acl": "everyone" } }));
    expect(error.status).toBe(400);
    expect(error.code).toBe("InvalidArgument");
  });
});

describe("object tagging", () => {
  it("puts, gets and deletes tags, and counts them in x-oss-tagging-count", async () => {
    await client.put("tags/object.txt", Buffer.from("tagged"));
    await client.putObjectTagging("tags/object.txt", { project: "jit", "team/area": "a+b=c" });
    expect((await client.getObjectTagging("tags/object.txt")).tag).toEqual({ project: "jit", "team/area": "a+b=c" });
    expect((await client.get("tags/object.txt")).res.headers["x-oss-tagging-count"]).toBe("2");
    await client.deleteObjectTagging("tags/object.txt");
    expect((await client.getObjectTagging("tags/object.txt")).tag).toEqual({});
  });

  it("takes tags from x-oss-tagging on PutObject", async () => {
    await client.put("tags/header.txt", Buffer.from("x"), { headers: { "x-oss-tagging": "k1=v1&k%202=v%202" } });
    expect((await client.getObjectTagging("tags/header.txt")).tag).toEqual({ k1: "v1", "k 2": "v 2" });
  });
});

describe("symlinks", () => {
  it("creates a symlink that reads as its target and reports its target", async () => {
    await client.put("links/target ü.txt", Buffer.from("the target"));
    await client.putSymlink("links/link.txt", "links/target ü.txt");
    expect((await client.getSymlink("links/link.txt")).targetName).toBe("links/target ü.txt");
    const got = await client.get("links/link.txt");
    expect(got.content.toString()).toBe("the target");
    expect(got.res.headers["x-oss-object-type"]).toBe("Symlink");
  });

  it("answers 400 InvalidTargetType when the target is itself a symlink", async () => {
    await client.put("links/end.txt", Buffer.from("end"));
    await client.putSymlink("links/first.txt", "links/end.txt");
    await client.putSymlink("links/second.txt", "links/first.txt");
    const error = await rejectionOf(client.get("links/second.txt"));
    expect(error.status).toBe(400);
    expect(error.code).toBe("InvalidTargetType");
  });

  it("checks the target's ACL, not the link's, when someone anonymous reads through a link", async () => {
    await client.putBucket("open-links");
    await client.putBucketACL("open-links", "public-read-write");
    // useBucket changes the client it is called on: a client of its own.
    const open = clientFor(emulator).useBucket("open-links");
    await open.put("private.txt", Buffer.from("secret"), { headers: { "x-oss-object-acl": "private" } });
    await open.put("public.txt", Buffer.from("for all"));
    // An anonymous writer may create links in a public-read-write bucket…
    for (const [link, target] of [["alias", "private.txt"], ["fine", "public.txt"]]) {
      const put = await fetch(`${objectUrl(emulator, link, "open-links")}?symlink`, {
        method: "PUT",
        headers: { "x-oss-symlink-target": target },
      });
      expect(put.status).toBe(200);
    }
    // …but not read a private object through one.
    const denied = await fetch(objectUrl(emulator, "alias", "open-links"));
    expect(denied.status).toBe(403);
    expect(xmlText(await denied.text(), "Code")).toBe("AccessDenied");
    expect((await fetch(objectUrl(emulator, "alias", "open-links"), { method: "HEAD" })).status).toBe(403);
    const allowed = await fetch(objectUrl(emulator, "fine", "open-links"));
    expect(allowed.status).toBe(200);
    expect(await allowed.text()).toBe("for all");
  });

  it("answers 404 NoSuchKey when the target is gone", async () => {
    await client.putSymlink("links/dangling.txt", "links/not-there.txt");
    const error = await rejectionOf(client.get("links/dangling.txt"));
    expect(error.status).toBe(404);
    expect(error.code).toBe("NoSuchKey");
  });
});

describe("GetObjectMeta", () => {
  it("answers ETag, Content-Length and Last-Modified without a body", async () => {
    const put = await client.put("meta/object.bin", patterned(1000));
    const meta = await client.getObjectMeta("meta/object.bin");
    expect(meta.status).toBe(200);
    expect(meta.res.headers.etag).toBe(put.res.headers.etag);
    expect(meta.res.headers["content-length"]).toBe("1000");
    expect(meta.res.headers["last-modified"]).toMatch(/GMT$/);
  });
});

describe("error documents", () => {
  it("answer every error as <Error> with Code, Message, RequestId and HostId", async () => {
    const headers = signV1(emulator, { method: "GET", bucket: "no-such-bucket", key: "x" });
    const response = await fetch(`${emulator.endpoint}/no-such-bucket/x`, { headers });
    expect(response.status).toBe(404);
    const text = await response.text();
    expect(text.startsWith('<?xml version="1.0" encoding="UTF-8"?>\n<Error>')).toBe(true);
    expect(xmlText(text, "Code")).toBe("NoSuchBucket");
    expect(xmlTexts(text, "RequestId")).toEqual([response.headers.get("x-oss-request-id")]);
    expect(xmlText(text, "HostId")).toBe("no-such-bucket.oss-cn-hangzhou.aliyuncs.com");
  });
});

describe("server-side encryption headers", () => {
  it("keeps x-oss-server-side-encryption (and the KMS key id) and echoes them on PutObject, GetObject and HeadObject", async () => {
    const sse = { "x-oss-server-side-encryption": "KMS", "x-oss-server-side-encryption-key-id": "9468da86-3509-4f8d-a61e-6eab1eac****" };
    const put = await client.put("sse/kms.txt", Buffer.from("secret"), { headers: sse });
    for (const res of [put.res, (await client.get("sse/kms.txt")).res, (await client.head("sse/kms.txt")).res]) {
      expect(res.headers["x-oss-server-side-encryption"]).toBe("KMS");
      expect(res.headers["x-oss-server-side-encryption-key-id"]).toBe(sse["x-oss-server-side-encryption-key-id"]);
    }
  });

  it("keeps the encryption given at InitiateMultipartUpload for the completed object", async () => {
    const init = await client.initMultipartUpload("sse/multipart.bin", { headers: { "x-oss-server-side-encryption": "AES256" } });
    expect(init.res.headers["x-oss-server-side-encryption"]).toBe("AES256");
    const file = join(mkdtempSync(join(tmpdir(), "oss-emulator-sse-")), "part.bin");
    writeFileSync(file, patterned(1000));
    const part = await client.uploadPart("sse/multipart.bin", init.uploadId, 1, file, 0, 1000);
    expect(part.res.headers["x-oss-server-side-encryption"]).toBe("AES256");
    await client.completeMultipartUpload("sse/multipart.bin", init.uploadId, [{ number: 1, etag: part.etag }]);
    expect((await client.head("sse/multipart.bin")).res.headers["x-oss-server-side-encryption"]).toBe("AES256");
  });

  it("answers 400 InvalidEncryptionAlgorithmError to an algorithm the service does not offer", async () => {
    const error = await rejectionOf(client.put("sse/bad.txt", Buffer.from("x"), { headers: { "x-oss-server-side-encryption": "DES" } }));
    expect(error.status).toBe(400);
    expect(error.code).toBe("InvalidEncryptionAlgorithmError");
  });
});
