import { execFile } from "node:child_process";
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
});
