// Signed URLs of a disk storage work as a service's do: plain fetch can GET the object with the signed Content-Type
// or PUT it bound to one, until the URL expires; the storage's own request handler serves them, mounted in any
// Node server or started by serve().
import { createServer, request as httpRequest, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { readdir } from "node:fs/promises";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type DiskStorage from "../../elements/storages/DiskType/index.ts";
import { expectStorageError, openDiskApp, type DiskFixture } from "./helpers.ts";

let server: Server;
let base: string;
let fixture: DiskFixture;
let disk: DiskStorage;

beforeAll(async () => {
  // The server listens first, so that baseUrl can name its port; the handler is mounted once the app is loaded.
  server = createServer();
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}/files`;
  fixture = await openDiskApp({ DISK_BASE_URL: base });
  disk = fixture.disk;
  server.on("request", disk.requestHandler());
  await disk.uploadByFile("signed/photo.jpg", Buffer.from("jpeg bytes"), "application/octet-stream");
});

afterAll(async () => {
  server.closeAllConnections();
  await new Promise((resolve) => server.close(resolve));
  await fixture.dispose();
});

async function errorCode(response: Response): Promise<string | undefined> {
  return /<Code>([^<]*)<\/Code>/.exec(await response.text())?.[1];
}

describe("a signed GET URL", () => {
  it("serves the object to plain fetch with the signed Content-Type, its length and ETag", async () => {
    const url = await disk.getSignUrl("signed/photo.jpg", "image/jpeg", 600);
    expect(url.startsWith(`${base}/signed/photo.jpg?`)).toBe(true);
    const response = await fetch(url);
    expect(response.status).toBe(200);
    expect(response.headers.get("content-type")).toBe("image/jpeg");
    expect(response.headers.get("content-length")).toBe("10");
    expect(response.headers.get("etag")).toBe(`"${(await disk.getObject("signed/photo.jpg")).etag}"`);
    expect(await response.text()).toBe("jpeg bytes");
  });

  it("expires after 300 seconds by default", async () => {
    const url = new URL(await disk.getSignUrl("signed/photo.jpg", "image/jpeg"));
    const left = Number(url.searchParams.get("Expires")) - Date.now() / 1000;
    expect(left).toBeGreaterThan(295);
    expect(left).toBeLessThanOrEqual(301);
  });

  it("serves a byte range (206) for players and resumable downloads", async () => {
    const url = await disk.getSignUrl("signed/photo.jpg", "image/jpeg", 600);
    const response = await fetch(url, { headers: { Range: "bytes=5-" } });
    expect(response.status).toBe(206);
    expect(response.headers.get("content-range")).toBe("bytes 5-9/10");
    expect(await response.text()).toBe("bytes");
    expect((await fetch(url, { headers: { Range: "bytes=10-" } })).status).toBe(416);
  });

  it.each([
    ["spaces", "a file with spaces.txt"],
    ["unicode", "文件/übersicht-😀.txt"],
    ["plus and percent", "a+b 100%25.txt"],
    ["query-looking characters", "what?is=this&that#hash.txt"],
  ])("works for names with %s", async (_label, name) => {
    await disk.uploadByFile(`signed/${name}`, Buffer.from(name));
    const response = await fetch(await disk.getSignUrl(`signed/${name}`, "text/plain; charset=utf-8", 60));
    expect(response.status).toBe(200);
    expect(response.headers.get("content-type")).toBe("text/plain; charset=utf-8");
    expect(await response.text()).toBe(name);
  });

  it("answers 404 NoSuchKey for a missing object", async () => {
    const response = await fetch(await disk.getSignUrl("signed/missing.jpg", "image/jpeg", 60));
    expect(response.status).toBe(404);
    expect(await errorCode(response)).toBe("NoSuchKey");
  });
});

describe("a signed PUT URL", () => {
  it("stores the body with the Content-Type it was signed for", async () => {
    const url = await disk.getSignUrl("signed/upload.json", "application/json", 600, { method: "PUT" });
    const response = await fetch(url, { method: "PUT", body: '{"ok":true}', headers: { "Content-Type": "application/json" } });
    expect(response.status).toBe(200);
    expect(response.headers.get("etag")).toBe(`"${(await disk.getObject("signed/upload.json")).etag}"`);
    expect(await disk.getObject("signed/upload.json")).toMatchObject({ contentType: "application/json", size: 11 });
  });

  it("refuses another Content-Type, or none, with 403 SignatureDoesNotMatch, storing nothing", async () => {
    const url = await disk.getSignUrl("signed/typed.json", "application/json", 600, { method: "PUT" });
    const wrongType = await fetch(url, { method: "PUT", body: "text", headers: { "Content-Type": "text/plain" } });
    expect(wrongType.status).toBe(403);
    expect(await errorCode(wrongType)).toBe("SignatureDoesNotMatch");
    const noType = await fetch(url, { method: "PUT", body: new Uint8Array([1, 2]) });
    expect(noType.status).toBe(403);
    expect(await disk.exists("signed/typed.json")).toBe(false);
  });

  it("is bound to its method: a PUT URL does not GET, a GET URL does not PUT", async () => {
    const putUrl = await disk.getSignUrl("signed/photo.jpg", "image/jpeg", 600, { method: "PUT" });
    expect((await fetch(putUrl)).status).toBe(403);
    const getUrl = await disk.getSignUrl("signed/photo.jpg", "image/jpeg", 600);
    expect((await fetch(getUrl, { method: "PUT", body: "x", headers: { "Content-Type": "image/jpeg" } })).status).toBe(403);
    expect((await disk.download("signed/photo.jpg")).toString()).toBe("jpeg bytes");
  });

  it("stores nothing when the client goes away mid-body", async () => {
    const url = new URL(await disk.getSignUrl("signed/half.bin", "application/octet-stream", 600, { method: "PUT" }));
    await new Promise<void>((resolve) => {
      const request = httpRequest(url, { method: "PUT", headers: { "Content-Type": "application/octet-stream", "Content-Length": String(1024 * 1024) } });
      request.on("error", () => resolve());
      request.write(Buffer.alloc(64 * 1024), () => setTimeout(() => request.destroy(), 50));
      request.on("close", () => resolve());
    });
    await new Promise((resolve) => setTimeout(resolve, 100));
    expect(await disk.exists("signed/half.bin")).toBe(false);
    expect(await readdir(join(fixture.dir, "partial"))).toEqual([]);
  });
});

describe("refused requests", () => {
  it("a tampered URL (other object, other Content-Type, later expiry) answers 403", async () => {
    const url = new URL(await disk.getSignUrl("signed/photo.jpg", "image/jpeg", 600));
    const other = new URL(url);
    other.pathname = other.pathname.replace("photo.jpg", "other.jpg");
    const otherResponse = await fetch(other);
    expect(otherResponse.status).toBe(403);
    expect(await errorCode(otherResponse)).toBe("SignatureDoesNotMatch");
    const forgedType = new URL(url);
    forgedType.searchParams.set("response-content-type", "text/html");
    expect((await fetch(forgedType)).status).toBe(403);
    const later = new URL(url);
    later.searchParams.set("Expires", String(Number(url.searchParams.get("Expires")) + 3600));
    expect((await fetch(later)).status).toBe(403);
  });

  it("an expired URL answers 403 AccessDenied", async () => {
    const url = await disk.getSignUrl("signed/photo.jpg", "image/jpeg", 1);
    await new Promise((resolve) => setTimeout(resolve, 2_100));
    const response = await fetch(url);
    expect(response.status).toBe(403);
    expect(await response.text()).toContain("<Code>AccessDenied</Code>");
  });

  it("an unsigned request answers 403 AccessDenied, the plain url of an upload included", async () => {
    const { url } = await disk.uploadByFile("signed/private.txt", Buffer.from("private"));
    const response = await fetch(url);
    expect(response.status).toBe(403);
    expect(await errorCode(response)).toBe("AccessDenied");
    expect((await fetch(url, { method: "PUT", body: "x" })).status).toBe(403);
  });

  it("other methods answer 405, and paths outside the base path 404", async () => {
    const url = await disk.getSignUrl("signed/photo.jpg", "image/jpeg", 600);
    const deleted = await fetch(url, { method: "DELETE" });
    expect(deleted.status).toBe(405);
    expect(deleted.headers.get("allow")).toBe("GET, PUT");
    expect((await fetch(url.replace("/files/", "/elsewhere/"))).status).toBe(404);
    expect(await disk.exists("signed/photo.jpg")).toBe(true);
  });
});

describe("getSignUrl", () => {
  it("checks its arguments", async () => {
    await expectStorageError(disk.getSignUrl("x", "", 60), { code: "INVALID_ARGUMENT", operation: "getSignUrl" });
    await expectStorageError(disk.getSignUrl("x", "text/plain", 0), { code: "INVALID_ARGUMENT" });
    await expectStorageError(disk.getSignUrl("x", "text/plain", 8 * 24 * 3600), { code: "INVALID_ARGUMENT" });
  });

  it("says which config it needs when baseUrl or signingSecret is missing: CONFIG_MISSING", async () => {
    const error = await expectStorageError(fixture.element("storages.Unsigned").getSignUrl("a.txt", "text/plain"), {
      code: "CONFIG_MISSING",
      operation: "getSignUrl",
      element: "storages.Unsigned",
    });
    expect(error.message).toContain("signed URLs of a disk storage need baseUrl and signingSecret in the business config of storages.Unsigned");
  });
});

describe("serve()", () => {
  it("starts a server at baseUrl's port that answers the storage's signed URLs, until closed", async () => {
    const port = await freePort();
    const other = await openDiskApp({ DISK_BASE_URL: `http://127.0.0.1:${port}/files` });
    try {
      const served = await other.disk.serve();
      expect(served.url).toBe(`http://127.0.0.1:${port}/files`);
      await other.disk.uploadByFile("served.txt", Buffer.from("over http"), "text/plain");
      const url = await other.disk.getSignUrl("served.txt", "text/plain");
      expect(await (await fetch(url)).text()).toBe("over http");
      await served.close();
      await expect(fetch(url)).rejects.toThrow();
    } finally {
      await other.dispose();
    }
  });

  it("fails with a StorageError that names the port when it is taken", async () => {
    const error = await expectStorageError(disk.serve(), { code: "EADDRINUSE", operation: "serve" });
    expect(error.message).toContain(`127.0.0.1:${new URL(base).port} is already in use: stop what listens there, or serve on another port (baseUrl: ${base})`);
  });

  it('with "serve": true, starts on first use and stops with app.close(); "publicRead" serves plain urls', async () => {
    const port = await freePort();
    const other = await openDiskApp({ DISK_SERVED_URL: `http://127.0.0.1:${port}/served` });
    const served = other.element("storages.Served");
    const { url } = await served.uploadByFile("public/readme.md", Buffer.from("# hello"), "text/markdown");
    expect(url).toBe(`http://127.0.0.1:${port}/served/public/readme.md`);
    const response = await fetch(url);
    expect(response.status).toBe(200);
    expect(response.headers.get("content-type")).toBe("text/markdown");
    expect(await response.text()).toBe("# hello");
    await other.dispose();
    await expect(fetch(url)).rejects.toThrow();
  });
});

async function freePort(): Promise<number> {
  const probe = createServer();
  await new Promise<void>((resolve) => probe.listen(0, "127.0.0.1", resolve));
  const { port } = probe.address() as AddressInfo;
  await new Promise((resolve) => probe.close(resolve));
  return port;
}
