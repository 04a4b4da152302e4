import { execFile } from "node:child_process";
import { readFile } from "node:fs/promises";
import { createRequire } from "node:module";
import { dirname, join } from "node:path";
import { promisify } from "node:util";
import { describe, expect, expectTypeOf, it } from "vitest";
import { loadApp, type App, type Storage } from "../../index.ts";
import { renderElementMap } from "../../runtime/typegen.ts";
import { fixture, fixtureEnv } from "./fixtures.ts";

const tsc = join(dirname(createRequire(import.meta.url).resolve("typescript/package.json")), "bin", "tsc");

// These expectations are checked by `tsc --noEmit` (part of npm test): a wrong type fails the build. This program
// has no generated map; the closed typing a map brings is proven by the per-app projects under test/typing/.
describe("getElement typing without a generated element map", () => {
  it("gives a storages.* name the category's base interface", () => {
    type Got = ReturnType<typeof probe>;
    function probe(app: App) {
      return app.getElement("storages.AnythingUndeclared");
    }
    expectTypeOf<Got>().toEqualTypeOf<Storage>();
  });

  it("accepts any other name, typed as object", () => {
    function probe(app: App, name: string) {
      return [app.getElement("widgets.Anything"), app.getElement(name)] as const;
    }
    expectTypeOf<ReturnType<typeof probe>>().toEqualTypeOf<readonly [object, object]>();
  });

  it("keeps the checked-in element-map.d.ts equal to what typegen writes now", async () => {
    const app = await loadApp(fixture("apps/child"), { env: fixtureEnv });
    const file = fixture("apps/child/element-map.d.ts");
    expect(await readFile(file, "utf8")).toBe(renderElementMap(app, file));
  });
});

describe("a wrong element name under a generated map", () => {
  it("is a compiler error at the argument that lists the app's names", async () => {
    const project = fixture("typing/misspelled");
    const failure = await promisify(execFile)(process.execPath, [tsc, "-p", project, "--pretty", "false"], { cwd: project }).then(
      () => undefined,
      (error: { stdout: string }) => error,
    );
    expect(failure, "tsc accepted the misspelt name").toBeDefined();
    // Line 5 is `export const storage = app.getElement("storages.MyOs");`: column 39 is the argument.
    expect(failure!.stdout.trim()).toBe(
      `main.ts(5,39): error TS2345: Argument of type '"storages.MyOs"' is not assignable to parameter of type '"storages.Archive" | "storages.MyOss" | "storages.services.StorageSvc"'.`,
    );
  });
});
