import { afterEach, describe, expect, it } from "vitest";
import { ElementError, loadApp, NO_SUCH_KEY } from "../../index.ts";
import { renderElementMap } from "../../runtime/typegen.ts";
import { expectFailure, openSvcApp, svcFixture, type SvcFixture } from "./helpers.ts";

let fixture: SvcFixture | undefined;
afterEach(async () => {
  await fixture?.dispose();
  fixture = undefined;
});

describe("StorageSvc routing", () => {
  it("stores in the default storage that app.json's settings.defaultElement.defaultStorage names", async () => {
    fixture = await openSvcApp("routing", { oss: true });
    const record = await fixture.svc.uploadByFile("notes/a.txt", Buffer.from("on disk"));
    expect(record.storeFullName).toBe("storages.Files");
    expect(await fixture.storage("storages.Files").exists("notes/a.txt")).toBe(true);
    expect(await fixture.storage("storages.Cloud").exists("notes/a.txt")).toBe(false);
    expect((await fixture.svc.download("notes/a.txt")).toString()).toBe("on disk");
  });

  it("routes each call to the storage it names: a DiskType and an OssType instance of one app", async () => {
    fixture = await openSvcApp("routing", { oss: true });
    const { svc } = fixture;
    await svc.uploadByFile("same.txt", Buffer.from("disk bytes"), undefined, "text/plain");
    const cloud = await svc.uploadByFile("same.txt", Buffer.from("oss bytes"), undefined, "text/plain", "storages.Cloud");
    expect(cloud.storeFullName).toBe("storages.Cloud");
    expect(cloud.url).toContain(fixture.oss!.bucket);
    expect((await svc.download("same.txt")).toString()).toBe("disk bytes");
    expect((await svc.download("same.txt", "storages.Cloud")).toString()).toBe("oss bytes");
    // The OSS copy is a real object on the local OSS server: a signed GET fetches it.
    const link = await svc.getSignUrl("same.txt", "text/plain", "storages.Cloud", { expires: 60 });
    expect(await (await fetch(link)).text()).toBe("oss bytes");
    expect((await svc.getRecord("same.txt", "storages.Cloud")).size).toBe(9);
    await svc.delete("same.txt", "storages.Cloud");
    expect(await fixture.storage("storages.Cloud").exists("same.txt")).toBe(false);
    expect(await fixture.storage("storages.Files").exists("same.txt")).toBe(true);
  });

  it("falls back to storages.Default when app.json names no default storage", async () => {
    fixture = await openSvcApp("fallback");
    expect((await fixture.svc.uploadByFile("x.txt", Buffer.from("x"))).storeFullName).toBe("storages.Default");
  });

  it("names both the setting and storages.Default, and the storages the app has, when neither exists", async () => {
    fixture = await openSvcApp("no-default");
    const error = await expectFailure(fixture.svc.uploadByFile("x.txt", Buffer.from("x")), ElementError, { code: "SETTING_INVALID" });
    expect(error.message).toContain("settings.defaultElement.defaultStorage");
    expect(error.message).toContain("storages.Default");
    expect(error.message).toContain("storages.Other");
    // Named per call, the same storage works.
    expect((await fixture.svc.uploadByFile("x.txt", Buffer.from("x"), undefined, undefined, "storages.Other")).storeFullName).toBe("storages.Other");
  });

  it("says so, rather than falling back, when the default storage setting names no element", async () => {
    fixture = await openSvcApp("wrong-default");
    const error = await expectFailure(fixture.svc.download("x.txt"), ElementError, { code: "SETTING_INVALID", element: "storages.Fils" });
    expect(error.message).toContain("storages.Files");
  });

  it("names the app's storages for an unknown storage, and says what a non-storage is", async () => {
    fixture = await openSvcApp("routing", { oss: true });
    const unknown = await expectFailure(fixture.svc.download("x.txt", "storages.Clod"), ElementError, { code: "ELEMENT_NOT_FOUND" });
    expect(unknown.message).toContain("storages.Cloud, storages.Files");
    const service = await expectFailure(fixture.svc.download("x.txt", "services.Notes"), ElementError, { code: "ELEMENT_KIND" });
    expect(service.message).toMatch(/"services.Notes" is not a storage: it is an instance of services.NormalType/);
    await expectFailure(fixture.svc.download("x.txt", "storages.DiskType"), ElementError, { code: "ELEMENT_KIND" });
    // A storage name is a fullName, never a selector: it may come from a URL.
    await expectFailure(fixture.svc.download("x.txt", ".storages.DiskType"), ElementError, { code: "ELEMENT_NOT_FOUND" });
    await expectFailure(fixture.svc.download("x.txt", "storages.Files,storages.Cloud"), ElementError, { code: "ELEMENT_NOT_FOUND" });
  });

  it("answers NO_SUCH_KEY for a file that is not there, on every storage", async () => {
    fixture = await openSvcApp("routing", { oss: true });
    await expectFailure(fixture.svc.download("missing.txt"), Error, { code: NO_SUCH_KEY, element: "storages.Files" });
    await expectFailure(fixture.svc.getRecord("missing.txt", "storages.Cloud"), Error, { code: NO_SUCH_KEY, element: "storages.Cloud" });
  });
});

describe("StorageSvc as an element", () => {
  it("is an official instance of services.NormalType, which typegen types by its own class", async () => {
    fixture = await openSvcApp("routing");
    const [info] = fixture.app.findElements("storages.services.StorageSvc");
    expect(info).toMatchObject({ kind: "Instance", chain: ["storages.services.StorageSvc", "services.NormalType", "services.Meta"], layer: "official" });
    expect(renderElementMap(fixture.app, `${svcFixture("routing")}element-map.d.ts`)).toContain(
      '"storages.services.StorageSvc": InstanceType<typeof import("../../../../elements/storages/services/StorageSvc/index.ts").default>;',
    );
  });

  it("refuses a storageSvc setting that is not what it expects, naming the field, when the app loads", async () => {
    const error = await expectFailure(loadApp(svcFixture("bad-settings"), { env: { SVC_DISK_DIR: "/tmp/unused" } }), ElementError, { code: "SETTING_INVALID" });
    expect(error.message).toContain('/settings/storageSvc/sweepEvery must be a positive whole number, not "hourly"');
  });
});
