import { readFile } from "node:fs/promises";
import sharp from "sharp";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { StorageError } from "../../index.ts";
import { expectFailure, openSvcApp, serve, svcFixture, type SvcFixture } from "./helpers.ts";

let fixture: SvcFixture;
let server: Awaited<ReturnType<typeof serve>>;
const base = "/storages/services/StorageSvc";

beforeEach(async () => {
  fixture = await openSvcApp("routing", { oss: true });
  server = await serve(fixture.svc.requestHandler());
});
afterEach(async () => {
  await server.close();
  await fixture.dispose();
});

/** A real 400 × 300 image in `format`, made by sharp: a gradient, so that it is not trivially compressible. */
async function image(format: "jpeg" | "png" | "webp"): Promise<Buffer> {
  const pixels = Buffer.alloc(400 * 300 * 3);
  for (let i = 0; i < pixels.length; i++) pixels[i] = (i * 7) % 256;
  return sharp(pixels, { raw: { width: 400, height: 300, channels: 3 } }).toFormat(format).toBuffer();
}

/** A real two-frame animated GIF, 200 × 100 per frame. */
async function animatedGif(): Promise<Buffer> {
  const frame = (value: number) => Buffer.alloc(200 * 100 * 4, value);
  return sharp(Buffer.concat([frame(40), frame(220)]), { raw: { width: 200, height: 200, channels: 4, pageHeight: 100 } }).gif().toBuffer();
}

describe("StorageSvc thumbnails", () => {
  for (const format of ["jpeg", "png", "webp"] as const) {
    it(`makes a ${format} thumbnail on first request, stores it beside the original, and serves it from there after`, async () => {
      const ext = format === "jpeg" ? "jpg" : format;
      await fixture.svc.uploadByFile(`photos/cat.${ext}`, await image(format), undefined, `image/${format}`, "storages.Cloud");
      const res = await fetch(server.url(`${base}/previewThumbnail?name=photos/cat.${ext}&width=120&height=120&storage=storages.Cloud`));
      expect(res.status).toBe(200);
      expect(res.headers.get("content-type")).toBe(`image/${format}`);
      const made = await sharp(Buffer.from(await res.arrayBuffer())).metadata();
      expect([made.format, made.width, made.height]).toEqual([format, 120, 90]); // proportions kept, inside 120 × 120
      const stored = fixture.storage("storages.Cloud");
      const thumb = await stored.getObject(`photos/cat_120_120.${ext}`);
      // Served from the stored thumbnail: the same object, not a new one.
      const again = await fetch(server.url(`${base}/previewThumbnail?name=photos/cat.${ext}&width=120&height=120&storage=storages.Cloud`));
      expect(again.headers.get("etag")).toBe(`"${thumb.etag}"`);
      await again.arrayBuffer();
      expect((await stored.getObject(`photos/cat_120_120.${ext}`)).lastModified).toEqual(thumb.lastModified);
    });
  }

  it("makes a GIF's thumbnail of its first frame, with JitAI's defaults of 120 × 120", async () => {
    await fixture.svc.uploadByFile("anim.gif", await animatedGif());
    const response = await fixture.svc.previewThumbnail("anim.gif");
    const chunks: Buffer[] = [];
    for await (const chunk of response.body!) chunks.push(chunk as Buffer);
    const made = await sharp(Buffer.concat(chunks), { pages: -1 }).metadata();
    expect([made.format, made.width, made.height, made.pages ?? 1]).toEqual(["gif", 120, 60, 1]);
    expect(await fixture.storage("storages.Files").exists("anim_120_120.gif")).toBe(true);
  });

  it("never enlarges: a small image's thumbnail keeps its size", async () => {
    await fixture.svc.uploadByFile("tiny.png", await sharp({ create: { width: 30, height: 20, channels: 3, background: "#08f" } }).png().toBuffer());
    const res = await fetch(server.url(`${base}/previewThumbnail?name=tiny.png&width=300&height=300`));
    const made = await sharp(Buffer.from(await res.arrayBuffer())).metadata();
    expect([made.width, made.height]).toEqual([30, 20]);
  });

  it("answers 415 for a file that is not an image, and for one that only looks like one", async () => {
    await fixture.svc.uploadByFile("notes.txt", Buffer.from("just text"));
    const res = await fetch(server.url(`${base}/previewThumbnail?name=notes.txt`));
    expect(res.status).toBe(415);
    expect(await res.text()).toContain("not a JPEG, PNG, WebP or GIF image");
    await fixture.svc.uploadByFile("broken.png", Buffer.concat([(await image("png")).subarray(0, 40), Buffer.alloc(100)]));
    expect((await fetch(server.url(`${base}/previewThumbnail?name=broken.png`))).status).toBe(415);
    expect(await fixture.storage("storages.Files").exists("notes_120_120.txt")).toBe(false);
  });

  it("bounds width and height to 1–2048 pixels", async () => {
    await fixture.svc.uploadByFile("cat.png", await image("png"));
    for (const [w, h] of [[0, 10], [10, 2049], [-1, 5], [1.5, 5]]) {
      await expectFailure(fixture.svc.previewThumbnail("cat.png", w, h), StorageError, { code: "INVALID_ARGUMENT" });
    }
    for (const query of ["width=0", "height=2049", "width=abc"]) {
      expect((await fetch(server.url(`${base}/previewThumbnail?name=cat.png&${query}`))).status, query).toBe(400);
    }
    expect((await fetch(server.url(`${base}/previewThumbnail?name=cat.png&width=2048&height=1`))).status).toBe(200);
  });

  it("refuses a 200-megapixel image from its header, before decoding it", async () => {
    await fixture.svc.uploadByFile("huge.png", await readFile(`${svcFixture("images")}huge-200-megapixels.png`));
    const rss = process.memoryUsage().rss;
    const res = await fetch(server.url(`${base}/previewThumbnail?name=huge.png`));
    expect(res.status).toBe(413);
    expect(await res.text()).toContain("more than 50000000 pixels");
    expect(process.memoryUsage().rss - rss).toBeLessThan(200 * 1024 * 1024); // decoding it would take 600 MB
    expect(await fixture.storage("storages.Files").exists("huge_120_120.png")).toBe(false);
  });

  it("gives a thumbnail its original's expiry, and deletes both when the original expires", async () => {
    await fixture.svc.uploadByFile("brief.png", await image("png"), undefined, undefined, undefined, 60);
    await fixture.svc.previewThumbnail("brief.png", 50, 50);
    expect((await fixture.svc.getRecord("brief_50_50.png")).expires).toBe(fixture.clock.now + 60_000);
    fixture.clock.advance(60);
    expect((await fetch(server.url(`${base}/previewThumbnail?name=brief.png&width=50&height=50`))).status).toBe(404);
    expect(await fixture.storage("storages.Files").exists("brief.png")).toBe(false);
    expect(await fixture.storage("storages.Files").exists("brief_50_50.png")).toBe(false);
  });

  it("deletes an image's thumbnails with it", async () => {
    await fixture.svc.uploadByFile("dir/pic.jpg", await image("jpeg"));
    await fixture.svc.previewThumbnail("dir/pic.jpg", 64, 64);
    await fixture.svc.delete("dir/pic.jpg");
    expect(await fixture.storage("storages.Files").exists("dir/pic_64_64.jpg")).toBe(false);
  });
});
