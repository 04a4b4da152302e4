// The local OSS server's throughput for small objects with the real ali-oss client, against a bare Node http
// server that only reads each body, hashes it and answers from memory (200 with the MD5 as ETag for PUT, the
// stored body for GET), measured in the same run. Each server runs in a child process of its own, as the
// emulator runs for users (`oss-emulator`: the package's JavaScript, built here from the sources), and the client
// in this process: the ratio says how much of a real client's pace the emulator keeps, with signatures checked
// and every object on disk. A second figure times
// CompleteMultipartUpload of a 1 GiB object against the time its parts took to upload: assembling must not
// copy the parts again.
import { execFile, spawn, type ChildProcess } from "node:child_process";
import { once } from "node:events";
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { createRequire } from "node:module";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";
import { promisify } from "node:util";
import OSS from "ali-oss";
import type { Benchmark, Figure } from "./figure.ts";
import { noise } from "./measure.ts";

const SIZE = 4 * 1024;
const CONCURRENCY = 10;
const KEYS = 64;
// Each figure alternates short emulator and baseline slices, so that a slow moment of a shared machine lands on
// both sides alike; the figure is the total count over the total time of each side.
const ROUNDS = 10;
const WARMUP_MS = 150;
const MEASURE_MS = 600;

type Client = InstanceType<typeof OSS>;

const execFileAsync = promisify(execFile);

const root = fileURLToPath(new URL("..", import.meta.url));

// The emulator child: starts with its defaults (a temporary data folder) and reports its endpoint and keys.
const emulatorChild = (emulatorIndex: string) => `
const { startOssEmulator } = await import(${JSON.stringify(emulatorIndex)});
const emulator = await startOssEmulator();
process.send({ endpoint: emulator.endpoint, accessKeyId: emulator.accessKeyId, accessKeySecret: emulator.accessKeySecret, bucket: emulator.bucket });
process.on("disconnect", () => emulator.stop().then(() => process.exit(0)));
`;

// The baseline child: reads every request body to its end and hashes it, keeps it in memory, and answers as the
// service would in the fewest bytes.
const bareChild = `
import { createHash } from "node:crypto";
import { createServer } from "node:http";
const objects = new Map();
const server = createServer((req, res) => {
  const chunks = [];
  req.on("data", (chunk) => chunks.push(chunk));
  req.on("end", () => {
    if (req.method === "GET") {
      const body = objects.get(req.url) ?? Buffer.alloc(0);
      res.writeHead(200, { "Content-Length": body.length, ETag: '"0"', "Content-Type": "application/octet-stream" });
      res.end(body);
    } else {
      const body = Buffer.concat(chunks);
      const etag = createHash("md5").update(body).digest("hex").toUpperCase();
      objects.set(req.url, body);
      res.writeHead(200, { "Content-Length": 0, ETag: '"' + etag + '"' });
      res.end();
    }
  });
});
// Both loopback addresses, as the emulator listens, so that "localhost" costs the same on both sides.
server.listen({ port: 0, host: "::" }, () => process.send({ endpoint: "http://localhost:" + server.address().port }));
process.on("disconnect", () => process.exit(0));
`;

export default (async () => {
  const payload = Buffer.alloc(SIZE, 0x61);
  const build = await buildEmulator();
  const emulator = await startChild<{ endpoint: string; accessKeyId: string; accessKeySecret: string; bucket: string }>(
    emulatorChild(build.index),
  ).catch(async (error: unknown) => {
    await build.remove();
    throw error;
  });
  const bare = await startChild<{ endpoint: string }>(bareChild);
  try {
    const options = { accessKeyId: emulator.info.accessKeyId, accessKeySecret: emulator.info.accessKeySecret, bucket: emulator.info.bucket };
    const emulatorClient = new OSS({ ...options, endpoint: emulator.info.endpoint, sldEnable: true } as OSS.Options);
    const bareClient = new OSS({ ...options, endpoint: bare.info.endpoint, sldEnable: true } as OSS.Options);
    const keys = Array.from({ length: KEYS }, (_, i) => `bench/object-${i}.bin`);
    for (const key of keys) await emulatorClient.put(key, payload);
    for (const key of keys) await bareClient.put(key, payload);

    const put = (client: Client) => (i: number) => client.put(keys[i % KEYS]!, payload).then(() => undefined);
    const get = (client: Client) => (i: number) =>
      client.get(keys[i % KEYS]!).then((r) => {
        if ((r.content as Buffer).length !== SIZE) throw new Error("short read");
      });

    const figures: Figure[] = [];
    for (const [name, op] of [
      ["4 KiB PUT through the local OSS server (ali-oss, 10 in flight)", put],
      ["4 KiB GET through the local OSS server (ali-oss, 10 in flight)", get],
    ] as const) {
      const value = { count: 0, ms: 0 };
      const baseline = { count: 0, ms: 0 };
      for (let round = 0; round < ROUNDS; round++) {
        await measure(op(emulatorClient), value);
        await measure(op(bareClient), baseline);
      }
      figures.push({
        name,
        value: (value.count * 1000) / value.ms,
        baseline: (baseline.count * 1000) / baseline.ms,
        unit: "req/s",
        better: "higher",
        limit: 0.9,
      });
    }
    figures.push(await completeFigure(emulatorClient));
    return figures;
  } finally {
    await Promise.all([emulator.stop(), bare.stop()]);
    await build.remove();
  }
}) satisfies Benchmark;

// The emulator as users run it (`oss-emulator`, or `jit-elements/emulator` from the package): the package's
// JavaScript, compiled afresh from these sources with the package's build settings, so that both servers run as
// plain JavaScript. Run through tsx instead, the sources would also carry what tsx adds to them (every named
// function wrapped to keep its name, a property definition each time a closure is made), which the package does
// not ship and the baseline does not pay.
async function buildEmulator(): Promise<{ index: string; remove: () => Promise<void> }> {
  const out = await mkdtemp(join(tmpdir(), "bench-emulator-build-"));
  const remove = () => rm(out, { recursive: true, force: true });
  const tsc = join(dirname(createRequire(import.meta.url).resolve("typescript/package.json")), "bin", "tsc");
  const args = [tsc, "-p", "tsconfig.build.json", "--outDir", out, "--declaration", "false", "--sourceMap", "false", "--inlineSources", "false"];
  try {
    await execFileAsync(process.execPath, args, { cwd: root });
  } catch (error) {
    await remove();
    const output = (error as { stdout?: string }).stdout ?? "";
    throw new Error(`Building the emulator for the benchmark failed:\n${output}`);
  }
  return { index: pathToFileURL(join(out, "emulator", "index.js")).href, remove };
}

const GiB = 1024 ** 3;
const PART_SIZE = 64 * 1024 * 1024;

// Uploads 1 GiB in 16 parts of 64 MiB (4 at a time, every part read from one file), then completes it: the
// completion's time against the parts' time.
async function completeFigure(client: Client): Promise<Figure> {
  const scratch = await mkdtemp(join(tmpdir(), "bench-parts-"));
  const file = join(scratch, "part.bin");
  await writeFile(file, noise(PART_SIZE));
  const key = "bench/one-gib.bin";
  try {
    const { uploadId } = await client.initMultipartUpload(key);
    const count = GiB / PART_SIZE;
    const done: Array<{ number: number; etag: string }> = [];
    const started = performance.now();
    for (let first = 1; first <= count; first += 4) {
      const batch = Array.from({ length: Math.min(4, count - first + 1) }, (_, i) => first + i);
      const results = await Promise.all(batch.map((number) => client.uploadPart(key, uploadId, number, file, 0, PART_SIZE)));
      results.forEach((result, i) => done.push({ number: batch[i]!, etag: result.etag }));
    }
    const partsMs = performance.now() - started;
    const completeStarted = performance.now();
    await client.completeMultipartUpload(key, uploadId, done);
    const completeMs = performance.now() - completeStarted;
    await client.delete(key);
    return {
      name: "CompleteMultipartUpload of 1 GiB, against the time its 16 parts took",
      value: completeMs,
      baseline: partsMs,
      unit: "ms",
      better: "lower",
      limit: 0.05,
    };
  } finally {
    await rm(scratch, { recursive: true, force: true });
  }
}

// Runs CONCURRENCY request loops for a warm-up and then MEASURE_MS, adding the requests done and the time taken.
async function measure(request: (i: number) => Promise<void>, total: { count: number; ms: number }): Promise<void> {
  let counter = 0;
  const run = async (until: number): Promise<number> => {
    let done = 0;
    const loop = async () => {
      while (Date.now() < until) {
        await request(counter++);
        done++;
      }
    };
    await Promise.all(Array.from({ length: CONCURRENCY }, loop));
    return done;
  };
  await run(Date.now() + WARMUP_MS);
  const start = performance.now();
  total.count += await run(Date.now() + MEASURE_MS);
  total.ms += performance.now() - start;
}

// Runs `code` as an ES module in a child node and waits for its first message.
async function startChild<T>(code: string): Promise<{ info: T; stop: () => Promise<void> }> {
  const child: ChildProcess = spawn(
    process.execPath,
    ["--input-type=module", "--eval", code],
    { stdio: ["ignore", "inherit", "inherit", "ipc"], cwd: root },
  );
  const [info] = (await Promise.race([
    once(child, "message"),
    once(child, "exit").then(([exitCode]) => {
      throw new Error(`A benchmark server exited early (code ${String(exitCode)}).`);
    }),
  ])) as [T];
  return {
    info,
    stop: async () => {
      if (child.exitCode !== null) return;
      const exited = once(child, "exit");
      child.disconnect();
      await exited;
    },
  };
}
