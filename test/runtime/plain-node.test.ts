import { execFile } from "node:child_process";
import { promisify } from "node:util";
import { describe, expect, it } from "vitest";
import { fixture } from "./fixtures.ts";

const run = promisify(execFile);
const script = fixture("scripts/identity.mjs");

describe("element code in TypeScript, without a build step", () => {
  it.each([
    ["plain node", process.execPath, [script]],
    ["tsx", process.execPath, ["--import", "tsx", script]],
  ])("loads under %s, sharing class objects with app code", async (_runner, command, args) => {
    const { stdout } = await run(command, [...args, fixture("apps/child")], { cwd: process.cwd() });
    expect(JSON.parse(stdout.trim())).toEqual({ greeting: "hi, Ann! (child)", isElement: true, isElementError: true });
  });
});
