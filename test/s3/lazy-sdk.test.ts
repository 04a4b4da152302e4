// The AWS SDK is loaded on first use of an S3 storage, never by loading an app, and its Node-version notice never
// reaches the user's output: both seen from a separate plain `node` process, as a user runs an app.
import { execFile } from "node:child_process";
import { fileURLToPath } from "node:url";
import { promisify } from "node:util";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startS3rver, type RunningS3rver } from "./s3rver.ts";
import { userEnv } from "../package/paths.ts";

const run = promisify(execFile);
const script = fileURLToPath(new URL("../fixtures/s3-apps/scripts/sdk-use.mjs", import.meta.url));
const root = fileURLToPath(new URL("../../", import.meta.url));

/** Runs the script in a fresh `node` with `env` added to a copy of this one's environment. */
async function runScript(args: string[], env: Record<string, string> = {}): Promise<{ result: { elements: number; sdkModules: number; roundTrip?: string }; stderr: string }> {
  const { stdout, stderr } = await run(process.execPath, [script, ...args], { cwd: root, env: userEnv(env) });
  return { result: JSON.parse(stdout) as { elements: number; sdkModules: number; roundTrip?: string }, stderr };
}

describe("loading the AWS SDK", () => {
  let server: RunningS3rver;

  beforeAll(async () => {
    server = await startS3rver();
  });

  afterAll(async () => {
    await server?.stop();
  });

  it("does not happen when an app without S3 instances loads, though the S3 Types' code is imported", async () => {
    const { result, stderr } = await runScript([fileURLToPath(new URL("../../apps/demo/", import.meta.url))]);
    expect(result.elements).toBeGreaterThan(0);
    expect(result.sdkModules).toBe(0);
    expect(stderr).toBe("");
  });

  it("does not happen when an app with S3 instances loads, only on their first request", async () => {
    const { result } = await runScript([fileURLToPath(new URL("../fixtures/s3-apps/reference/", import.meta.url))]);
    expect(result.sdkModules).toBe(0);
  });

  it("happens on the first request, and prints nothing to stderr: no NodeVersionSupportWarning, no other notice", async () => {
    const env = { S3_ENDPOINT: server.endpoint, S3_BUCKET: server.bucket, S3_ACCESS_KEY_ID: server.accessKeyId, S3_ACCESS_KEY_SECRET: server.accessKeySecret };
    const { result, stderr } = await runScript([fileURLToPath(new URL("../fixtures/s3-apps/reliability/", import.meta.url)), "storages.Patient"], env);
    expect(result.roundTrip).toBe("hello");
    expect(result.sdkModules).toBeGreaterThan(0);
    expect(stderr).toBe("");
  });
});
