// The `oss-emulator` command: starts in the foreground, says how to reach it, stops cleanly on a signal.
import { spawn } from "node:child_process";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { runEmulatorCli } from "../../emulator/cli.ts";
import { clientFor } from "./helpers.ts";

const bin = fileURLToPath(new URL("../../emulator/bin.js", import.meta.url));
let dataDir: string;

beforeAll(async () => {
  dataDir = await mkdtemp(join(tmpdir(), "oss-emulator-cli-test-"));
});
afterAll(async () => {
  await rm(dataDir, { recursive: true, force: true });
});

describe("oss-emulator", () => {
  it("prints its endpoint, bucket and keys, serves requests, and stops on SIGTERM", async () => {
    const child = spawn(process.execPath, [bin, "--port", "0", "--bucket", "cli-bucket", "--data-dir", dataDir, "--access-key-id", "cli-key", "--access-key-secret", "cli-secret"], {
      stdio: ["ignore", "pipe", "pipe"],
    });
    let output = "";
    child.stdout.on("data", (chunk: Buffer) => (output += chunk.toString()));
    child.stderr.on("data", (chunk: Buffer) => (output += chunk.toString()));
    const exited = new Promise<number | null>((resolve) => child.on("exit", (code) => resolve(code)));
    await new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`no start banner in: ${output}`)), 30_000);
      child.stdout.on("data", () => {
        if (output.includes("Press Ctrl-C")) {
          clearTimeout(timer);
          resolve();
        }
      });
    });
    const endpoint = /listening on (http:\/\/localhost:\d+)/.exec(output)![1]!;
    expect(output).toContain("cli-bucket");
    expect(output).toContain("cli-key");
    expect(output).toContain("cli-secret");

    const client = clientFor({ endpoint, accessKeyId: "cli-key", accessKeySecret: "cli-secret", bucket: "cli-bucket" });
    await client.put("from-cli.txt", Buffer.from("served by the cli"));
    expect((await client.get("from-cli.txt")).content.toString()).toBe("served by the cli");

    child.kill("SIGTERM");
    expect(await exited).toBe(0);
    expect(output).toContain("OSS emulator stopped.");
  });

  it("prints its usage for --help", async () => {
    const lines: string[] = [];
    await runEmulatorCli(["--help"], (line) => lines.push(line));
    expect(lines.join("\n")).toContain("--data-dir");
  });

  it("refuses unknown options", async () => {
    await expect(runEmulatorCli(["--no-such-option"], () => undefined)).rejects.toThrow(/no-such-option/);
  });
});
