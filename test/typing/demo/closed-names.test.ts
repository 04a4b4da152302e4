// Checked by `tsc -p test/typing/demo` (part of npm test) and run by vitest: with apps/demo's generated map,
// getElement takes the demo's instance names only, typed exactly: the official Type's class with its own config
// type, and the app's custom Type's class with its methods. Each @ts-expect-error must meet an error.
import { describe, expect, expectTypeOf, it } from "vitest";
import { fileURLToPath } from "node:url";
import { ElementError, loadApp, OssStorage, Storage, type App, type OssConfig } from "../../../index.ts";
import type ArchiveStorage from "../../../apps/demo/storages/ArchiveType/index.ts";

// The demo's configs default every variable, so it loads (and makes its storages) with no server and no env.
const load = (): Promise<App> => loadApp(fileURLToPath(new URL("../../../apps/demo/", import.meta.url)), { env: {} });

describe("getElement typing with apps/demo's generated element map", () => {
  it("types an instance of the official Type as OssStorage<OssConfig>", async () => {
    const app = await load();
    const oss = app.getElement("storages.MyOss");
    expectTypeOf(oss).toEqualTypeOf<OssStorage<OssConfig>>();
    expect(oss).toBeInstanceOf(OssStorage);
    await app.close();
  });

  it("types an instance of the app's own Type as that class, methods included", async () => {
    const app = await load();
    const archive = app.getElement("storages.Archive");
    expectTypeOf(archive).toEqualTypeOf<ArchiveStorage>();
    expectTypeOf(archive.archive).toEqualTypeOf<(name: string) => Promise<string>>();
    expect(archive).toBeInstanceOf(Storage);
    await app.close();
  });

  it("refuses a misspelt name, a Type's, a Meta's and another app's, at compile time as at run time", async () => {
    const app = await load();
    // @ts-expect-error: a misspelling of storages.MyOss
    expect(() => app.getElement("storages.MyOs")).toThrow(ElementError);
    // @ts-expect-error: the official Type makes no instances by this name
    expect(() => app.getElement("storages.OssType")).toThrow(ElementError);
    // @ts-expect-error: the category's Meta
    expect(() => app.getElement("storages.Meta")).toThrow(ElementError);
    // @ts-expect-error: an element of the child fixture app, not of the demo
    expect(() => app.getElement("widgets.Hello")).toThrow(ElementError);
    await app.close();
  });
});
