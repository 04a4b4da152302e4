// `oss-emulator` (and `jit-elements emulator`): runs the local OSS server in the foreground until interrupted.
import { parseArgs } from "node:util";
import { startOssEmulator, type OssEmulatorOptions } from "./index.ts";

const usage = `Usage: oss-emulator [options]

Runs a local Aliyun OSS-protocol server until Ctrl-C.

Options:
  --port <n>                 port to listen on (default: a free port)
  --host <host>              interface to listen on (default: 127.0.0.1 and ::1)
  --hostname <name>          another name clients reach it by, whose subdomains address buckets
                             (e.g. s3.localhost: bucket.s3.localhost); repeat for more
  --bucket <name>            default bucket, created if missing (default: local-bucket); repeat for more buckets
  --data-dir <dir>           keep objects in <dir> across runs (default: a temporary folder, removed on exit)
  --access-key-id <id>       access key id to accept (default: LTAI-local-dev-key)
  --access-key-secret <s>    access key secret to accept (default: local-dev-secret-not-for-production)
  --region <region>          region for V4 signatures (default: cn-hangzhou)
  --headers-timeout-ms <n>   close a connection whose request headers take longer (default: 20000)
  --request-timeout-ms <n>   close a connection whose whole request takes longer (default: 0, no limit)
  --idle-timeout-ms <n>      close a connection silent this long mid-request (default: 30000)
  --keep-alive-timeout-ms <n> close a kept-alive connection idle this long (default: 5000)
  --max-connections <n>      connections open at once (default: from the file limit, at most 4096)
  --restore-delay-ms <n>     how long RestoreObject takes (default: 1000)
  --lifecycle-interval-ms <n> how often lifecycle rules are applied (default: 60000; 0: never)
  --fault-delay-ms <n>       delay every answer this long (fault injection for client tests; default: 0)
  -h, --help                 show this help`;

/**
 * What a user got wrong on the command line or in its surroundings (a busy port): printed as one line, exit 2.
 * `showUsage` adds the usage text, for flags the command does not know or lacks.
 */
export class EmulatorCliError extends Error {
  constructor(
    readonly code: "USAGE" | "OPTION_INVALID" | "LISTEN_FAILED",
    message: string,
  ) {
    super(message);
    this.name = "EmulatorCliError";
  }
  get showUsage(): boolean {
    return this.code === "USAGE";
  }
}

/** The usage text of `oss-emulator`, under the name it was run as (`oss-emulator` or `jit-elements emulator`). */
export function emulatorUsage(command = "oss-emulator"): string {
  return usage.replace("Usage: oss-emulator", `Usage: ${command}`);
}

/**
 * Runs the command as a bin does: the emulator in the foreground, or one line and exit 2 for what the user can fix
 * (the usage too when a flag is unknown). Returns the exit code.
 */
export async function emulatorMain(
  argv: string[],
  command = "oss-emulator",
  out: (line: string) => void = console.log,
  err: (line: string) => void = console.error,
): Promise<number> {
  try {
    await runEmulatorCli(argv, out, command);
    return 0;
  } catch (error) {
    if (!(error instanceof EmulatorCliError)) throw error;
    err(`${command}: ${error.message}${error.showUsage ? `\n\n${emulatorUsage(command)}` : ""}`);
    return 2;
  }
}

/**
 * Parses `argv` (without node and script), starts the emulator, prints how to reach it, and resolves once it has
 * stopped on SIGINT or SIGTERM. Throws EmulatorCliError on unknown options, bad values and a port it cannot listen on.
 */
export async function runEmulatorCli(
  argv: string[],
  out: (line: string) => void = console.log,
  command = "oss-emulator",
): Promise<void> {
  const { values } = parseEmulatorArgs(argv);
  if (values.help) {
    out(emulatorUsage(command));
    return;
  }
  const options: OssEmulatorOptions = {};
  if (values.port !== undefined) {
    const port = Number(values.port);
    if (!/^\d+$/.test(values.port) || port > 65535) throw new EmulatorCliError("OPTION_INVALID", `--port must be a port number from 0 to 65535 (0: a free one), not "${values.port}".`);
    options.port = port;
  }
  if (values.host !== undefined) options.host = values.host;
  if (values.hostname !== undefined) options.hostnames = values.hostname;
  const [bucket, ...more] = values.bucket ?? [];
  if (bucket !== undefined) options.bucket = bucket;
  if (more.length > 0) options.buckets = more;
  if (values["data-dir"] !== undefined) options.dataDir = values["data-dir"];
  if (values["access-key-id"] !== undefined) options.accessKeyId = values["access-key-id"];
  if (values["access-key-secret"] !== undefined) options.accessKeySecret = values["access-key-secret"];
  if (values.region !== undefined) options.region = values.region;
  const count = (flag: string, text: string | undefined): number | undefined => {
    if (text === undefined) return undefined;
    const n = Number(text);
    if (!/^\d+$/.test(text) || !Number.isSafeInteger(n)) throw new EmulatorCliError("OPTION_INVALID", `--${flag} must be a whole number, not "${text}".`);
    return n;
  };
  const limits = {
    headersTimeoutMs: count("headers-timeout-ms", values["headers-timeout-ms"]),
    requestTimeoutMs: count("request-timeout-ms", values["request-timeout-ms"]),
    idleTimeoutMs: count("idle-timeout-ms", values["idle-timeout-ms"]),
    keepAliveTimeoutMs: count("keep-alive-timeout-ms", values["keep-alive-timeout-ms"]),
    maxConnections: count("max-connections", values["max-connections"]),
  };
  for (const [name, value] of Object.entries(limits)) if (value !== undefined) options[name as keyof typeof limits] = value;
  const restoreDelayMs = count("restore-delay-ms", values["restore-delay-ms"]);
  if (restoreDelayMs !== undefined) options.restoreDelayMs = restoreDelayMs;
  const lifecycleIntervalMs = count("lifecycle-interval-ms", values["lifecycle-interval-ms"]);
  if (lifecycleIntervalMs !== undefined) options.lifecycleIntervalMs = lifecycleIntervalMs;
  const delayMs = count("fault-delay-ms", values["fault-delay-ms"]);
  if (delayMs !== undefined) options.faults = { delayMs };

  const emulator = await startOssEmulator(options).catch((error: unknown) => {
    throw listenFailure(error) ?? error;
  });
  out(`OSS emulator listening on ${emulator.endpoint}`);
  out(`  bucket:          ${[emulator.bucket, ...(options.buckets ?? [])].join(", ")}`);
  out(`  region:          ${emulator.region}`);
  out(`  accessKeyId:     ${emulator.accessKeyId}`);
  out(`  accessKeySecret: ${emulator.accessKeySecret}`);
  out(`  data:            ${emulator.dataDir}${options.dataDir === undefined ? " (removed on exit)" : ""}`);
  out(`Use it from ali-oss with { endpoint: "${emulator.endpoint}", sldEnable: true, bucket: "${emulator.bucket}", ... }.`);
  out("Press Ctrl-C to stop.");

  await new Promise<void>((resolveStop) => {
    const stop = (signal: NodeJS.Signals) => {
      process.off("SIGINT", stop);
      process.off("SIGTERM", stop);
      out(`\nReceived ${signal}, stopping…`);
      void emulator.stop().then(resolveStop);
    };
    process.on("SIGINT", stop);
    process.on("SIGTERM", stop);
  });
  out("OSS emulator stopped.");
}

function parseEmulatorArgs(argv: string[]) {
  try {
    return parseArgs({
      args: argv,
      options: {
        port: { type: "string" },
        host: { type: "string" },
        hostname: { type: "string", multiple: true },
        bucket: { type: "string", multiple: true },
        "data-dir": { type: "string" },
        "access-key-id": { type: "string" },
        "access-key-secret": { type: "string" },
        region: { type: "string" },
        "headers-timeout-ms": { type: "string" },
        "request-timeout-ms": { type: "string" },
        "idle-timeout-ms": { type: "string" },
        "keep-alive-timeout-ms": { type: "string" },
        "max-connections": { type: "string" },
        "fault-delay-ms": { type: "string" },
        "restore-delay-ms": { type: "string" },
        "lifecycle-interval-ms": { type: "string" },
        help: { type: "boolean", short: "h" },
      },
      strict: true,
      allowPositionals: false,
    });
  } catch (error) {
    // parseArgs says which flag it does not know or which lacks its value; the usage says what there is.
    if (error instanceof TypeError && (error as NodeJS.ErrnoException).code?.startsWith("ERR_PARSE_ARGS")) throw new EmulatorCliError("USAGE", error.message);
    throw error;
  }
}

/** A listen error (busy port, no permission, unknown address) as one line that says what to do. */
function listenFailure(error: unknown): EmulatorCliError | undefined {
  const failed = error as NodeJS.ErrnoException & { address?: string; port?: number };
  if (!(error instanceof Error) || failed.syscall !== "listen") return undefined;
  const where = `${failed.address ?? "localhost"}:${failed.port ?? "?"}`;
  switch (failed.code) {
    case "EADDRINUSE":
      return new EmulatorCliError("LISTEN_FAILED", `port ${failed.port ?? "?"} is already in use (${where}); stop what holds it, or pick another with --port (0: a free one).`);
    case "EACCES":
      return new EmulatorCliError("LISTEN_FAILED", `no permission to listen on ${where}; ports below 1024 need privileges, so pick one above with --port.`);
    case "EADDRNOTAVAIL":
      return new EmulatorCliError("LISTEN_FAILED", `cannot listen on ${where}: this machine has no such address; check --host.`);
    default:
      return new EmulatorCliError("LISTEN_FAILED", `cannot listen on ${where}: ${failed.code ?? failed.message}.`);
  }
}
