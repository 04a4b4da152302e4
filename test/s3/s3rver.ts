// s3rver (an S3 server from npm that nobody here wrote), started for a test in a child process on a free loopback
// port, its data in a temporary folder that stop() removes.
import { spawn } from "node:child_process";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { createInterface } from "node:readline";
import { fileURLToPath } from "node:url";

/** s3rver's one built-in key pair. It checks the key id but not V4 signatures, so any secret passes. */
export const S3RVER_ACCESS_KEY_ID = "S3RVER";
export const S3RVER_ACCESS_KEY_SECRET = "S3RVER";

export interface RunningS3rver {
  /** `http://127.0.0.1:<port>`. */
  endpoint: string;
  bucket: string;
  accessKeyId: string;
  accessKeySecret: string;
  stop(): Promise<void>;
}

const main = fileURLToPath(new URL("./s3rver-main.ts", import.meta.url));

/** Starts s3rver with one bucket, `bucket`. */
export async function startS3rver(bucket = "contract-bucket"): Promise<RunningS3rver> {
  const directory = await mkdtemp(join(tmpdir(), "s3rver-"));
  const child = spawn(process.execPath, ["--openssl-legacy-provider", "--import", "tsx", main, directory, bucket], { stdio: ["ignore", "pipe", "pipe"] });
  let errors = "";
  child.stderr.setEncoding("utf8").on("data", (text: string) => {
    errors += text;
    if (process.env.S3RVER_DEBUG) process.stderr.write(text);
  });
  const exited = new Promise<void>((resolve) => child.once("exit", () => resolve()));
  const port = await new Promise<number>((resolve, reject) => {
    const lines = createInterface({ input: child.stdout });
    lines.once("line", (line) => {
      try {
        resolve((JSON.parse(line) as { port: number }).port);
      } catch (error) {
        reject(error);
      }
    });
    child.once("exit", (code) => reject(new Error(`s3rver exited (${code}) before listening: ${errors}`)));
  });
  return {
    endpoint: `http://127.0.0.1:${port}`,
    bucket,
    accessKeyId: S3RVER_ACCESS_KEY_ID,
    accessKeySecret: S3RVER_ACCESS_KEY_SECRET,
    async stop() {
      child.kill("SIGTERM");
      await exited;
      await rm(directory, { recursive: true, force: true });
    },
  };
}
