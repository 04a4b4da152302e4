// vitest globalSetup: builds the package (dist/) once before the tests of the package as users get it run.
import { execFile } from "node:child_process";
import { promisify } from "node:util";
import { repoRoot, userEnv } from "./paths.ts";

export default async function buildOnce(): Promise<void> {
  try {
    await promisify(execFile)(process.execPath, ["scripts/build.js"], { cwd: repoRoot, env: userEnv() });
  } catch (error) {
    const { stdout = "", stderr = "" } = error as { stdout?: string; stderr?: string };
    throw new Error(`npm run build failed, so the package's own tests cannot run:\n${stdout}${stderr}`);
  }
}
