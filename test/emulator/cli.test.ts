// The `oss-emulator` command: starts in the foreground, says how to reach it, stops cleanly on a signal.
import { execFile, spawn } from "node:child_process";
import { createServer, type Server } from "node:net";
import { promisify } from "node:util";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { runEmulatorCli } from "../../emulator/cli.ts";
import { clientFor } from "./helpers.ts";

const bin = fileURLToPath(new URL("../../emulator/bin.js", import.meta.url));
const jitElementsBin = fileURLToPath(new URL("../../bin.js", import.meta.url));
const execute = promisify(execFile);
let dataDir: string;

/** Runs a command as a user would, with plain node; never throws on a non-zero exit. */
async function run(script: string, args: string[]) {
  try {
    const { stdout, stderr } = await execute(process.execPath, [script, ...args], { timeout: 30_000 });
    return { code: 0, stdout, stderr };
  } catch (error) {
    const failed = error as { code: number; stdout: string; stderr: string };
    return { code: failed.code, stdout: failed.stdout, stderr: failed.stderr };
  }
}

/** Holds a port on 127.0.0.1, where the emulator listens by default. */
async function busyPort(): Promise<{ server: Server; port: number }> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const address = server.address();
  if (address === null || typeof address === "string") throw new Error("no port");
  return { server, port: address.port };
}

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

describe.each([
  ["oss-emulator", bin, []],
  ["jit-elements emulator", jitElementsBin, ["emulator"]],
] as const)("%s on the command line", (command, script, prefix) => {
  it("says in one line that the port is in use, and exits 2", async () => {
    const { server, port } = await busyPort();
    try {
      const result = await run(script, [...prefix, "--port", String(port)]);
      expect(result.code).toBe(2);
      expect(result.stderr).toBe(
        `${command}: port ${port} is already in use (127.0.0.1:${port}); stop what holds it, or pick another with --port (0: a free one).\n`,
      );
      expect(result.stdout).toBe("");
    } finally {
      await new Promise((resolve) => server.close(resolve));
    }
  });

  it.each(["abc", "65536", "-1", "", "80.5"])("says in one line that --port %j is not a port, and exits 2", async (value) => {
    const result = await run(script, [...prefix, `--port=${value}`]);
    expect(result.code).toBe(2);
    expect(result.stderr).toBe(`${command}: --port must be a port number from 0 to 65535 (0: a free one), not "${value}".\n`);
  });

  it("says in one line that a count is not a whole number, and exits 2", async () => {
    const result = await run(script, [...prefix, "--max-connections", "many"]);
    expect(result.code).toBe(2);
    expect(result.stderr).toBe(`${command}: --max-connections must be a whole number, not "many".\n`);
  });

  it("names an unknown option, prints its usage, and exits 2", async () => {
    const result = await run(script, [...prefix, "--prot", "9000"]);
    expect(result.code).toBe(2);
    const [first, blank, usage] = result.stderr.split("\n");
    expect(first).toMatch(new RegExp(`^${command}: Unknown option '--prot'`));
    expect(blank).toBe("");
    expect(usage).toBe(`Usage: ${command} [options]`);
  });

  it("says which option lacks its value, prints its usage, and exits 2", async () => {
    const result = await run(script, [...prefix, "--port"]);
    expect(result.code).toBe(2);
    expect(result.stderr.split("\n")[0]).toMatch(new RegExp(`^${command}: Option '--port <value>' argument missing`));
    expect(result.stderr).toContain(`Usage: ${command} [options]`);
  });

  it("prints its usage on stdout and exits 0 for --help", async () => {
    const result = await run(script, [...prefix, "--help"]);
    expect(result.code).toBe(0);
    expect(result.stdout).toMatch(new RegExp(`^Usage: ${command} \\[options\\]`));
    expect(result.stderr).toBe("");
  });
});
