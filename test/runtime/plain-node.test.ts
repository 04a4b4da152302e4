import { execFile } from "node:child_process";
import { promisify } from "node:util";
import { describe, expect, it } from "vitest";
import { repoRoot, userEnv } from "../package/paths.ts";
import { fixture } from "./fixtures.ts";

const run = promisify(execFile);
const script = fixture("scripts/identity.mjs");

// "jit-elements" is the built package here (dist/, made by the globalSetup), as an installed package is.
describe("element code in TypeScript, without a build step", () => {
  it.each([
    ["plain node", process.execPath, [script]],
    ["tsx", process.execPath, ["--import", "tsx", script]],
  ])("loads under %s, sharing class objects with app code", async (_runner, command, args) => {
    const { stdout } = await run(command, [...args, fixture("apps/child")], { cwd: repoRoot, env: userEnv() });
    expect(JSON.parse(stdout.trim())).toEqual({ greeting: "hi, Ann! (child)", isElement: true, isElementError: true });
  });
});
