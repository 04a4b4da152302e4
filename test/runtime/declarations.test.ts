import { describe, expect, it } from "vitest";
import { loadApp } from "../../runtime/index.ts";
import { fixture, fixtureEnv } from "./fixtures.ts";
import { expectLoadError } from "./expect-error.ts";

describe("e.json as JitAI writes it", () => {
  it("accepts every key of JitAI's complete configuration, functionList included", async () => {
    const app = await loadApp(fixture("apps/jitai-keys"), { env: fixtureEnv });
    expect(app.elements().find((e) => e.fullName === "widgets.Everything")).toMatchObject({ kind: "Instance", title: "Every key JitAI documents" });
    expect((app.getElement("widgets.Everything") as { greet(n: string): string }).greet("Al")).toBe("hello, Al.");
  });

  it("accepts the extra keys a Type declares for its instances in declaration.schema.json", async () => {
    const app = await loadApp(fixture("apps/jitai-keys"), { env: fixtureEnv });
    expect(app.elements().find((e) => e.fullName === "widgets.Customer")).toMatchObject({ kind: "Instance", chain: ["widgets.Customer", "widgets.ModelType", "widgets.Meta"] });
  });

  it("checks each functionList item: a name is required", async () => {
    await expectLoadError("declaration-function-without-name", {
      code: "DECLARATION_INVALID",
      element: "widgets.Gizmo",
      file: "widgets/Gizmo/e.json",
      pointers: ["/functionList/0/name"],
    });
  });

  it("refuses a key neither JitAI nor a Type on the chain declares, naming the nearest one", async () => {
    const error = await expectLoadError("declaration-extra-key-undeclared", {
      code: "DECLARATION_INVALID",
      element: "widgets.Gizmo",
      file: "widgets/Gizmo/e.json",
      pointers: ["/dbb"],
    });
    expect(error.message).toContain('/dbb is not a known field (did you mean "db"?)');
  });

  it("checks the value of a key a Type declares against its declaration.schema.json", async () => {
    await expectLoadError("declaration-extra-key-wrong-value", {
      code: "DECLARATION_INVALID",
      element: "widgets.Gizmo",
      file: "widgets/Gizmo/e.json",
      pointers: ["/db"],
    });
  });
});
