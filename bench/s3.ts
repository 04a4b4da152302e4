// S3 figures: the S3 element (storages.MinioType) against the raw S3Client on the same S3 server, in the same run,
// for small requests 10 at a time and a multipart upload from a file with the same part size and parallelism; how
// much a 1 GiB upload from a file raises this process's memory; and whether loading an app without S3 instances
// loads the AWS SDK. The server (s3rver, until the local server speaks S3) runs in a child process, so that its work
// and memory are not counted as the element's.
import { execFile } from "node:child_process";
import { createReadStream } from "node:fs";
import { mkdir, rm, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { promisify } from "node:util";
import type { S3Client } from "@aws-sdk/client-s3";
import { loadApp, type Storage } from "../index.ts";
import { startS3rver, type RunningS3rver } from "../test/s3/s3rver.ts";
import type { Benchmark, Figure } from "./figure.ts";
import { median, noise, writeNoise } from "./measure.ts";

const KiB = 1024;
const MiB = 1024 * KiB;
const PART = 8 * MiB;
const PARALLEL = 4;

const run: Benchmark = async () => {
  const workDir = fileURLToPath(new URL("../.tmp/bench-s3/", import.meta.url));
  await rm(workDir, { recursive: true, force: true });
  await mkdir(workDir, { recursive: true });
  const server = await startS3rver("bench-bucket");
  try {
    const figures: Figure[] = [await sdkOnLoad(workDir, server)];
    const appDir = await writeApp(join(workDir, "app"));
    const app = await loadApp(appDir, { env: envOf(server) });
    const storage = app.getElement("storages.BenchS3");
    // The element's first request loads the SDK and quiets its Node-version notice; a client made before that
    // (the baseline's) would print it, as any S3Client a user makes on Node 20 does.
    await storage.exists("bench/warm-up");
    // The baseline: the official client as a user makes it, with the same endpoint and bucket. Its checksum
    // settings are the element's, since s3rver cannot read the aws-chunked bodies the defaults would send.
    const { S3Client: Client, PutObjectCommand, GetObjectCommand } = await import("@aws-sdk/client-s3");
    const raw = new Client({
      endpoint: server.endpoint,
      region: "us-east-1",
      forcePathStyle: true,
      credentials: { accessKeyId: server.accessKeyId, secretAccessKey: server.accessKeySecret },
      requestChecksumCalculation: "WHEN_REQUIRED",
      responseChecksumValidation: "WHEN_REQUIRED",
    });
    try {
      const small = noise(4 * KiB);
      const largeFile = join(workDir, "large.bin");
      await writeNoise(largeFile, 64 * MiB);
      const tenAtOnce = (action: (i: number) => Promise<unknown>) => Promise.all(Array.from({ length: 10 }, (_, i) => action(i)));

      figures.push(
        await compare("S3: 4 KiB PUT, 10 in flight (uploadByFile vs S3Client PutObject), per batch", 100, async (element) => {
          if (element) await tenAtOnce((i) => storage.uploadByFile(`bench/small-${i}`, small));
          else await tenAtOnce((i) => raw.send(new PutObjectCommand({ Bucket: server.bucket, Key: `bench/small-${i}`, Body: small })));
        }),
      );
      figures.push(
        await compare("S3: 4 KiB GET, 10 in flight (download vs S3Client GetObject), per batch", 100, async (element) => {
          if (element) await tenAtOnce((i) => storage.download(`bench/small-${i}`));
          else await tenAtOnce(async (i) => (await raw.send(new GetObjectCommand({ Bucket: server.bucket, Key: `bench/small-${i}` }))).Body!.transformToByteArray());
        }),
      );
      figures.push(
        await compare(`S3: upload 64 MiB from a file, 8 MiB parts × ${PARALLEL} (upload vs S3Client multipart)`, 5, async (element) => {
          if (element) await storage.upload("bench/large.bin", largeFile);
          else await rawMultipart(raw, server.bucket, "bench/large.bin", largeFile, 64 * MiB);
        }),
      );
      figures.push(await uploadMemory(storage, join(workDir, "huge.bin")));
    } finally {
      raw.destroy();
      await app.close();
    }
    return figures;
  } finally {
    await server.stop();
    await rm(workDir, { recursive: true, force: true });
  }
};
export default run;

/** The baseline multipart upload: the raw client's commands, PART bytes per part, PARALLEL at once, from the file. */
async function rawMultipart(client: S3Client, bucket: string, key: string, file: string, size: number): Promise<void> {
  const { CreateMultipartUploadCommand, UploadPartCommand, CompleteMultipartUploadCommand } = await import("@aws-sdk/client-s3");
  const { UploadId } = await client.send(new CreateMultipartUploadCommand({ Bucket: bucket, Key: key }));
  const numbers = Array.from({ length: Math.ceil(size / PART) }, (_, i) => i + 1);
  const parts: Array<{ PartNumber: number; ETag: string }> = [];
  const worker = async () => {
    for (let n = numbers.shift(); n !== undefined; n = numbers.shift()) {
      const start = (n - 1) * PART;
      const end = Math.min(start + PART, size);
      const Body = createReadStream(file, { start, end: end - 1, highWaterMark: MiB });
      const { ETag } = await client.send(new UploadPartCommand({ Bucket: bucket, Key: key, UploadId, PartNumber: n, Body, ContentLength: end - start }));
      parts.push({ PartNumber: n, ETag: ETag! });
    }
  };
  await Promise.all(Array.from({ length: PARALLEL }, worker));
  parts.sort((a, b) => a.PartNumber - b.PartNumber);
  await client.send(new CompleteMultipartUploadCommand({ Bucket: bucket, Key: key, UploadId, MultipartUpload: { Parts: parts } }));
}

/**
 * Runs `action` for the raw client and for the element, alternately (who goes first alternates too), `rounds`
 * times after a warm-up, and gives the medians of the single runs as a "lower is better" figure.
 */
async function compare(name: string, rounds: number, action: (element: boolean) => Promise<void>): Promise<Figure> {
  for (let i = 0; i < Math.min(rounds, 10); i++) {
    await action(false);
    await action(true);
  }
  const rawTimes: number[] = [];
  const elementTimes: number[] = [];
  for (let round = 0; round < rounds; round++) {
    for (const element of round % 2 === 0 ? [false, true] : [true, false]) {
      const start = performance.now();
      await action(element);
      (element ? elementTimes : rawTimes).push(performance.now() - start);
    }
  }
  return { name, value: median(elementTimes), baseline: median(rawTimes), unit: "ms", better: "lower", limit: 1.1, aim: 1.05 };
}

/** Peak RSS growth while uploading a 1 GiB file, against the bound of 64 MiB. */
async function uploadMemory(storage: Storage, file: string): Promise<Figure> {
  await writeNoise(file, 1024 * MiB);
  await storage.upload("bench/warm-up.bin", noise(24 * MiB)); // code, sockets and part buffers warmed up
  const before = process.memoryUsage().rss;
  let peak = before;
  const sampler = setInterval(() => (peak = Math.max(peak, process.memoryUsage().rss)), 10);
  try {
    await storage.upload("bench/huge.bin", file);
  } finally {
    clearInterval(sampler);
  }
  await storage.deleteMany(["bench/huge.bin", "bench/warm-up.bin"]);
  await rm(file, { force: true });
  return { name: "S3: RSS growth uploading 1 GiB from a file (vs the 64 MiB bound)", value: (peak - before) / MiB, baseline: 64, unit: "MiB", better: "lower", limit: 1 };
}

/**
 * How many AWS SDK modules a fresh `node` has loaded after loading an app without S3 instances (must be none),
 * against how many the same script loads once an S3 instance has made a request.
 */
async function sdkOnLoad(workDir: string, server: RunningS3rver): Promise<Figure> {
  const script = fileURLToPath(new URL("../test/fixtures/s3-apps/scripts/sdk-use.mjs", import.meta.url));
  const root = fileURLToPath(new URL("../", import.meta.url));
  const count = async (args: string[]) => {
    const { stdout } = await promisify(execFile)(process.execPath, [script, ...args], { cwd: root, env: { ...process.env, ...envOf(server) } });
    return (JSON.parse(stdout) as { sdkModules: number }).sdkModules;
  };
  const without = await count([fileURLToPath(new URL("../apps/demo/", import.meta.url))]);
  const withS3 = await count([await writeApp(join(workDir, "sdk-app")), "storages.BenchS3"]);
  return { name: "S3: AWS SDK modules loaded by loadApp of an app without S3 instances (vs after an S3 request)", value: without, baseline: withS3, unit: "modules", better: "lower", maxValue: 0 };
}

function envOf(server: RunningS3rver): Record<string, string> {
  return { BENCH_S3_ENDPOINT: server.endpoint, BENCH_S3_BUCKET: server.bucket, BENCH_S3_KEY: server.accessKeyId, BENCH_S3_SECRET: server.accessKeySecret };
}

/** An app with one MinioType instance on the server, configured as the baseline client is. */
async function writeApp(dir: string): Promise<string> {
  const element = join(dir, "storages", "BenchS3");
  await mkdir(element, { recursive: true });
  await writeFile(join(element, "e.json"), JSON.stringify({ title: "Bench S3", type: "storages.MinioType", backendBundleEntry: "." }));
  await writeFile(
    join(element, "BenchS3.json"),
    JSON.stringify({
      accessKeyId: "${BENCH_S3_KEY}",
      accessKeySecret: "${BENCH_S3_SECRET}",
      endPoint: "${BENCH_S3_ENDPOINT}",
      bucketName: "${BENCH_S3_BUCKET}",
      partSize: PART,
      parallel: PARALLEL,
    }),
  );
  return dir;
}
