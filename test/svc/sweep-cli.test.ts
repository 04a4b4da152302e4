import { execFile } from "node:child_process";
import { promisify } from "node:util";
import { fileURLToPath } from "node:url";
import { afterEach, describe, expect, it, vi } from "vitest";
import { runCli } from "../../runtime/cli.ts";
import { storageCommand } from "../../elements/storages/services/StorageSvc/cli.ts";
import { openSvcApp, svcFixture, type SvcFixture } from "./helpers.ts";

const run = promisify(execFile);
const root = fileURLToPath(new URL("../../", import.meta.url));
let fixture: SvcFixture | undefined;
afterEach(async () => {
  vi.useRealTimers();
  vi.unstubAllEnvs();
  await fixture?.dispose();
  fixture = undefined;
});

/** Files that expired an hour ago by the real clock (uploaded with the service's clock set back), and one that never does. */
async function expiredFiles(f: SvcFixture): Promise<void> {
  f.clock.now = Date.now() - 3600_000;
  await f.svc.uploadByFile("old/a.txt", Buffer.from("a"), undefined, undefined, undefined, 60);
  await f.svc.uploadByFile("old/b.txt", Buffer.from("b"), undefined, undefined, undefined, 60);
  await f.svc.uploadByFile("keep.txt", Buffer.from("k"));
}

describe("jit-elements storage sweep", () => {
  it("lists the expired files with --dry-run, then deletes them, run as the package's bin", async () => {
    fixture = await openSvcApp("routing");
    await expiredFiles(fixture);
    const env = { ...process.env, ...fixture.env };
    const dry = await run(process.execPath, ["bin.js", "storage", "sweep", svcFixture("routing"), "--dry-run"], { cwd: root, env });
    expect(dry.stdout).toBe("would delete old/a.txt\nwould delete old/b.txt\nstorages.Files: 3 files looked at, 2 expired, none deleted (dry run).\n");
    expect(await fixture.storage("storages.Files").exists("old/a.txt")).toBe(true);
    const real = await run(process.execPath, ["bin.js", "storage", "sweep", svcFixture("routing"), "--storage", "storages.Files"], { cwd: root, env });
    expect(real.stdout).toBe("storages.Files: 3 files looked at, 2 expired, 2 deleted.\n");
    expect(await fixture.storage("storages.Files").exists("old/a.txt")).toBe(false);
    expect(await fixture.storage("storages.Files").exists("keep.txt")).toBe(true);
  });

  it("reports its progress as one line per page, and names the storages when --storage names none of them", async () => {
    fixture = await openSvcApp("routing");
    await expiredFiles(fixture);
    vi.stubEnv("SVC_DISK_DIR", fixture.dir); // the CLI reads the process's environment
    const out: string[] = [];
    const err: string[] = [];
    const progress: string[] = [];
    const code = await storageCommand.run(["sweep", svcFixture("routing"), "--dry-run"], (l) => out.push(l), (l) => err.push(l), (l) => progress.push(l));
    expect(code).toBe(0);
    expect(progress).toEqual(["storages.Files: 3 files looked at, 2 expired", ""]);
    const failed = await runCli(["storage", "sweep", svcFixture("routing"), "--storage", "storages.Nope"], (l) => out.push(l), (l) => err.push(l), { storage: storageCommand });
    expect(failed).toBe(1);
    expect(err.join("\n")).toContain("storages.Cloud, storages.Files");
  });
});

describe("sweepEvery", () => {
  it("sweeps the default storage on a timer that app.close() stops", async () => {
    vi.useFakeTimers({ toFake: ["setInterval", "clearInterval"] });
    fixture = await openSvcApp("timed");
    const { svc, clock } = fixture;
    await svc.uploadByFile("brief.txt", Buffer.from("b"), undefined, undefined, undefined, 30);
    await svc.uploadByFile("lasting.txt", Buffer.from("l"));
    clock.advance(30);
    expect(svc.lastSweep).toBeUndefined();
    vi.advanceTimersByTime(60_000);
    const [result] = (await svc.lastSweep) ?? [];
    expect(result).toEqual({ storage: "storages.Files", scanned: 2, expired: ["brief.txt"], dryRun: false });
    expect(await fixture.storage("storages.Files").exists("brief.txt")).toBe(false);
    expect(vi.getTimerCount()).toBe(1);
    await fixture.app.close();
    expect(vi.getTimerCount()).toBe(0);
  });
});
