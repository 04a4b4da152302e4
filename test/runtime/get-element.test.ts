import { describe, expect, it } from "vitest";
import { ElementError, loadApp } from "../../runtime/index.ts";
import { fixture, fixtureEnv } from "./fixtures.ts";

describe("getElement", () => {
  it("makes the instance on first use and returns the same object after", async () => {
    const app = await loadApp(fixture("apps/base"), { env: fixtureEnv });
    const first = app.getElement("widgets.Hello");
    expect(app.getElement("widgets.Hello")).toBe(first);
  });

  it("tells the instance its fullName, its Type's fullName and its config", async () => {
    const app = await loadApp(fixture("apps/child"), { env: fixtureEnv });
    const shout = app.getElement("widgets.Shout");
    expect(shout).toMatchObject({ fullName: "widgets.Shout", type: "widgets.LoudType", config: { volume: 3 } });
    expect(shout.app).toBe(app);
  });

  it("uses the nearest code on the chain: an instance without code gets its Type's class", async () => {
    const app = await loadApp(fixture("apps/child"), { env: fixtureEnv });
    const shout = app.getElement("widgets.Shout") as { greet(name: string): string };
    expect(shout.constructor.name).toBe("Loud");
    expect(shout.greet("Bo")).toBe("WELCOME, BO! (CHILD)!!!");
  });

  it("runs Types written in plain JavaScript, at any path inside their folder", async () => {
    const app = await loadApp(fixture("apps/child"), { env: fixtureEnv });
    const wall = app.getElement("gadgets.Wall") as { now(): string };
    expect(wall.now()).toBe("1970-01-01T00:00:00.000Z");
  });

  it("throws ELEMENT_NOT_FOUND naming the closest existing elements", async () => {
    const app = await loadApp(fixture("apps/base"), { env: fixtureEnv });
    const error = catchError(() => app.getElement("widgets.Helo"));
    expect(error).toMatchObject({ code: "ELEMENT_NOT_FOUND", element: "widgets.Helo" });
    expect(error.message).toContain("Did you mean widgets.Hello?");
  });

  it("refuses to make a Type, and names the instances to ask for instead", async () => {
    const app = await loadApp(fixture("apps/base"), { env: fixtureEnv });
    const error = catchError(() => app.getElement("widgets.GreeterType"));
    expect(error.code).toBe("ELEMENT_KIND");
    expect(error.message).toContain("ask for one of its instances (widgets.Hello) instead");
  });

  it("closes every instance on app.close(), and makes fresh ones after", async () => {
    const app = await loadApp(fixture("apps/child"), { env: fixtureEnv });
    const wall = app.getElement("gadgets.Wall") as { closed: boolean };
    await app.close();
    expect(wall.closed).toBe(true);
    expect(app.getElement("gadgets.Wall")).not.toBe(wall);
  });

  it("lists what the app has with app.elements()", async () => {
    const app = await loadApp(fixture("apps/base"), { env: fixtureEnv });
    const names = app.elements().map((e) => e.fullName);
    expect(names.filter((n) => n.startsWith("widgets."))).toEqual(["widgets.GreeterType", "widgets.Hello", "widgets.Meta"]);
    expect(names).toContain("storages.Meta"); // the official layer's, in every app
    expect(names).toEqual([...names].sort());
  });
});

function catchError(action: () => unknown): ElementError {
  try {
    action();
  } catch (error) {
    if (error instanceof ElementError) return error;
    throw error;
  }
  throw new Error("expected an ElementError");
}
