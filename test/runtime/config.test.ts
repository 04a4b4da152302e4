import { inspect } from "node:util";
import { describe, expect, it } from "vitest";
import { loadApp } from "../../runtime/index.ts";
import { fixture, fixtureEnv } from "./fixtures.ts";

interface Configured {
  config: Record<string, unknown>;
}

async function configOf(app: string, element: string, env: Record<string, string> = fixtureEnv) {
  const loaded = await loadApp(fixture(app), { env });
  return (loaded.getElement(element) as Configured).config;
}

describe("business config", () => {
  it("merges along the chain: Meta < Type < instance, objects deep, arrays replaced", async () => {
    const config = await configOf("apps/base", "widgets.Hello");
    expect(config).toEqual({
      punctuation: ".", // from widgets.Meta's Meta.json
      style: { case: "lower", padding: 1 }, // Meta's case, the Type's padding
      greeting: "hi", // the instance's ${GREETING:-hi}
      tags: ["a", "b"], // the instance's array replaces the Type's ["default"]
      apiKey: "key-from-the-environment",
    });
  });

  it("resolves ${VAR} from the environment and ${VAR:-default} to the default when unset", async () => {
    const config = await configOf("apps/base", "widgets.Hello", { ...fixtureEnv, GREETING: "hey" });
    expect(config.greeting).toBe("hey");
    expect(config.apiKey).toBe("key-from-the-environment");
  });

  it("hands the instance a frozen config", async () => {
    const config = await configOf("apps/base", "widgets.Hello");
    expect(Object.isFrozen(config)).toBe(true);
  });

  it("merges configs of every Type on a deep chain", async () => {
    const config = await configOf("apps/child", "widgets.Shout");
    expect(config).toMatchObject({ greeting: "welcome", volume: 3, punctuation: "." });
  });
});

describe("secret redaction", () => {
  const secretValues = ["key-from-the-environment", "literal-key-in-config"];

  it.each([
    ["a ${VAR} resolved from the environment", "apps/base", "widgets.Hello"],
    ["a field the schema marks secret", "apps/child", "widgets.Shout"],
  ])("hides %s from inspect, JSON and String() of the instance and its config", async (_what, app, element) => {
    const loaded = await loadApp(fixture(app), { env: fixtureEnv });
    const instance = loaded.getElement(element) as Configured;
    const shown = [inspect(instance, { depth: 10 }), JSON.stringify(instance), inspect(instance.config), JSON.stringify(instance.config), String(instance.config)];
    for (const text of shown) {
      for (const secret of secretValues) expect(text).not.toContain(secret);
      expect(text).toContain("[redacted]");
    }
  });

  it("keeps the real value for the element's own use", async () => {
    const config = await configOf("apps/child", "widgets.Shout");
    expect(config.apiKey).toBe("literal-key-in-config");
  });
});
