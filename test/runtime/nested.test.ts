import { describe, expect, it } from "vitest";
import { loadApp } from "../../runtime/index.ts";
import { renderElementMap } from "../../runtime/typegen.ts";
import { fixture, fixtureEnv } from "./fixtures.ts";
import { expectLoadError } from "./expect-error.ts";

describe("nested elements", () => {
  it("names an element by its folder path under the layer, at any depth", async () => {
    const app = await loadApp(fixture("apps/nested"), { env: fixtureEnv });
    const names = app.elements().map((e) => e.fullName);
    expect(names).toEqual(expect.arrayContaining(["widgets.helpers.Polite", "widgets.deep.Echo", "widgets.LocalType", "widgets.LocalType.Editor"]));
  });

  it("does not make a folder without e.json an element, but counts the element folders below it", async () => {
    const app = await loadApp(fixture("apps/nested"), { env: fixtureEnv });
    const names = app.elements().map((e) => e.fullName);
    expect(names).not.toContain("widgets.helpers");
    expect(names).not.toContain("widgets.LocalType.frontend");
    expect((app.getElement("widgets.helpers.Polite") as { greet(n: string): string }).greet("Di")).toBe("good day, Di.");
  });

  it("makes an element folder inside another element's folder an element of its own", async () => {
    const app = await loadApp(fixture("apps/nested"), { env: fixtureEnv });
    const editor = app.elements().find((e) => e.fullName === "widgets.LocalType.Editor")!;
    expect(editor).toMatchObject({ kind: "Instance", chain: ["widgets.LocalType.Editor", "widgets.LocalType", "widgets.Meta"] });
    expect((app.getElement("widgets.LocalType.Editor") as { greet(n: string): string }).greet("Ed")).toBe("edited, Ed (local)");
    // Its folder's own config file is <last segment>.json.
    expect(app.elements().find((e) => e.fullName === "widgets.LocalType")!.kind).toBe("Type");
  });

  it("lets a later layer replace a nested element of the same fullName", async () => {
    const app = await loadApp(fixture("apps/nested"), { env: fixtureEnv });
    const echo = app.elements().find((e) => e.fullName === "widgets.deep.Echo")!;
    expect(echo.layer).toBe(fixture("apps/nested"));
    expect(echo.shadows).toEqual([fixture("apps/nested-base/widgets/deep/Echo/e.json")]);
    expect((app.getElement("widgets.deep.Echo") as { config: { greeting: string } }).config.greeting).toBe("echo from the child");
  });

  it("types nested instances through typegen as it does two-segment ones", async () => {
    const app = await loadApp(fixture("apps/nested"), { env: fixtureEnv, configs: false });
    const text = renderElementMap(app, fixture("apps/nested/element-map.d.ts"));
    expect(text).toContain('"widgets.helpers.Polite": InstanceType<typeof import("../base/widgets/GreeterType/index.ts").default>;');
    expect(text).toContain('"widgets.LocalType.Editor": InstanceType<typeof import("./widgets/LocalType/index.ts").default>;');
  });

  it("refuses a folder name that cannot be part of a fullName, naming the folder", async () => {
    const error = await expectLoadError("element-path-invalid", {
      code: "ELEMENT_PATH_INVALID",
      element: "widgets.my-things.Gizmo",
      file: "widgets/my-things/Gizmo/e.json",
    });
    expect(error.message).toContain('"my-things"');
  });

  it("refuses an e.json that is not inside a category folder", async () => {
    const error = await expectLoadError("element-path-not-in-category", { code: "ELEMENT_PATH_INVALID", element: "widgets", file: "widgets/e.json" });
    expect(error.message).toContain("<category>/<Name>/e.json");
  });
});
