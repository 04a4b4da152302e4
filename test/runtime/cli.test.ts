import { execFile } from "node:child_process";
import { mkdir, mkdtemp, readFile, rm, cp, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { promisify } from "node:util";
import { afterAll, describe, expect, it } from "vitest";
import { fixture, fixtureEnv } from "./fixtures.ts";

const bin = new URL("../../runtime/bin.js", import.meta.url).pathname;
/** The package's own command: the runtime's CLI with the official elements' commands (`storage`). */
const packageBin = new URL("../../bin.js", import.meta.url).pathname;
const execute = promisify(execFile);

/** Runs `jit-elements …` as a user would, with plain node; never throws on a non-zero exit. */
async function cli(args: string[], env: Record<string, string> = fixtureEnv, script = bin) {
  try {
    const { stdout, stderr } = await execute(process.execPath, [script, ...args], { env: { ...process.env, ...env } });
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

/** A folder with an app.json and no element folders: a user pointing check at the wrong place. */
async function emptyApp(): Promise<string> {
  const root = new URL("../../.tmp/", import.meta.url).pathname;
  await mkdir(root, { recursive: true });
  const dir = await mkdtemp(join(root, "cli-empty-"));
  scratch.push(dir);
  await writeFile(join(dir, "app.json"), "{}\n");
  return dir;
}

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

  it("warns, and still exits 0, when the folder has no elements of its own", async () => {
    const dir = await emptyApp();
    const result = await cli(["check", dir]);
    expect(result.code).toBe(0);
    expect(result.stderr.trim()).toMatch(/^warning: .+ has no elements of its own \(no <category>\/<Name>\/e\.json under it\); is it the app folder\?$/);
    expect(result.stdout).toMatch(/^ok: /);
  });

  it("does not warn about an app with elements of its own", async () => {
    const result = await cli(["check", fixture("apps/child")]);
    expect(result.stderr).toBe("");
  });

  it("names file, line, column and the parser's message for a syntax error in an element's .ts", async () => {
    const result = await cli(["check", fixture("broken/bundle-syntax-error-ts")]);
    expect(result.code).toBe(1);
    expect(result.stderr.split("\n")[0]).toBe(
      '✗ [BUNDLE_INVALID] widgets.GizmoType: test/fixtures/broken/bundle-syntax-error-ts/widgets/GizmoType/index.ts:6:21: Unexpected ";". Fix the code and run `jit-elements check`.',
    );
    expect(result.stderr).not.toContain("Transform failed");
  });

  it("says which class a Type's class extends instead of its Meta's base class", async () => {
    const result = await cli(["check", fixture("broken/bundle-extends-wrong-class")]);
    expect(result.code).toBe(1);
    expect(result.stderr).toContain("must extend Widget, the base class of widgets.Meta; it extends Gadget instead.");
  });
});

describe("jit-elements usage", () => {
  it.each(["check", "list", "typegen", "new"])("prints the usage of %s on stdout and exits 0 for --help", async (command) => {
    const result = await cli([command, "--help"]);
    expect(result.code).toBe(0);
    expect(result.stdout).toMatch(new RegExp(`^Usage: jit-elements ${command} `));
    expect(result.stderr).toBe("");
  });

  it("prints the usage of the emulator for emulator --help", async () => {
    const result = await cli(["emulator", "--help"]);
    expect(result.code).toBe(0);
    expect(result.stdout).toMatch(/^Usage: jit-elements emulator \[options\]/);
    expect(result.stdout).toContain("--data-dir");
  });

  it("prints the usage of an element family's command for --help", async () => {
    const result = await cli(["storage", "--help"], fixtureEnv, packageBin);
    expect(result.code).toBe(0);
    expect(result.stdout).toMatch(/^Usage:\n {2}storage sweep/);
  });

  it("prints the usage of the whole CLI for --help", async () => {
    const result = await cli(["--help"]);
    expect(result.code).toBe(0);
    expect(result.stdout).toContain("new <category>/Meta --kind meta");
  });

  it("names an unknown flag in one line, then prints that command's usage, and exits 2", async () => {
    const result = await cli(["check", "--bogus"]);
    expect(result.code).toBe(2);
    const [first, blank, usage] = result.stderr.split("\n");
    expect(first).toMatch(/^jit-elements check: Unknown option '--bogus'/);
    expect(blank).toBe("");
    expect(usage).toBe("Usage: jit-elements check [dir] [--apps-path <root>]...");
  });

  it("says which value is missing, with the usage, and exits 2", async () => {
    const result = await cli(["typegen", "--out"]);
    expect(result.code).toBe(2);
    expect(result.stderr.split("\n")[0]).toMatch(/^jit-elements typegen: Option '--out <value>' argument missing/);
    expect(result.stderr).toContain("Usage: jit-elements typegen [dir] [--out <file>]");
  });

  it.each([
    [["new"], "jit-elements new: needs the element path, e.g. storages/MyOss."],
    [["new", "widgets/X"], "jit-elements new: needs --type <fullName>, the Type (or Meta) to build on, e.g. --type storages.OssType."],
    [["new", "widgets/X", "--type", "widgets.GreeterType", "--kind", "widget"], 'jit-elements new: --kind must be instance, type or meta, not "widget".'],
    [["new", "notifiers/Meta", "--kind", "meta", "--type", "widgets.Meta"], "jit-elements new: a Meta builds on nothing: drop --type (or pick --kind type)."],
    [["list", "a", "b"], "jit-elements list: takes one app folder, but got 2: a b."],
  ])("refuses %j in one line with the command's usage, exit 2", async (args, line) => {
    const result = await cli(args);
    expect(result.code).toBe(2);
    const [first, , usage] = result.stderr.split("\n");
    expect(first).toBe(line);
    expect(usage).toMatch(new RegExp(`^Usage: jit-elements ${args[0]} `));
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

  it("scaffolds a new category: its Meta, a Type on it and an instance of that, which check accepts", async () => {
    const dir = await copyOfApp("base");
    const meta = await cli(["new", "notifiers/Meta", "--kind", "meta", "--dir", dir]);
    expect(meta.code).toBe(0);
    expect(JSON.parse(await readFile(join(dir, "notifiers/Meta/e.json"), "utf8"))).toMatchObject({ title: "Notifiers", kind: "Meta", backendBundleEntry: "." });
    expect(await readFile(join(dir, "notifiers/Meta/index.ts"), "utf8")).toContain("export default class Notifiers<Config extends object = Record<string, unknown>> extends Element<Config> {}");
    expect((await cli(["new", "notifiers/MailType", "--type", "notifiers.Meta", "--dir", dir])).code).toBe(0);
    expect(await readFile(join(dir, "notifiers/MailType/index.ts"), "utf8")).toContain('import Base from "../Meta/index.ts";');
    expect((await cli(["new", "notifiers/Ops", "--type", "notifiers.MailType", "--dir", dir])).code).toBe(0);
    const listed = JSON.parse((await cli(["list", dir, "--json"])).stdout) as Array<{ fullName: string; kind: string }>;
    expect(listed).toEqual(
      expect.arrayContaining([
        expect.objectContaining({ fullName: "notifiers.Meta", kind: "Meta" }),
        expect.objectContaining({ fullName: "notifiers.MailType", kind: "Type" }),
        expect.objectContaining({ fullName: "notifiers.Ops", kind: "Instance" }),
      ]),
    );
    expect((await cli(["check", dir])).code).toBe(0);
  });

  it("refuses a second Meta for a category that has one", async () => {
    const dir = await copyOfApp("base");
    const made = await cli(["new", "widgets/Meta", "--kind", "meta", "--dir", dir]);
    expect(made.code).toBe(1);
    expect(made.stderr).toMatch(/^✗ \[DECLARATION_INVALID\] The widgets category already has its Meta, widgets\.Meta \(.+\); build a Type on it with --type widgets\.Meta\.$/m);
  });

  it("refuses an unknown type with a suggestion", async () => {
    const dir = await copyOfApp("base");
    const made = await cli(["new", "widgets/X", "--type", "widgets.GreeterTyp", "--dir", dir]);
    expect(made.code).toBe(1);
    expect(made.stderr).toContain("Did you mean widgets.GreeterType?");
  });
});
