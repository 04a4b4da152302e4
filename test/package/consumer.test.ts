// The package as a user gets it: packed by npm, installed from the tarball into an app outside this repository
// (its dependencies from the registry or npm's cache), typed with the strictest flags, run under plain node and tsx.
import { execFile } from "node:child_process";
import { existsSync } from "node:fs";
import { cp, mkdtemp, readFile, rm } from "node:fs/promises";
import { createRequire } from "node:module";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { promisify } from "node:util";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { fixture } from "../runtime/fixtures.ts";
import { repoRoot, userEnv } from "./paths.ts";

const execute = promisify(execFile);
const require = createRequire(import.meta.url);

interface Run {
  code: number;
  stdout: string;
  stderr: string;
}

/** Runs `command` as a user's shell would: no source condition, no variables npm sets for our own scripts. */
async function run(command: string, args: string[], cwd: string, extra: Record<string, string> = {}): Promise<Run> {
  const env = userEnv(extra);
  for (const name of Object.keys(env)) if (name.startsWith("npm_")) delete env[name];
  try {
    const { stdout, stderr } = await execute(command, args, { cwd, env, maxBuffer: 16 * 1024 * 1024 });
    return { code: 0, stdout, stderr };
  } catch (error) {
    const { code, stdout = "", stderr = "" } = error as { code?: number; stdout?: string; stderr?: string };
    return { code: typeof code === "number" ? code : 1, stdout, stderr };
  }
}

function succeeded(result: Run, what: string): Run {
  expect(result.code, `${what} failed:\n${result.stdout}${result.stderr}`).toBe(0);
  return result;
}

/** The version of a package installed here, so that the app gets the same one, from npm's cache. */
function installedVersion(name: string): string {
  return (require(`${name}/package.json`) as { version: string }).version;
}

/** A command of this repository's devDependencies. */
function tool(name: string): string {
  return join(repoRoot, "node_modules", ".bin", name);
}

const work = await mkdtemp(join(tmpdir(), "jit-elements-consumer-"));
const appDir = join(work, "app");
let tarball = "";
let shipped: string[] = [];
let typegen: Run;
let typecheck: Run;

beforeAll(async () => {
  // dist/ is fresh (the globalSetup built it), so the pack skips the prepack build that would rewrite it under
  // the other tests' feet.
  const pack = succeeded(await run("npm", ["pack", "--ignore-scripts", "--json", "--pack-destination", work], repoRoot), "npm pack");
  const [packed] = JSON.parse(pack.stdout) as { filename: string; files: { path: string }[] }[];
  tarball = join(work, packed!.filename);
  shipped = packed!.files.map((file) => file.path);

  await cp(fixture("consumer-app"), appDir, { recursive: true });
  const deps = [tarball, `typescript@${installedVersion("typescript")}`, `@types/node@${installedVersion("@types/node")}`];
  succeeded(await run("npm", ["install", "--prefer-offline", "--no-audit", "--no-fund", ...deps], appDir), "npm install");
  typegen = await run("npx", ["jit-elements", "typegen", "."], appDir);
  // The app's own compiler and tsconfig; it also emits build/main.js for the plain-node run.
  typecheck = await run("npx", ["tsc", "-p", ".", "--pretty", "false"], appDir);
}, 300_000);

afterAll(async () => {
  await rm(work, { recursive: true, force: true });
});

describe("the packed tarball", () => {
  it("ships built code, declarations, source maps, schemas and the official element folders, and no tests, benches or fixtures", () => {
    const outsideDist = shipped.filter((path) => !path.startsWith("dist/"));
    expect(outsideDist.sort()).toEqual(["LICENSE", "README.md", "package.json"]);
    expect(shipped.filter((path) => /(^|\/)(test|tests|bench|fixtures|apps|scripts)\//.test(path))).toEqual([]);
    // No TypeScript source for a user's compiler to check, but the probe that must stay .ts (typescript-support.js).
    expect(shipped.filter((path) => path.endsWith(".ts") && !path.endsWith(".d.ts"))).toEqual(["dist/runtime/typescript-probe.ts"]);
    for (const path of ["dist/index.js", "dist/index.d.ts", "dist/index.js.map", "dist/emulator/index.js", "dist/runtime/bin.js", "dist/emulator/bin.js", "dist/runtime/schemas/e.schema.json"]) {
      expect(shipped).toContain(path);
    }
    // Every official element folder is there with its JSON, and where it has code, compiled code beside its e.json
    // (a thin Type such as storages.MinioType has none: its chain's code is storages.S3Type's).
    const official = shipped.filter((path) => path.startsWith("dist/elements/") && path.endsWith("/e.json"));
    expect(official).toContain("dist/elements/storages/OssType/e.json");
    for (const declaration of official) {
      const folder = declaration.slice(0, -"e.json".length);
      if (!existsSync(join(repoRoot, folder.slice("dist/".length), "index.ts"))) continue;
      expect(shipped, folder).toContain(`${folder}index.js`);
      expect(shipped, folder).toContain(`${folder}index.d.ts`);
    }
    expect(shipped).toContain("dist/elements/storages/OssType/config.schema.json");
    expect(shipped).toContain("dist/elements/storages/OssType/OssType.json");
  });

  it("has nothing publint reports", async () => {
    const result = await run(tool("publint"), ["run", tarball, "--strict"], repoRoot);
    expect(result.code, result.stdout + result.stderr).toBe(0);
    expect(result.stdout).toContain("All good!");
  });

  it("has nothing arethetypeswrong reports, for every entry point and every official element", async () => {
    const elements = shipped
      .filter((path) => path.startsWith("dist/elements/") && path.endsWith("/index.d.ts"))
      .map((path) => `./elements/${path.slice("dist/elements/".length, -"/index.d.ts".length)}`);
    // ESM only: the package is "type": "module" and its modules use top-level await, so require() is not for it.
    const args = [tarball, "--profile", "esm-only", "--include-entrypoints", ...elements, "--format", "ascii", "--no-color"];
    const result = await run(tool("attw"), args, repoRoot);
    expect(result.code, result.stdout + result.stderr).toBe(0);
    // Each entry point, the official elements' included, resolves to types and code under node16 ESM and bundlers.
    const checked = result.stdout.split("\n").filter((line) => /^(node16 \(from ESM\)|bundler): /.test(line));
    // ".", "./emulator", "./package.json" and each element; the wildcard subpaths are not resolvable alone.
    const entryPoints = 3 + elements.length;
    expect(checked.filter((line) => line.includes("🟢"))).toHaveLength(2 * entryPoints);
  });
});

describe("an app with jit-elements installed from the tarball", () => {
  it("gets an element map from `jit-elements typegen`, inside its tsconfig, so no warning", async () => {
    succeeded(typegen, "jit-elements typegen");
    expect(typegen.stdout.trim()).toBe("wrote element-map.d.ts");
    expect(typegen.stderr).toBe("");
    const map = await readFile(join(appDir, "element-map.d.ts"), "utf8");
    expect(map).toContain('"storages.Files": InstanceType<typeof import("jit-elements/elements/storages/OssType").default>;');
    expect(map).toContain('"storages.Reports": InstanceType<typeof import("./storages/ReportsType/index.ts").default>;');
  });

  it("type-checks with strict, exactOptionalPropertyTypes, noUncheckedIndexedAccess, noPropertyAccessFromIndexSignature, verbatimModuleSyntax and nodenext: zero errors", () => {
    expect(typecheck.stdout + typecheck.stderr).toBe("");
    expect(typecheck.code).toBe(0);
  });

  it("is found sound by `jit-elements check`, the command the package installs", async () => {
    const env = { OSS_ACCESS_KEY_ID: "id", OSS_ACCESS_KEY_SECRET: "secret", OSS_ENDPOINT: "http://localhost:9000", OSS_BUCKET: "bucket" };
    const result = succeeded(await run("npx", ["jit-elements", "check", "."], appDir, env), "jit-elements check");
    // The app's two instances and the official storages.services.StorageSvc.
    expect(result.stdout).toMatch(/^ok: \d+ elements \(3 instances\) in .+, no problems\./);
  });

  it("runs under plain node, built by its own tsc, with the local OSS server from jit-elements/emulator", async () => {
    const result = succeeded(await run(process.execPath, ["build/main.js"], appDir), "node build/main.js");
    expect(JSON.parse(result.stdout)).toEqual(expected);
    expect(result.stderr).toBe("");
  });

  it("runs under tsx, from its TypeScript", async () => {
    const result = succeeded(await run(process.execPath, ["--import", "tsx", "main.ts"], appDir), "tsx main.ts");
    expect(JSON.parse(result.stdout)).toEqual(expected);
    expect(result.stderr).toBe("");
  });

  it("is warned by typegen when the map goes where its tsconfig does not look", async () => {
    const result = succeeded(await run("npx", ["jit-elements", "typegen", ".", "--out", "../element-map.d.ts"], appDir), "typegen --out");
    expect(result.stderr.trim()).toBe(
      `warning: ${join(work, "element-map.d.ts")} is not among the files of tsconfig.json, so TypeScript does not see it and getElement stays untyped: add it to that tsconfig's "include".`,
    );
  });
});

const expected = {
  uploaded: "hello.txt",
  downloaded: "hello from a consumer",
  filed: "reports/2026/q1.txt",
  reportsIsOss: true,
  exact: [true, true],
  refused: "ELEMENT_NOT_FOUND",
};
