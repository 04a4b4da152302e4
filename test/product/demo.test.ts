import { execFile } from "node:child_process";
import { mkdir, readFile } from "node:fs/promises";
import { join } from "node:path";
import { promisify } from "node:util";
import { describe, expect, it } from "vitest";

const run = promisify(execFile);
const root = new URL("../../", import.meta.url).pathname;

/** The environment of a fresh machine: no OSS_* variables, so the demo uses the local OSS server. */
function localEnv(extra: Record<string, string> = {}): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = { ...process.env, ...extra };
  for (const name of Object.keys(env)) if (name.startsWith("OSS_")) delete env[name];
  return env;
}

describe("npm start (the demo)", () => {
  it("walks through every storage feature on the local OSS server and exits 0", async () => {
    const { stdout } = await run(process.execPath, ["--import", "tsx", "apps/demo/main.ts"], {
      cwd: root,
      env: localEnv({ DEMO_LARGE_MIB: "16" }),
    });
    expect(stdout).toContain("Talking to the local OSS server");
    for (const step of [
      "uploaded",
      "signed a GET URL",
      "signed a browser PUT URL and uploaded through it: 200",
      "identical",
      "inspected",
      "listed",
      "SHA-256 identical",
      "storages.Archive (a custom Type on storages.OssType) archived",
      "StorageSvc stored",
      "its preview link answered 200",
      "NoSuchKey (404)",
      "deleted the",
    ]) {
      expect(stdout).toContain(step);
    }
    expect(stdout).toMatch(/Done: \d+ steps against the local OSS server, all as expected\.\n$/);
    expect(stdout).toContain("storages.MyOss runs on storages.OssType");
    // The deliberate error shows element, type and code, and no secret.
    expect(stdout).not.toContain("local-dev-secret-not-for-production");
  });

  it("is an app that `jit-elements check` finds sound with no variables set", async () => {
    const { stdout } = await run(process.execPath, ["runtime/bin.js", "check", "apps/demo"], { cwd: root, env: localEnv() });
    expect(stdout).toMatch(/^ok: \d+ elements \(3 instances\) in apps\/demo, no problems\./);
  });

  it("keeps its generated element-map.d.ts in step with its elements", async () => {
    // Written as deep in the tree as apps/demo/, so that relative paths to the official elements read the same.
    await mkdir(join(root, ".tmp/demo"), { recursive: true });
    const { stdout } = await run(process.execPath, ["runtime/bin.js", "typegen", "apps/demo", "--out", ".tmp/demo/element-map.d.ts"], { cwd: root, env: localEnv() });
    expect(stdout).toContain("wrote");
    const fresh = (await readFile(join(root, ".tmp/demo/element-map.d.ts"), "utf8")).replaceAll("../../apps/demo/", "./");
    expect(fresh).toBe(await readFile(join(root, "apps/demo/element-map.d.ts"), "utf8"));
  });
});
