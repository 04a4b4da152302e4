import { execFile } from "node:child_process";
import { mkdir, mkdtemp, readFile, rm, cp } from "node:fs/promises";
import { join } from "node:path";
import { promisify } from "node:util";
import { afterAll, describe, expect, it } from "vitest";
import { fixture, fixtureEnv } from "./fixtures.ts";

const bin = new URL("../../runtime/bin.js", import.meta.url).pathname;
const execute = promisify(execFile);

/** Runs `jit-elements …` as a user would, with plain node; never throws on a non-zero exit. */
async function cli(args: string[], env: Record<string, string> = fixtureEnv) {
  try {
    const { stdout, stderr } = await execute(process.execPath, [bin, ...args], { env: { ...process.env, ...env } });
    return { code: 0, stdout, stderr };
  } catch (error) {
    const failed = error as { code: number; stdout: string; stderr: string };
    return { code: failed.code, stdout: failed.stdout, stderr: failed.stderr };
  }
}

const scratch: string[] = [];
afterAll(async () => {
  await Promise.all(scratch.map((dir) => rm(dir, { recursive: true, force: true })));
});

async function copyOfApp(name: string): Promise<string> {
  // Inside the package, as a user's app is inside theirs: its code resolves "jit-elements" and is ESM.
  const root = new URL("../../.tmp/", import.meta.url).pathname;
  await mkdir(root, { recursive: true });
  const dir = await mkdtemp(join(root, "cli-"));
  scratch.push(dir);
  // The whole apps/ folder, so that app.json "extends": ["../base"] still finds its parent.
  await cp(fixture("apps"), dir, { recursive: true });
  return join(dir, name);
}

describe("jit-elements check", () => {
  it("exits 0 and says so when the app is sound", async () => {
    const result = await cli(["check", fixture("apps/child")]);
    expect(result.code).toBe(0);
    expect(result.stdout).toMatch(/^ok: \d+ elements/);
  });

  it("prints every problem and exits 1 when the app is broken", async () => {
    const result = await cli(["check", fixture("apps/child")], {});
    expect(result.code).toBe(1);
    expect(result.stderr).toContain("[ENV_MISSING]");
    expect(result.stderr).toContain("GREETER_API_KEY");
    expect(result.stderr).not.toMatch(/\n\s+at /); // no stack
  });
});

describe("jit-elements list", () => {
  it("shows each element with its chain, layer and file", async () => {
    const result = await cli(["list", fixture("apps/child")]);
    expect(result.code).toBe(0);
    expect(result.stdout).toContain("widgets.Shout");
    expect(result.stdout).toContain("widgets.Shout → widgets.LoudType → widgets.GreeterType → widgets.Meta");
    expect(result.stdout).toMatch(/replaces .*base\/widgets\/GreeterType\/e\.json/);
  });

  it("can print JSON for scripts", async () => {
    const result = await cli(["list", fixture("apps/base"), "--json"]);
    const elements = JSON.parse(result.stdout) as Array<{ fullName: string }>;
    expect(elements.map((e) => e.fullName)).toContain("widgets.Hello");
  });
});

describe("jit-elements list --apps-path", () => {
  it("finds the parents that app.json names by appId under the given apps root", async () => {
    const result = await cli(["list", fixture("apps/jitai-child"), "--apps-path", fixture("jit-apps"), "--json"]);
    expect(result.code).toBe(0);
    expect(JSON.parse(result.stdout)).toContainEqual(expect.objectContaining({ fullName: "widgets.OtherOnly", kind: "Instance" }));
  });
});

describe("jit-elements typegen", () => {
  it("writes element-map.d.ts mapping each instance to its class", async () => {
    const dir = await copyOfApp("child");
    const out = join(dir, "types.d.ts");
    const result = await cli(["typegen", dir, "--out", out]);
    expect(result.code).toBe(0);
    expect(await readFile(out, "utf8")).toContain('"widgets.Hello": InstanceType<typeof import("./widgets/GreeterType/greeter.ts").default>;');
  });
});

describe("jit-elements new", () => {
  it("scaffolds an instance that check then reports as needing its config", async () => {
    const dir = await copyOfApp("base");
    const made = await cli(["new", "widgets/Welcome", "--type", "widgets.GreeterType", "--dir", dir]);
    expect(made.code).toBe(0);
    const declaration = JSON.parse(await readFile(join(dir, "widgets/Welcome/e.json"), "utf8")) as Record<string, unknown>;
    expect(declaration).toMatchObject({ title: "Welcome", type: "widgets.GreeterType", backendBundleEntry: "." });
    expect(String(declaration.$schema)).toMatch(/runtime\/schemas\/e\.schema\.json$/);
    const checked = await cli(["check", dir]);
    expect(checked.code).toBe(1);
    expect(checked.stderr).toContain("widgets.Welcome");
    expect(checked.stderr).toContain("/apiKey is required");
  });

  it("scaffolds a Type with code that extends its parent's class", async () => {
    const dir = await copyOfApp("base");
    const made = await cli(["new", "widgets/PoliteType", "--type", "widgets.GreeterType", "--kind", "type", "--dir", dir]);
    expect(made.code).toBe(0);
    expect(await readFile(join(dir, "widgets/PoliteType/index.ts"), "utf8")).toContain('import Base from "../GreeterType/index.ts";');
    // Built on a Type and used by no instance yet: only "kind" tells it from an instance.
    expect(JSON.parse(await readFile(join(dir, "widgets/PoliteType/e.json"), "utf8"))).toMatchObject({ kind: "Type", type: "widgets.GreeterType" });
    expect((await cli(["check", dir])).code).toBe(0);
  });

  it("scaffolds a Type on a Meta in JitAI's form, with no kind", async () => {
    const dir = await copyOfApp("base");
    const made = await cli(["new", "widgets/plain/FriendlyType", "--type", "widgets.Meta", "--dir", dir]);
    expect(made.code).toBe(0);
    const declaration = JSON.parse(await readFile(join(dir, "widgets/plain/FriendlyType/e.json"), "utf8")) as Record<string, unknown>;
    expect(declaration).toMatchObject({ title: "FriendlyType", type: "widgets.Meta", backendBundleEntry: "." });
    expect(declaration).not.toHaveProperty("kind");
    const listed = await cli(["list", dir, "--json"]);
    expect(JSON.parse(listed.stdout)).toContainEqual(expect.objectContaining({ fullName: "widgets.plain.FriendlyType", kind: "Type" }));
  });

  it("refuses an unknown type with a suggestion", async () => {
    const dir = await copyOfApp("base");
    const made = await cli(["new", "widgets/X", "--type", "widgets.GreeterTyp", "--dir", dir]);
    expect(made.code).toBe(1);
    expect(made.stderr).toContain("Did you mean widgets.GreeterType?");
  });
});
