// storages.DiskType's business config: where the folder is, what the loader says about a config it cannot use, and
// the signing secret never showing.
import { existsSync } from "node:fs";
import { resolve } from "node:path";
import { inspect } from "node:util";
import { fileURLToPath } from "node:url";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ElementError, loadApp } from "../../index.ts";
import { asDisk, diskApp, expectStorageError, openDiskApp, type DiskFixture } from "./helpers.ts";

const invalidApp = fileURLToPath(new URL("../fixtures/disk-apps/invalid/", import.meta.url));
const secret = "a-signing-secret-that-must-never-show";

describe("directory", () => {
  it("is resolved against the app's folder when relative, and made only on first use", async () => {
    const app = await loadApp(diskApp, { env: { DISK_DIR: "/unused" } });
    try {
      const relative = asDisk(app.getElement("storages.Relative"));
      expect(relative.directory).toBe(resolve(diskApp, "data/files"));
      expect(existsSync(relative.directory)).toBe(false);
    } finally {
      await app.close();
    }
  });

  it("is taken as it is when absolute (here from the environment)", async () => {
    const app = await loadApp(diskApp, { env: { DISK_DIR: "/srv/storage" } });
    try {
      expect(asDisk(app.getElement("storages.MyDisk")).directory).toBe("/srv/storage");
    } finally {
      await app.close();
    }
  });
});

describe("configs the Type cannot use", () => {
  it("are reported at load, every field at once, with its JSON pointer", async () => {
    const error = await loadApp(invalidApp, { env: {} }).then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(error).toBeInstanceOf(ElementError);
    const problems = (error as ElementError).errors.flatMap((e) => e.problems.map((p) => `${e.element} ${p.pointer}`));
    expect(problems).toEqual(expect.arrayContaining(["storages.NoDirectory /directory", "storages.BadUrl /baseUrl", "storages.BadUrl /signingSecret"]));
  });
});

describe("the signing secret", () => {
  let fixture: DiskFixture;
  beforeAll(async () => {
    fixture = await openDiskApp({ DISK_SIGNING_SECRET: secret });
  });
  afterAll(() => fixture.dispose());

  it("never shows in the instance's JSON, inspection or config dump", () => {
    const { disk } = fixture;
    for (const rendering of [JSON.stringify(disk), inspect(disk, { depth: 10 }), JSON.stringify(disk.config), inspect(disk.config)]) {
      expect(rendering).not.toContain(secret);
    }
    expect(disk.config.signingSecret).toBe(secret);
  });

  it("never shows in an error, while the folder and baseUrl from the environment do", async () => {
    const error = await expectStorageError(fixture.disk.download("missing"), { code: "NoSuchKey" });
    const renderings = [String(error), JSON.stringify(error), inspect(error, { depth: 10, customInspect: false }), error.stack ?? ""].join("\n");
    expect(renderings).not.toContain(secret);
    const taken = await expectStorageError(fixture.disk.serve({ port: -1 }), { operation: "serve" });
    expect(String(taken)).not.toContain(secret);
  });
});
