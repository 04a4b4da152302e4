// The README's switch of the demo's storages.MyOss to storages.MinioType, applied to a copy of apps/demo and run as
// a user runs it, with no variables set: the demo starts the local server, which speaks S3 as well as OSS, so the
// switched storages.MyOss (on MinioType) and storages.Archive (on OssType) both use it, as the disk switch does.
import { execFile } from "node:child_process";
import { cp, mkdir, mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { promisify } from "node:util";
import { afterAll, describe, expect, it } from "vitest";

const run = promisify(execFile);
const root = new URL("../../", import.meta.url).pathname;
let copy: string | undefined;

afterAll(async () => {
  if (copy !== undefined) await rm(copy, { recursive: true, force: true });
});

describe("the demo with storages.MyOss switched to storages.MinioType", () => {
  it("runs the same walk-through after editing only MyOss's e.json and MyOss.json, as the README shows", async () => {
    await mkdir(join(root, ".tmp"), { recursive: true });
    copy = await mkdtemp(join(root, ".tmp", "demo-on-minio-"));
    await cp(join(root, "apps/demo"), copy, { recursive: true });

    const readme = await readFile(join(root, "README.md"), "utf8");
    const switched = /<!-- minio-switch:start -->[\s\S]*?```json\n([\s\S]*?)```[\s\S]*?```json\n([\s\S]*?)```[\s\S]*?<!-- minio-switch:end -->/.exec(readme);
    expect(switched, "the README shows the two files of the switch").not.toBeNull();
    await writeFile(join(copy, "storages/MyOss/e.json"), switched![1]!);
    await writeFile(join(copy, "storages/MyOss/MyOss.json"), switched![2]!);

    const env: NodeJS.ProcessEnv = { ...process.env, DEMO_LARGE_MIB: "16" };
    for (const name of Object.keys(env)) if (name.startsWith("OSS_") || name.startsWith("S3_")) delete env[name];
    const { stdout, stderr } = await run(process.execPath, ["--import", "tsx", join(copy, "main.ts")], { cwd: root, env });
    expect(stdout).toContain("storages.MyOss runs on storages.MinioType");
    expect(stdout).toContain("signed a GET URL (60 s) and fetched it with fetch: 200");
    expect(stdout).toContain("signed a browser PUT URL and uploaded through it: 200");
    expect(stdout).toContain("SHA-256 identical");
    expect(stdout).toContain("failed: NoSuchKey (404)");
    expect(stdout).toMatch(/Done: \d+ steps against storages\.MinioType, all as expected\.\n$/);
    expect(stderr).not.toContain("Warning");
  });
});
