// The demo: what an app does with a storage element, from declaring it to deleting what it made.
// `npm start` runs it on the local OSS server; with OSS_ACCESS_KEY_ID, OSS_ACCESS_KEY_SECRET, OSS_ENDPOINT and
// OSS_BUCKET set, the very same code runs against real Aliyun OSS.
import { createHash, randomBytes } from "node:crypto";
import { readFile, rm } from "node:fs/promises";
import { createServer } from "node:http";
import type { AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Readable } from "node:stream";
import { fileURLToPath } from "node:url";
import { loadApp, StorageError } from "jit-elements";
import { startOssEmulator, type OssEmulator } from "jit-elements/emulator";
import { progressBar } from "./progress.ts";

const realOss = ["OSS_ACCESS_KEY_ID", "OSS_ACCESS_KEY_SECRET", "OSS_ENDPOINT", "OSS_BUCKET"].every((name) => process.env[name]);
const largeSize = Number(process.env.DEMO_LARGE_MIB ?? 64) * 1024 * 1024;
// The smallest valid PNG: one transparent pixel.
const onePixelPng = Buffer.from(
  "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNkYPhfDwAChwGA60e6kgAAAABJRU5ErkJggg==",
  "base64",
);

let emulator: OssEmulator | undefined;
const env = { ...process.env };
if (realOss) {
  console.log(`Talking to Aliyun OSS: ${process.env.OSS_ENDPOINT}, bucket ${process.env.OSS_BUCKET}.`);
} else {
  emulator = await startOssEmulator();
  env.OSS_ENDPOINT = emulator.endpoint;
  // The same server speaks S3, for a storage switched to one of the S3 Types (unless S3_ENDPOINT says where else).
  env.S3_ENDPOINT ??= emulator.endpoint;
  console.log(`Talking to the local OSS server at ${emulator.endpoint}, bucket ${emulator.bucket} (set OSS_* to use Aliyun OSS).`);
}

const app = await loadApp(fileURLToPath(new URL(".", import.meta.url)), { env });
const steps: string[] = [];
const step = (text: string) => {
  steps.push(text);
  console.log(`✓ ${text}`);
};

try {
  // Typed through element-map.d.ts: OssStorage and ArchiveStorage, no casts.
  const oss = app.getElement("storages.MyOss");
  const archive = app.getElement("storages.Archive");
  const folder = `demo-${Date.now()}/`;
  console.log(`storages.MyOss runs on ${oss.storageType}, storages.Archive on ${archive.storageType}.`);

  const text = await oss.uploadByFile(`${folder}hello.txt`, Buffer.from("Hello from jit-elements!\n"), "text/plain");
  step(`uploaded ${text.name} (${text.size} bytes): ${text.url}`);

  const image = await oss.uploadByFile(`${folder}pixel.png`, onePixelPng, "image/png");
  step(`uploaded ${image.name} (${image.size} bytes, ${image.contentType})`);

  const signedGet = await oss.getSignUrl(`${folder}hello.txt`, "text/plain", 60);
  const fetched = await fetch(signedGet);
  step(`signed a GET URL (60 s) and fetched it with fetch: ${fetched.status}, "${(await fetched.text()).trim()}"`);

  const signedPut = await oss.getSignUrl(`${folder}from-browser.json`, "application/json", 60, { method: "PUT" });
  const put = await fetch(signedPut, { method: "PUT", headers: { "Content-Type": "application/json" }, body: JSON.stringify({ via: "signed PUT" }) });
  step(`signed a browser PUT URL and uploaded through it: ${put.status}`);

  const downloaded = await oss.download(`${folder}pixel.png`);
  if (!downloaded.equals(onePixelPng)) throw new Error("the downloaded image differs from the uploaded one");
  step(`downloaded ${folder}pixel.png: ${downloaded.length} bytes, identical`);

  const info = await oss.getObject(`${folder}from-browser.json`);
  step(`inspected ${info.name}: ${info.size} bytes, ${info.contentType}, etag ${info.etag}, modified ${info.lastModified.toISOString()}`);

  const listed: string[] = [];
  for await (const entry of oss.list({ prefix: folder })) listed.push(entry.name.slice(folder.length));
  step(`listed ${folder}: ${listed.join(", ")}`);

  const largeName = `${folder}large.bin`;
  const sent = createHash("sha256");
  const bar = progressBar(`uploading ${largeName}`, largeSize);
  const large = await oss.upload(largeName, generated(largeSize, sent), { contentType: "application/octet-stream", onProgress: ({ loaded }) => bar.update(loaded) });
  bar.done();
  const received = createHash("sha256");
  for await (const chunk of await oss.downloadStream(largeName)) received.update(chunk as Buffer);
  const same = sent.digest("hex") === received.digest("hex");
  if (!same) throw new Error("the large file came back different");
  step(`streamed ${mib(large.size)} up and back down; SHA-256 identical, never held in memory`);

  const localCopy = join(tmpdir(), `jit-demo-${process.pid}.json`);
  await oss.downloadToFile(`${folder}from-browser.json`, localCopy);
  step(`downloaded to a file: ${(await readFile(localCopy, "utf8")).trim()}`);
  await rm(localCopy, { force: true });

  const report = await archive.uploadByFile(`${folder}report.txt`, Buffer.from("Quarterly report\n"), "text/plain");
  const archived = await archive.archive(report.name);
  step(`storages.Archive (a custom Type on storages.OssType) archived ${report.name} as ${archived}`);

  // StorageSvc names no storage: it goes to app.json's settings.defaultElement.defaultStorage, records the file in
  // its metadata (here: expiring in 10 minutes), and serves previews from any Node server.
  const svc = app.getElement("storages.services.StorageSvc");
  const server = createServer(svc.requestHandler());
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  try {
    const record = await svc.uploadByFile(`${folder}via-service.txt`, Buffer.from("Served by StorageSvc\n"), undefined, "text/plain", undefined, 600);
    const preview = `http://127.0.0.1:${(server.address() as AddressInfo).port}/storages/services/StorageSvc/preview?file=${encodeURIComponent(record.name)}`;
    const shown = await fetch(preview);
    step(`StorageSvc stored ${record.name} in ${record.storeFullName}, expiring ${new Date(record.expires!).toISOString()}, and its preview link answered ${shown.status}: "${(await shown.text()).trim()}"`);
  } finally {
    server.close();
  }

  try {
    await oss.download(`${folder}no-such-file.txt`);
  } catch (error) {
    if (!(error instanceof StorageError)) throw error;
    step(`a deliberate mistake reads: "${error.message}" (code ${error.code}, element ${error.element}, type ${error.storageType})`);
  }

  const made: string[] = [];
  for await (const entry of oss.list({ prefix: folder })) made.push(entry.name);
  await oss.deleteMany(made);
  const madeInArchive: string[] = [];
  for await (const entry of archive.list({ prefix: `archive/${folder}` })) madeInArchive.push(entry.name);
  await archive.deleteMany(madeInArchive);
  step(`deleted the ${made.length + madeInArchive.length} objects it made; exists(${folder}pixel.png) is now ${await oss.exists(`${folder}pixel.png`)}`);

  const where = oss.storageType === "storages.OssType" ? (realOss ? "Aliyun OSS" : "the local OSS server") : oss.storageType;
  console.log(`\nDone: ${steps.length} steps against ${where}, all as expected.`);
} catch (error) {
  process.exitCode = 1;
  console.error(`\n✗ The demo failed: ${error instanceof Error ? error.message : String(error)}`);
} finally {
  await app.close();
  await emulator?.stop();
}

/** A stream of `size` pseudo-random bytes, made as it is read and hashed on the way. */
function generated(size: number, hash: ReturnType<typeof createHash>): Readable {
  let left = size;
  return new Readable({
    read() {
      if (left === 0) return void this.push(null);
      const chunk = randomBytes(Math.min(left, 1024 * 1024));
      left -= chunk.length;
      hash.update(chunk);
      this.push(chunk);
    },
  });
}

function mib(bytes: number): string {
  return `${(bytes / 1024 / 1024).toFixed(0)} MiB`;
}
