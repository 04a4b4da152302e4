import { describe, expect, it } from "vitest";
import { loadApp } from "../../runtime/index.ts";
import { fixture, fixtureEnv } from "./fixtures.ts";

describe("loadApp: layers", () => {
  it("loads the official layer first, so every app has storages.Meta", async () => {
    const app = await loadApp(fixture("apps/base"), { env: fixtureEnv });
    const meta = app.elements().find((e) => e.fullName === "storages.Meta");
    expect(meta).toMatchObject({ kind: "Meta", layer: "official", chain: ["storages.Meta"] });
  });

  it("discovers every <category>/<Folder>/e.json, whatever the category", async () => {
    const app = await loadApp(fixture("apps/child"), { env: fixtureEnv });
    const names = app.elements().map((e) => e.fullName);
    expect(names).toEqual(expect.arrayContaining(["widgets.Hello", "widgets.Shout", "gadgets.Wall", "gadgets.ClockType"]));
  });

  it("takes the elements of the apps named in app.json extends", async () => {
    const app = await loadApp(fixture("apps/child"), { env: fixtureEnv });
    const hello = app.elements().find((e) => e.fullName === "widgets.Hello")!;
    expect(hello.layer).toBe(fixture("apps/base"));
  });

  it("lets a later layer's element replace an earlier one of the same fullName", async () => {
    const app = await loadApp(fixture("apps/child"), { env: fixtureEnv });
    const greeter = app.elements().find((e) => e.fullName === "widgets.GreeterType")!;
    expect(greeter.layer).toBe(fixture("apps/child"));
    expect(greeter.shadows).toEqual([fixture("apps/base/widgets/GreeterType/e.json")]);
    // The parent app's instance now runs on the child's version of its Type.
    const hello = app.getElement("widgets.Hello") as { greet(name: string): string };
    expect(hello.greet("Ann")).toBe("hi, Ann! (child)");
  });

  it("leaves the parent app as it was when loaded on its own", async () => {
    const app = await loadApp(fixture("apps/base"), { env: fixtureEnv });
    const hello = app.getElement("widgets.Hello") as { greet(name: string): string };
    expect(hello.greet("Ann")).toBe("hi, Ann.");
  });

  it("resolves chains of any depth, each ending at its Meta", async () => {
    const app = await loadApp(fixture("apps/child"), { env: fixtureEnv });
    const shout = app.elements().find((e) => e.fullName === "widgets.Shout")!;
    expect(shout.chain).toEqual(["widgets.Shout", "widgets.LoudType", "widgets.GreeterType", "widgets.Meta"]);
  });

  it("skips node_modules and dot-folders", async () => {
    const app = await loadApp(fixture("apps/hidden"), { env: fixtureEnv });
    const names = app.elements().map((e) => e.fullName);
    expect(names).toContain("widgets.Visible");
    expect(names.some((n) => n.includes("Hidden"))).toBe(false);
  });
});

describe("loadApp: parents from installed packages", () => {
  it("takes the elements of a package named in app.json extends", async () => {
    const app = await loadApp(fixture("apps/packaged"), { env: fixtureEnv });
    const howdy = app.getElement("widgets.Howdy") as { greet(name: string): string };
    expect(howdy.greet("Cy")).toBe("howdy, Cy.");
    expect(app.elements().find((e) => e.fullName === "widgets.Hello")?.layer).toMatch(/node_modules\/fixture-base$/);
  });
});
