// An app's own Type built on storages.OssType: it imports OssStorage from the package, extends it, adds a method,
// and keeps everything the official Type does (config defaults, errors naming its own Type).
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startOssEmulator, type OssEmulator } from "../../emulator/index.ts";
import { loadApp, OssStorage, Storage, StorageError, type App } from "../../index.ts";
import { basicApp, envFor } from "./helpers.ts";

interface Archive extends OssStorage {
  archive(name: string): Promise<string>;
}

let server: OssEmulator;
let app: App;
let archive: Archive;

beforeAll(async () => {
  server = await startOssEmulator();
  app = await loadApp(basicApp, { env: envFor(server) });
  archive = app.getElement("storages.Archive") as Archive;
});

afterAll(async () => {
  await app.close();
  await server.stop();
});

describe("a custom Type extending OssStorage (storages.ArchiveType)", () => {
  it("is an OssStorage and a Storage, with its own chain and config", () => {
    expect(archive).toBeInstanceOf(OssStorage);
    expect(archive).toBeInstanceOf(Storage);
    expect(archive.constructor.name).toBe("ArchiveStorage");
    expect(app.elements().find((e) => e.fullName === "storages.Archive")?.chain).toEqual(["storages.Archive", "storages.ArchiveType", "storages.OssType", "storages.Meta"]);
    // The instance's archivePrefix overrides the Type's; OssType's defaults still apply.
    expect(archive.config).toMatchObject({ archivePrefix: "archived/", timeout: 60_000, partSize: 8 * 1024 * 1024 });
  });

  it("adds its method on top of the official ones", async () => {
    await archive.uploadByFile("reports/q1.pdf", Buffer.from("%PDF"), "application/pdf");
    expect(await archive.archive("reports/q1.pdf")).toBe("archived/reports/q1.pdf");
    expect(await archive.exists("reports/q1.pdf")).toBe(false);
    expect(await archive.getObject("archived/reports/q1.pdf")).toMatchObject({ size: 4, contentType: "application/pdf" });
  });

  it("fails as the official Type does, naming its own element and Type", async () => {
    const error = await archive.archive("reports/missing.pdf").then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(error).toBeInstanceOf(StorageError);
    expect(error).toMatchObject({ code: "NoSuchKey", element: "storages.Archive", storageType: "storages.ArchiveType", operation: "copy" });
  });
});
