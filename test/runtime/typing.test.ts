import { readFile } from "node:fs/promises";
import { describe, expect, expectTypeOf, it } from "vitest";
import { loadApp, type Storage } from "../../index.ts";
import { renderElementMap } from "../../runtime/typegen.ts";
import type ChildGreeter from "../fixtures/apps/child/widgets/GreeterType/greeter.ts";
import { fixture, fixtureEnv } from "./fixtures.ts";

// These expectations are checked by `tsc --noEmit` (part of npm test): a wrong type fails the build.
describe("getElement typing", () => {
  it("gives each instance its class, through the generated ElementMap", async () => {
    const app = await loadApp(fixture("apps/child"), { env: fixtureEnv });
    const hello = app.getElement("widgets.Hello");
    expectTypeOf(hello).toEqualTypeOf<ChildGreeter>();
    expectTypeOf(hello.greet).toBeFunction();
    expect(hello.greet("Ann")).toBe("hi, Ann! (child)");
  });

  it("types a plain-JavaScript Type as its nearest TypeScript ancestor", async () => {
    const app = await loadApp(fixture("apps/child"), { env: fixtureEnv });
    expectTypeOf(app.getElement("widgets.Shout")).toEqualTypeOf<ChildGreeter>();
  });

  it("gives a storages.* name the category's base interface without any generated file", () => {
    type Got = ReturnType<typeof probe>;
    function probe(app: Awaited<ReturnType<typeof loadApp>>) {
      return app.getElement("storages.AnythingUndeclared");
    }
    expectTypeOf<Got>().toEqualTypeOf<Storage>();
  });

  it("keeps the checked-in element-map.d.ts equal to what typegen writes now", async () => {
    const app = await loadApp(fixture("apps/child"), { env: fixtureEnv });
    const file = fixture("apps/child/element-map.d.ts");
    expect(await readFile(file, "utf8")).toBe(renderElementMap(app, file));
  });
});
