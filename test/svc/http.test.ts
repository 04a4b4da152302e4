import { request } from "node:http";
import { afterEach, beforeEach, describe, expect, expectTypeOf, it } from "vitest";
import type { StorageSvc } from "../../index.ts";
import { openSvcApp, serve, type SvcFixture } from "./helpers.ts";

let fixture: SvcFixture;
let server: Awaited<ReturnType<typeof serve>>;
const base = "/storages/services/StorageSvc";
const body = Buffer.from("0123456789abcdefghij"); // 20 bytes

beforeEach(async () => {
  fixture = await openSvcApp("routing", { oss: true });
  server = await serve(fixture.svc.requestHandler());
  await fixture.svc.uploadByFile("docs/hello.txt", body, undefined, "text/plain");
  await fixture.svc.uploadByFile("docs/Relatório de Março 2026 ✓.pdf", Buffer.from("%PDF-1.4 tiny"), undefined, "application/pdf", "storages.Cloud");
});
afterEach(async () => {
  await server.close();
  await fixture.dispose();
});

const get = (path: string, headers: Record<string, string> = {}, method = "GET") => fetch(server.url(path), { method, headers });

describe("StorageSvc requestHandler", () => {
  it("is typed as the service's own class through the generated element map, not as a Storage", () => {
    expectTypeOf(fixture.app.getElement("storages.services.StorageSvc")).toEqualTypeOf<StorageSvc>();
  });

  it("serves a preview inline with the file's Content-Type, length and ETag", async () => {
    const res = await get(`${base}/preview?file=docs/hello.txt`);
    expect(res.status).toBe(200);
    expect(res.headers.get("content-type")).toBe("text/plain");
    expect(res.headers.get("content-length")).toBe("20");
    expect(res.headers.get("content-disposition")).toBe('inline; filename="hello.txt"');
    expect(res.headers.get("accept-ranges")).toBe("bytes");
    expect(res.headers.get("etag")).toMatch(/^".+"$/);
    expect(Buffer.from(await res.arrayBuffer())).toEqual(body);
  });

  it("serves a download from the storage named in the query as an attachment, with RFC 6266's name for non-ASCII", async () => {
    const file = encodeURIComponent("docs/Relatório de Março 2026 ✓.pdf");
    const res = await get(`${base}/download?file=${file}&storage=storages.Cloud`);
    expect(res.status).toBe(200);
    expect(res.headers.get("content-type")).toBe("application/pdf");
    expect(res.headers.get("content-disposition")).toBe(`attachment; filename="Relat_rio de Mar_o 2026 _.pdf"; filename*=UTF-8''Relat%C3%B3rio%20de%20Mar%C3%A7o%202026%20%E2%9C%93.pdf`);
    expect(await res.text()).toBe("%PDF-1.4 tiny");
  });

  it("answers byte ranges with 206 and Content-Range, and an unsatisfiable one with 416", async () => {
    const part = await get(`${base}/preview?file=docs/hello.txt`, { Range: "bytes=5-9" });
    expect(part.status).toBe(206);
    expect(part.headers.get("content-range")).toBe("bytes 5-9/20");
    expect(await part.text()).toBe("56789");
    const suffix = await get(`${base}/preview?file=docs/hello.txt`, { Range: "bytes=-3" });
    expect([suffix.status, await suffix.text()]).toEqual([206, "hij"]);
    const open = await get(`${base}/preview?file=docs/hello.txt`, { Range: "bytes=18-" });
    expect([open.status, await open.text()]).toEqual([206, "ij"]);
    const beyond = await get(`${base}/preview?file=docs/hello.txt`, { Range: "bytes=20-30" });
    expect(beyond.status).toBe(416);
    expect(beyond.headers.get("content-range")).toBe("bytes */20");
    // A Range whose If-Range names another version gets the whole file.
    const stale = await get(`${base}/preview?file=docs/hello.txt`, { Range: "bytes=0-1", "If-Range": '"not-the-etag"' });
    expect([stale.status, (await stale.text()).length]).toEqual([200, 20]);
  });

  it("answers 304 to If-None-Match with the current ETag, and the file again once it changes", async () => {
    const first = await get(`${base}/preview?file=docs/hello.txt`);
    const etag = first.headers.get("etag")!;
    await first.arrayBuffer();
    const same = await get(`${base}/preview?file=docs/hello.txt`, { "If-None-Match": etag });
    expect(same.status).toBe(304);
    expect(same.headers.get("etag")).toBe(etag);
    await fixture.svc.uploadByFile("docs/hello.txt", Buffer.from("changed"), undefined, "text/plain");
    const changed = await get(`${base}/preview?file=docs/hello.txt`, { "If-None-Match": etag });
    expect([changed.status, await changed.text()]).toEqual([200, "changed"]);
  });

  it("answers HEAD with the headers and no body", async () => {
    const res = await get(`${base}/preview?file=docs/hello.txt`, {}, "HEAD");
    expect(res.status).toBe(200);
    expect(res.headers.get("content-length")).toBe("20");
    expect(await res.text()).toBe("");
  });

  it("answers 404 for a missing file and for an expired one, which it deletes", async () => {
    expect((await get(`${base}/preview?file=docs/nothing.txt`)).status).toBe(404);
    await fixture.svc.uploadByFile("brief.txt", Buffer.from("b"), undefined, undefined, undefined, 10);
    expect((await get(`${base}/preview?file=brief.txt`)).status).toBe(200);
    fixture.clock.advance(10);
    const gone = await get(`${base}/download?file=brief.txt`);
    expect(gone.status).toBe(404);
    expect(await gone.text()).toContain("expired");
    expect(await fixture.storage("storages.Files").exists("brief.txt")).toBe(false);
  });

  it("answers 400 for traversal, absolute and invalid names, and for an unknown storage", async () => {
    for (const file of ["../etc/passwd", "docs/../../x", "/etc/passwd", "C:%5Cwindows", "a%00b"]) {
      const res = await get(`${base}/preview?file=${file}`);
      expect(res.status, file).toBe(400);
    }
    expect((await get(`${base}/preview`)).status).toBe(400);
    const unknown = await get(`${base}/preview?file=docs/hello.txt&storage=storages.Nope`);
    expect(unknown.status).toBe(400);
    expect(await unknown.text()).toContain("storages.Cloud, storages.Files");
  });

  it("answers 405 to other methods and 404 to other routes, and keeps serving after a malformed request", async () => {
    expect((await get(`${base}/preview?file=docs/hello.txt`, {}, "DELETE")).status).toBe(405);
    expect((await get(`${base}/upload?file=docs/hello.txt`)).status).toBe(404);
    const raw = await new Promise<number>((resolve, reject) => {
      const req = request(server.url(`${base}/preview?file=%E0%A4%A`), (res) => {
        res.resume();
        resolve(res.statusCode ?? 0);
      });
      req.on("error", reject);
      req.end();
    });
    expect(raw).toBe(404); // an undecodable escape is just another name, and no such file exists
    expect((await get(`${base}/preview?file=docs/hello.txt`)).status).toBe(200);
  });

  it("cuts the connection, and keeps serving, when the client goes away mid-download", async () => {
    const big = Buffer.alloc(8 * 1024 * 1024, 7);
    await fixture.svc.uploadByFile("big.bin", big);
    const controller = new AbortController();
    const res = await fetch(server.url(`${base}/download?file=big.bin`), { signal: controller.signal });
    const reader = res.body!.getReader();
    await reader.read();
    controller.abort();
    const again = await get(`${base}/preview?file=docs/hello.txt`);
    expect(again.status).toBe(200);
  });
});
