// What a crash leaves under partial/: the unfinished files of a process that no longer runs are removed as soon as a
// storage on the folder starts; those of a live process stay until they are older than partialTimeoutSeconds.
import { spawn } from "node:child_process";
import { once } from "node:events";
import { readdir, stat, utimes, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { Readable } from "node:stream";
import { fileURLToPath } from "node:url";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { openDiskApp, type DiskFixture } from "./helpers.ts";

const stalledWriter = fileURLToPath(new URL("../fixtures/disk-apps/scripts/stalled-writer.ts", import.meta.url));

let fixture: DiskFixture;
const partial = () => join(fixture.dir, "partial");

beforeEach(async () => {
  fixture = await openDiskApp();
});

afterEach(async () => {
  await fixture.dispose();
});

/** Runs the stalled writer on the fixture's folder until it is writing, then kills it with SIGKILL. */
async function killWhileWriting(): Promise<void> {
  const child = spawn(process.execPath, ["--import", "tsx", stalledWriter], { env: { ...process.env, DISK_DIR: fixture.dir }, stdio: ["ignore", "pipe", "inherit"] });
  let output = "";
  child.stdout.setEncoding("utf8");
  for await (const chunk of child.stdout) {
    output += String(chunk);
    if (output.includes("writing")) break;
  }
  const exited = once(child, "exit");
  child.kill("SIGKILL");
  await exited;
}

/** The pid of a process that ran and exited, and a start time as the storage records it. */
async function deadProcess(): Promise<{ pid: number; start: string }> {
  const child = spawn(process.execPath, ["-e", ""], { stdio: "ignore" });
  await once(child, "exit");
  return { pid: child.pid!, start: "1" };
}

/** A new storage on the same folder (as a restarted app would open it), started. */
async function reopen(element = "storages.MyDisk"): Promise<DiskFixture> {
  const again = await openDiskApp({ DISK_DIR: fixture.dir });
  await again.element(element).exists("anything");
  return again;
}

describe("unfinished files at start", () => {
  it("removes at once those of a writer killed with SIGKILL", async () => {
    await killWhileWriting();
    const first = await readdir(partial());
    expect(first).toHaveLength(1);
    expect((await stat(join(partial(), first[0]!))).size).toBeGreaterThan(0);
    // The next writer's own start already removes what the first one left.
    await killWhileWriting();
    const second = await readdir(partial());
    expect(second).toHaveLength(1);
    expect(second).not.toEqual(first);
    const again = await reopen();
    try {
      expect(await readdir(partial())).toEqual([]);
    } finally {
      await again.dispose();
    }
  });

  it("removes at once a dead writer's second name of a version it was replacing", async () => {
    await fixture.disk.exists("anything");
    // What a writer killed between linking the old version and renaming the new one over it leaves.
    const dead = await deadProcess();
    const name = `${dead.pid}-${dead.start}-00000000-0000-4000-8000-000000000000.retired`;
    await writeFile(join(partial(), name), "the replaced version");
    const again = await reopen();
    try {
      expect(await readdir(partial())).toEqual([]);
    } finally {
      await again.dispose();
    }
  });

  it("keeps those a live process is still writing, however many storages start on the folder", async () => {
    const controller = new AbortController();
    let release!: () => void;
    const gate = new Promise<void>((resolve) => (release = resolve));
    async function* slowly() {
      yield Buffer.alloc(64 * 1024, 1);
      await gate;
    }
    const upload = fixture.disk.upload("in-flight.bin", Readable.from(slowly()), { signal: controller.signal });
    while ((await readdir(partial()).catch(() => [])).length === 0) await new Promise((resolve) => setImmediate(resolve));
    const again = await reopen();
    try {
      expect(await readdir(partial())).toHaveLength(1);
    } finally {
      await again.dispose();
      controller.abort();
      release();
      await upload.catch(() => {});
    }
  });

  it("removes the others once older than partialTimeoutSeconds (an hour by default)", async () => {
    await fixture.disk.exists("anything");
    const twoMinutesAgo = new Date(Date.now() - 2 * 60 * 1000);
    // Written by something that does not say who it is, and by a live process (this one) that lost track of it.
    for (const name of ["no-owner-named", `${process.pid}-t0-00000000-0000-4000-8000-000000000000`]) {
      await writeFile(join(partial(), name), "half an object");
      await utimes(join(partial(), name), twoMinutesAgo, twoMinutesAgo);
    }
    const byDefault = await reopen();
    expect(await readdir(partial())).toHaveLength(2);
    await byDefault.dispose();
    const quick = await reopen("storages.QuickSweep");
    try {
      expect(await readdir(partial())).toEqual([]);
    } finally {
      await quick.dispose();
    }
  });
});
