// The acceptance test of the element model: an app written as JitAI's tutorial writes a new family, with a
// storage whose custom Type has no kind, copied to a temporary folder outside this repository with no
// package.json, run as a user runs it, under plain node and under tsx.
import { execFile } from "node:child_process";
import { cp, mkdtemp, rm, stat, writeFile } from "node:fs/promises";
import { createRequire } from "node:module";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { pathToFileURL } from "node:url";
import { promisify } from "node:util";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startOssEmulator, type OssEmulator } from "../../emulator/index.ts";
import { fixture } from "./fixtures.ts";

const run = promisify(execFile);
const runtimeEntry = pathToFileURL(fixture("../../index.js")).href;
const tsxLoader = pathToFileURL(createRequire(import.meta.url).resolve("tsx")).href;

let emulator: OssEmulator;
let appDir: string;
/** The same app with a package.json that does not say "type": "module", so Node would take its code for CommonJS. */
let commonJsAppDir: string;

beforeAll(async () => {
  emulator = await startOssEmulator();
  const scratch = await mkdtemp(join(tmpdir(), "jitai-tutorial-"));
  appDir = join(scratch, "RobotDemo");
  commonJsAppDir = join(scratch, "commonjs", "RobotDemo");
  await cp(fixture("jitai-tutorial"), appDir, { recursive: true });
  await cp(fixture("jitai-tutorial"), commonJsAppDir, { recursive: true });
  await writeFile(join(commonJsAppDir, "package.json"), `${JSON.stringify({ name: "robot-demo", private: true })}\n`);
});

afterAll(async () => {
  await emulator?.stop();
  if (appDir !== undefined) await rm(join(appDir, ".."), { recursive: true, force: true });
});

describe("an app written as JitAI's tutorial writes it, outside this repository", () => {
  it("has no package.json anywhere above it, as a JitAI app has none", async () => {
    for (let dir = appDir; dir !== join(dir, ".."); dir = join(dir, "..")) {
      await expect(stat(join(dir, "package.json"))).rejects.toThrow();
    }
  });

  it.each([
    ["plain node", [] as string[], "without package.json"],
    ["tsx", ["--import", tsxLoader], "without package.json"],
    ["plain node", [] as string[], "with a package.json that is not type module"],
    ["tsx", ["--import", tsxLoader], "with a package.json that is not type module"],
  ])("loads and runs under %s, %s: kinds from the graph, afterAppInit, {{VAR}}s, a custom storage Type on OssType", async (_runner, flags, where) => {
    const dir = where === "without package.json" ? appDir : commonJsAppDir;
    const { stdout } = await run(process.execPath, [...flags, join(dir, "main.mjs"), runtimeEntry, dir], {
      cwd: dir,
      env: { ...process.env, OSS_ENDPOINT: emulator.endpoint, DINGTALK_CLIENT_ID: "ding-client", DINGTALK_CLIENT_SECRET: "ding-secret" },
    });
    expect(JSON.parse(stdout.trim())).toEqual({
      connectedAtLoad: true,
      reply: "aiagents.CustomerService answers: where is my parcel?",
      robotIsElement: true,
      filesIsOss: true,
      saved: "corp/hello.txt",
      read: "hello from the corp",
      kinds: {
        "imRobots.Meta": "Meta",
        "imRobots.dingTalkStreamType": "Type",
        "imRobots.dingTalkDemo": "Instance",
        "storages.CorpStorageType": "Type",
        "storages.CorpFiles": "Instance",
      },
    });
  });
});
