import { execFile } from "node:child_process";
import { mkdir, readFile, rm, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { promisify } from "node:util";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startOssEmulator, type OssEmulator } from "../../emulator/index.ts";

const run = promisify(execFile);
const root = new URL("../../", import.meta.url).pathname;
const readme = await readFile(join(root, "README.md"), "utf8");

/** The fenced code blocks of the README with their info strings. */
function blocks(): Array<{ info: string; code: string }> {
  return [...readme.matchAll(/^```([^\n]*)\n([\s\S]*?)^```$/gm)].map((m) => ({ info: m[1]!.trim(), code: m[2]! }));
}

let emulator: OssEmulator;
beforeAll(async () => {
  emulator = await startOssEmulator();
});
afterAll(async () => {
  await emulator.stop();
});

describe("README.md", () => {
  const runnable = blocks().filter((b) => b.info === "ts run");

  it("has runnable examples", () => {
    expect(runnable.length).toBeGreaterThan(0);
  });

  it.each(runnable.map((b, i) => [i + 1, b.code]))("runs example %i as written, against the local OSS server", async (n, code) => {
    // Inside the package, as in a user's app, so that "jit-elements" resolves.
    const dir = join(root, ".tmp", "readme");
    await mkdir(dir, { recursive: true });
    const file = join(dir, `example-${n}.ts`);
    await writeFile(file, String(code));
    try {
      const env: NodeJS.ProcessEnv = { ...process.env, OSS_ENDPOINT: emulator.endpoint };
      for (const name of ["OSS_ACCESS_KEY_ID", "OSS_ACCESS_KEY_SECRET", "OSS_BUCKET"]) delete env[name];
      const { stdout } = await run(process.execPath, ["--import", "tsx", file], { cwd: root, env });
      expect(stdout).toContain("Upload successful, URL: ");
      expect(stdout).toContain("hello 200");
      expect(stdout).toContain("gone, as expected");
    } finally {
      await rm(file, { force: true });
    }
  });

  it("shows JSON that parses", () => {
    for (const block of blocks().filter((b) => b.info === "json")) expect(() => JSON.parse(block.code)).not.toThrow();
  });

  it("shows the demo's custom Type as it is in apps/demo", async () => {
    const source = await readFile(join(root, "apps/demo/storages/ArchiveType/index.ts"), "utf8");
    const shown = blocks().find((b) => b.info === "ts" && b.code.includes("class ArchiveStorage"));
    expect(shown).toBeDefined();
    for (const line of shown!.code.split("\n").filter((l) => l.trim() !== "" && !l.trim().startsWith("/") && !l.trim().startsWith("*"))) {
      expect(source).toContain(line);
    }
  });

  it("shows the demo's declaration and config as they are in apps/demo", async () => {
    const declaration = JSON.parse(await readFile(join(root, "apps/demo/storages/MyOss/e.json"), "utf8")) as Record<string, unknown>;
    const config = JSON.parse(await readFile(join(root, "apps/demo/storages/MyOss/MyOss.json"), "utf8")) as Record<string, unknown>;
    const shown = blocks().filter((b) => b.info === "json").map((b) => JSON.parse(b.code) as Record<string, unknown>);
    const { $schema: _a, ...declarationShown } = declaration;
    const { $schema: _b, ...configShown } = config;
    expect(shown).toContainEqual(declarationShown);
    expect(shown).toContainEqual(configShown);
  });
});
