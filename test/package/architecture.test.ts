// The architecture rules of .dependency-cruiser.cjs: runtime/ knows no category, and no module imports itself in a
// circle. dependency-cruiser reads the imports; these tests prove the rules hold here and bite where broken.
import { execFile } from "node:child_process";
import { join } from "node:path";
import { promisify } from "node:util";
import { describe, expect, it } from "vitest";
import { fixture } from "../runtime/fixtures.ts";
import { repoRoot } from "./paths.ts";

const depcruise = join(repoRoot, "node_modules", ".bin", "depcruise");
const config = join(repoRoot, ".dependency-cruiser.cjs");

async function cruise(cwd: string, paths: string[]): Promise<{ code: number; output: string }> {
  try {
    const { stdout, stderr } = await promisify(execFile)(depcruise, ["--config", config, "--output-type", "err", ...paths], { cwd });
    return { code: 0, output: stdout + stderr };
  } catch (error) {
    const { code, stdout = "", stderr = "" } = error as { code?: number; stdout?: string; stderr?: string };
    return { code: typeof code === "number" ? code : 1, output: stdout + stderr };
  }
}

describe("the architecture rules (dependency-cruiser)", () => {
  it("hold for the whole repository: no runtime/ → elements/ import, no import cycle", async () => {
    const result = await cruise(repoRoot, ["index.ts", "cli.ts", "runtime", "elements", "emulator", "apps", "test", "bench", "scripts", "vitest.config.ts"]);
    expect(result.output).toContain("no dependency violations found");
    expect(result.code).toBe(0);
  });

  it("report an import from runtime/ into elements/, and a cycle made of type-only imports", async () => {
    const result = await cruise(fixture("architecture"), ["runtime", "elements"]);
    expect(result.code).not.toBe(0);
    expect(result.output).toMatch(/error runtime-knows-no-category: runtime\/app\.ts → elements\/storages\/Meta\/index\.ts/);
    expect(result.output).toMatch(/error no-circular: runtime\/a\.ts →\s+runtime\/b\.ts →\s+runtime\/a\.ts/);
  });
});
