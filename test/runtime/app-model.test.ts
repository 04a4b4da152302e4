// The app model as JitAI has it: load times, access modifiers, app.json with appIds, settings and selectors.
import { describe, expect, it } from "vitest";
import { ElementError, loadApp, OssStorage } from "../../index.ts";
import { fixture, fixtureEnv } from "./fixtures.ts";
import { brokenApp, expectError, expectLoadError, thrownError } from "./expect-error.ts";

const appsRoot = fixture("jit-apps");

describe('backendLoadTime: "afterAppInit"', () => {
  it("makes the instance during loadApp and awaits its onLoad(); others wait for getElement", async () => {
    const app = await loadApp(fixture("apps/early"), { env: fixtureEnv });
    const eager = app.getElement("widgets.Eager") as { loaded: boolean; constructor: { made: string[] } };
    expect(eager.loaded).toBe(true);
    expect(eager.constructor.made.filter((name) => name === "widgets.Lazy")).toEqual([]);
    expect(eager.constructor.made).toContain("widgets.Eager");
    const lazy = app.getElement("widgets.Lazy") as { loaded: boolean };
    expect(eager.constructor.made).toContain("widgets.Lazy");
    expect(lazy.loaded).toBe(false);
    await app.close();
  });

  it("fails the load, naming the element, when its constructor throws", async () => {
    const error = await expectLoadError("after-app-init-constructor-throws", {
      code: "ELEMENT_FAILED",
      element: "widgets.Gizmo",
      file: "widgets/FragileType/index.ts",
    });
    expect(error.message).toContain("the gizmo port is not configured");
  });

  it("fails the load, naming the element, when its onLoad() rejects", async () => {
    const error = await expectLoadError("after-app-init-onload-rejects", { code: "ELEMENT_FAILED", element: "widgets.Gizmo", file: "widgets/Gizmo/e.json" });
    expect(error.message).toContain("the gizmo service refused the connection");
  });
});

describe("accessModifier", () => {
  it("lets a later app replace a public element", async () => {
    const app = await loadApp(fixture("apps/access-child"), { env: fixtureEnv });
    expect((app.getElement("widgets.Open") as { config: { greeting: string } }).config.greeting).toBe("open in the child");
  });

  it("lets a later app inherit a protected element", async () => {
    const app = await loadApp(fixture("apps/access-child"), { env: fixtureEnv });
    expect(app.findElements("widgets.Guarded")[0]).toMatchObject({ accessModifier: "protected", layer: fixture("apps/access-base") });
  });

  it("refuses a later layer that declares the fullName of a protected element, naming both files", async () => {
    const error = await expectLoadError("access-protected-replaced/child", { code: "ELEMENT_PROTECTED", element: "widgets.Guarded", file: "widgets/Guarded/e.json" });
    expect(error.message).toContain("access-protected-replaced/parent/widgets/Guarded/e.json");
  });

  it("hides a private element from apps that extend the app declaring it", async () => {
    const parent = await loadApp(fixture("apps/access-base"), { env: fixtureEnv });
    expect((parent.getElement("widgets.Secret") as { config: { greeting: string } }).config.greeting).toBe("parent secret");
    const child = await loadApp(fixture("apps/access-child"), { env: fixtureEnv });
    const secret = child.findElements("widgets.Secret")[0]!;
    // The child's own element of that name is no replacement: the parent's was never visible to it.
    expect(secret).toMatchObject({ layer: fixture("apps/access-child"), shadows: [] });
  });
});

describe("app.json as JitAI writes it", () => {
  it("finds extends { appId, version } under an apps root given to loadApp, laid out <org>/<Name>/<version with _>", async () => {
    const app = await loadApp(fixture("apps/jitai-child"), { env: fixtureEnv, appsPath: appsRoot });
    expect(app).toMatchObject({ appId: "acme.Child", version: "1.0.0", title: "An app that extends two apps by appId" });
    expect(app.findElements("widgets.OtherOnly")[0]?.layer).toBe(fixture("jit-apps/wanyun/OtherApp/2_1_0"));
  });

  it("finds them under JIT_APPS_PATH too", async () => {
    const app = await loadApp(fixture("apps/jitai-child"), { env: { ...fixtureEnv, JIT_APPS_PATH: appsRoot } });
    expect(app.findElements("widgets.Shared")).toHaveLength(1);
  });

  it("stacks several parents in the order of extends: a later entry's element wins", async () => {
    const app = await loadApp(fixture("apps/jitai-child"), { env: fixtureEnv, appsPath: [appsRoot] });
    const shared = app.findElements("widgets.Shared")[0]!;
    expect(shared.layer).toBe(fixture("jit-apps/wanyun/OtherApp/2_1_0"));
    expect(shared.shadows).toEqual([fixture("jit-apps/wanyun/BaseApp/1_0_0/widgets/Shared/e.json")]);
  });

  it("finds an appId in an installed package whose app.json declares it", async () => {
    const app = await loadApp(fixture("apps/packaged-by-id"), { env: fixtureEnv });
    expect((app.getElement("widgets.Hiya") as { greet(n: string): string }).greet("Jo")).toBe("hiya, Jo.");
  });

  it("reports an appId that no root holds, listing where it looked", async () => {
    const error = await loadApp(brokenApp("app-extends-unknown-appid"), { env: {}, appsPath: [appsRoot, fixture("apps")] }).then(
      () => undefined,
      (e: unknown) => e as ElementError,
    );
    expectError(error!, "app-extends-unknown-appid", { code: "APP_NOT_FOUND", file: "app.json", pointers: ["/extends"] });
    expect(error!.message).toContain("wanyun.NoSuchApp 1.0.0");
    expect(error!.message).toContain("test/fixtures/jit-apps/wanyun/NoSuchApp/1_0_0, test/fixtures/apps/wanyun/NoSuchApp/1_0_0");
  });

  it("refuses an unknown app.json key, naming the nearest: extend is not extends", async () => {
    const error = await expectLoadError("app-manifest-unknown-key", { code: "APP_INVALID", file: "app.json", pointers: ["/extend"] });
    expect(error.message).toContain('did you mean "extends"?');
  });
});

describe("settings and defaultElement", () => {
  it("merges settings along the layers, a later app's values winning", async () => {
    const app = await loadApp(fixture("apps/jitai-child"), { env: fixtureEnv, appsPath: appsRoot });
    expect(app.settings).toEqual({ defaultElement: { defaultCache: "widgets.Hello", defaultStorage: "storages.Main" }, theme: "blue" });
  });

  it('returns the instance a setting names: defaultElement("defaultStorage")', async () => {
    const app = await loadApp(fixture("apps/jitai-child"), { env: fixtureEnv, appsPath: appsRoot });
    const storage = app.defaultElement("defaultStorage");
    expect(storage).toBeInstanceOf(OssStorage);
    expect(storage).toBe(app.getElement("storages.Main"));
    await app.close();
  });

  it("says which settings there are when the role is not set", async () => {
    const app = await loadApp(fixture("apps/jitai-child"), { env: fixtureEnv, appsPath: appsRoot });
    const error = thrownError(() => app.defaultElement("defaultDatabase"));
    expect(error.code).toBe("SETTING_INVALID");
    expect(error.message).toContain("defaultCache, defaultStorage");
  });

  it("names the setting and the closest element when it names nothing", async () => {
    const app = await loadApp(brokenApp("default-element-names-nothing"), { env: {} });
    const error = thrownError(() => app.defaultElement("defaultStorage"));
    expectError(error, "default-element-names-nothing", { code: "SETTING_INVALID", element: "widgets.Missing", file: "app.json", pointers: ["/settings/defaultElement/defaultStorage"] });
  });
});

describe("findElements", () => {
  it("selects by fullName", async () => {
    const app = await loadApp(fixture("apps/child"), { env: fixtureEnv });
    expect(app.findElements("widgets.Shout").map((e) => e.fullName)).toEqual(["widgets.Shout"]);
    expect(app.findElements("widgets.Nothing")).toEqual([]);
  });

  it("selects every element whose chain contains a Type with .fullName", async () => {
    const app = await loadApp(fixture("apps/child"), { env: fixtureEnv });
    expect(app.findElements(".widgets.GreeterType").map((e) => e.fullName)).toEqual(["widgets.Hello", "widgets.LoudType", "widgets.Shout"]);
  });

  it("selects an element's ancestors on its chain with *fullName, nearest first", async () => {
    const app = await loadApp(fixture("apps/child"), { env: fixtureEnv });
    expect(app.findElements("*widgets.Shout").map((e) => e.fullName)).toEqual(["widgets.LoudType", "widgets.GreeterType", "widgets.Meta"]);
  });

  it("selects the elements built on one with fullName*", async () => {
    const app = await loadApp(fixture("apps/child"), { env: fixtureEnv });
    expect(app.findElements("widgets.LoudType*").map((e) => e.fullName)).toEqual(["widgets.Shout"]);
  });

  it("unites selectors with a comma, each element once, and returns what elements() returns", async () => {
    const app = await loadApp(fixture("apps/child"), { env: fixtureEnv });
    const found = app.findElements("widgets.Shout, .widgets.LoudType, gadgets.Wall");
    expect(found.map((e) => e.fullName)).toEqual(["widgets.Shout", "gadgets.Wall"]);
    expect(found[1]).toEqual(app.elements().find((e) => e.fullName === "gadgets.Wall"));
  });
});
