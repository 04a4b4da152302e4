// The local OSS server in a child process, for measurements and large transfers: its memory and CPU are then not
// the caller's. Started through the same `oss-emulator` command a user runs.
import { spawn } from "node:child_process";
import { fileURLToPath } from "node:url";

export interface OssEmulatorProcess {
  /** `http://localhost:PORT`, as printed by the command. */
  endpoint: string;
  /** Ends the process (SIGTERM) and waits for it. */
  stop(): Promise<void>;
}

/** Starts `oss-emulator --port 0` with the default keys and bucket; resolves once it listens. */
export async function startOssEmulatorProcess(): Promise<OssEmulatorProcess> {
  const bin = fileURLToPath(new URL("./bin.js", import.meta.url));
  const child = spawn(process.execPath, [bin, "--port", "0"], { stdio: ["ignore", "pipe", "inherit"] });
  const endpoint = await new Promise<string>((resolve, reject) => {
    let seen = "";
    child.stdout.setEncoding("utf8");
    child.stdout.on("data", (text: string) => {
      seen += text;
      const match = /listening on (http:\/\/\S+)/.exec(seen);
      if (match) resolve(match[1]!);
    });
    child.once("exit", (code) => reject(new Error(`oss-emulator exited with ${code} before listening:\n${seen}`)));
  });
  child.stdout.resume();
  return {
    endpoint,
    stop: () =>
      new Promise<void>((resolve) => {
        if (child.exitCode !== null) return resolve();
        child.once("exit", () => resolve());
        child.kill("SIGTERM");
      }),
  };
}
