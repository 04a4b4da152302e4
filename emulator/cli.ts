// `oss-emulator` (and `jit-elements emulator`): runs the local OSS server in the foreground until interrupted.
import { parseArgs } from "node:util";
import { startOssEmulator, type OssEmulatorOptions } from "./index.ts";

const usage = `Usage: oss-emulator [options]

Runs a local Aliyun OSS-protocol server until Ctrl-C.

Options:
  --port <n>                 port to listen on (default: a free port)
  --host <host>              interface to listen on (default: 127.0.0.1 and ::1)
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
 * Parses `argv` (without node and script), starts the emulator, prints how to reach it, and resolves once it has
 * stopped on SIGINT or SIGTERM. Throws on unknown options.
 */
export async function runEmulatorCli(
  argv: string[],
  out: (line: string) => void = console.log,
): Promise<void> {
  const { values } = parseArgs({
    args: argv,
    options: {
      port: { type: "string" },
      host: { type: "string" },
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
  if (values.help) {
    out(usage);
    return;
  }
  const options: OssEmulatorOptions = {};
  if (values.port !== undefined) {
    const port = Number(values.port);
    if (!Number.isInteger(port) || port < 0 || port > 65535) throw new Error(`--port must be a port number, not "${values.port}".`);
    options.port = port;
  }
  if (values.host !== undefined) options.host = values.host;
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
    if (!/^\d+$/.test(text) || !Number.isSafeInteger(n)) throw new Error(`--${flag} must be a whole number, not "${text}".`);
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

  const emulator = await startOssEmulator(options);
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
