// Checked by `tsc -p test/typing/child` (part of npm test) and run by vitest: with the child app's generated map,
// getElement takes the child's instance names only and gives each its class. An @ts-expect-error that no longer
// meets an error fails the type check, so each one below proves a name is refused.
import { describe, expect, expectTypeOf, it } from "vitest";
import { ElementError, loadApp, type App } from "../../../index.ts";
import type ChildGreeter from "../../fixtures/apps/child/widgets/GreeterType/greeter.ts";
import { fixture, fixtureEnv } from "../../runtime/fixtures.ts";

const load = (): Promise<App> => loadApp(fixture("apps/child"), { env: fixtureEnv });

describe("getElement typing with a generated element map (a new category: widgets)", () => {
  it("gives each instance its class, through the generated ElementMap", async () => {
    const app = await load();
    const hello = app.getElement("widgets.Hello");
    expectTypeOf(hello).toEqualTypeOf<ChildGreeter>();
    expect(hello.greet("Ann")).toBe("hi, Ann! (child)");
  });

  it("types a plain-JavaScript Type as its nearest TypeScript ancestor", async () => {
    const app = await load();
    expectTypeOf(app.getElement("widgets.Shout")).toEqualTypeOf<ChildGreeter>();
  });

  it("refuses a misspelt name, a Type's, a Meta's, another app's and any string, at compile time as at run time", async () => {
    const app = await load();
    // @ts-expect-error: a misspelling of widgets.Hello
    expect(() => app.getElement("widgets.Helo")).toThrow(ElementError);
    // @ts-expect-error: a Type makes no instances
    expect(() => app.getElement("widgets.GreeterType")).toThrow(ElementError);
    // @ts-expect-error: a Meta makes no instances
    expect(() => app.getElement("widgets.Meta")).toThrow(ElementError);
    // @ts-expect-error: apps/demo's instance, not this app's
    expect(() => app.getElement("storages.MyOss")).toThrow(ElementError);
    const someName: string = "widgets.Hello";
    // @ts-expect-error: a name the compiler cannot check
    expect(app.getElement(someName)).toBe(app.getElement("widgets.Hello"));
  });
});
