// The local OSS server in a child process, for measurements, large transfers and attacks: its memory, CPU and
// file descriptors are then not the caller's, and a crash shows as an exit. Started through the same
// `oss-emulator` command a user runs.
import { spawn } from "node:child_process";
import { fileURLToPath } from "node:url";

export interface OssEmulatorProcessOptions {
  /** More `oss-emulator` options (`--data-dir`, `--idle-timeout-ms` …); `--port 0` is always given. */
  args?: string[];
  /** Run under `ulimit -n` of this many files (through bash), as a server short of descriptors would. */
  fileLimit?: number;
}

export interface OssEmulatorProcess {
  /** `http://localhost:PORT`, as printed by the command. */
  endpoint: string;
  port: number;
  /** The process's exit code once it has exited (a crash included); null while it runs. */
  exitCode(): number | null;
  /** Everything the process wrote to stderr so far. */
  stderr(): string;
  /** Ends the process (SIGTERM) and waits for it; `exitCode()` then says how it ended. */
  stop(): Promise<void>;
}

/** Starts `oss-emulator --port 0` with the default keys and bucket; resolves once it listens. */
export async function startOssEmulatorProcess(options: OssEmulatorProcessOptions = {}): Promise<OssEmulatorProcess> {
  const bin = fileURLToPath(new URL("./bin.js", import.meta.url));
  const args = [bin, "--port", "0", ...(options.args ?? [])];
  const child =
    options.fileLimit === undefined
      ? spawn(process.execPath, args, { stdio: ["ignore", "pipe", "pipe"] })
      : // exec: the server replaces the shell, so that signals and the exit code are its own.
        spawn("bash", ["-c", `ulimit -n ${Math.floor(options.fileLimit)} && exec "$0" "$@"`, process.execPath, ...args], {
          stdio: ["ignore", "pipe", "pipe"],
        });
  let errors = "";
  child.stderr.setEncoding("utf8");
  child.stderr.on("data", (text: string) => {
    errors += text;
    process.stderr.write(text);
  });
  let exitCode: number | null = null;
  const exited = new Promise<number | null>((resolve) =>
    child.once("exit", (code, signal) => {
      exitCode = code ?? (signal === null ? null : 128);
      resolve(exitCode);
    }),
  );
  const endpoint = await new Promise<string>((resolve, reject) => {
    let seen = "";
    child.stdout.setEncoding("utf8");
    child.stdout.on("data", (text: string) => {
      seen += text;
      const match = /listening on (http:\/\/\S+)/.exec(seen);
      if (match) resolve(match[1]!);
    });
    void exited.then((code) => reject(new Error(`oss-emulator exited with ${code} before listening:\n${seen}${errors}`)));
  });
  child.stdout.resume();
  return {
    endpoint,
    port: Number(new URL(endpoint).port),
    exitCode: () => exitCode,
    stderr: () => errors,
    stop: () => {
      if (child.exitCode === null && child.signalCode === null) child.kill("SIGTERM");
      return exited.then(() => undefined);
    },
  };
}
