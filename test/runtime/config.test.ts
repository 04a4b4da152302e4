import { inspect } from "node:util";
import { describe, expect, it } from "vitest";
import { loadApp } from "../../runtime/index.ts";
import { fixture, fixtureEnv } from "./fixtures.ts";
import { expectLoadError } from "./expect-error.ts";

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

describe("business config is strict", () => {
  it("refuses a key no schema on the chain declares, naming the nearest declared one, at any depth", async () => {
    const error = await expectLoadError("config-unknown-key", {
      code: "CONFIG_INVALID",
      element: "widgets.Gizmo",
      file: "widgets/Gizmo/Gizmo.json",
      pointers: ["/cuont", "/style/pading"],
    });
    expect(error.message).toContain('/cuont is not a setting any schema on the chain declares (did you mean "count"?)');
    expect(error.message).toContain('(did you mean "padding"?)');
  });

  it("catches misspelt storage settings such as timout and signatureVersoin", async () => {
    const error = await expectLoadError("config-unknown-key-storage", {
      code: "CONFIG_INVALID",
      element: "storages.MyOss",
      file: "storages/MyOss/MyOss.json",
      pointers: ["/timout", "/signatureVersoin"],
    });
    expect(error.message).toContain('"timeout"');
    expect(error.message).toContain('"signatureVersion"');
    expect(error.message).not.toContain("local-dev-secret-not-for-production");
  });

  it("lets a Type allow extra keys explicitly, with additionalProperties", async () => {
    const config = await configOf("apps/config-forms", "widgets.Open", { ...fixtureEnv, BRACES_GREETING: "ahoy" });
    expect(config).toMatchObject({ anything: { goes: true }, colour: "teal" });
  });

  it("accepts $schema in a config file and never hands it to the instance", async () => {
    const config = await configOf("apps/config-forms", "widgets.Braces", { ...fixtureEnv, BRACES_GREETING: "ahoy" });
    expect(config).not.toHaveProperty("$schema");
  });

  it("resolves JitAI's {{VAR}} placeholders like ${VAR}, as secrets", async () => {
    const config = await configOf("apps/config-forms", "widgets.Braces", { ...fixtureEnv, BRACES_GREETING: "ahoy" });
    expect(config).toMatchObject({ apiKey: "key-from-the-environment", greeting: "ahoy" });
    expect(JSON.stringify(config)).not.toContain("key-from-the-environment");
  });
});
