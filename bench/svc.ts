// StorageSvc figures: a 64 MiB preview through the service's request handler against the same object's
// downloadStream piped to the same kind of socket by hand, in the same run; and how much serving 16 previews of it
// at once raises this process's memory. The storage is a DiskType folder, so the figures are the service's own.
import { mkdir, rm, writeFile } from "node:fs/promises";
import { createServer, get, type IncomingMessage } from "node:http";
import type { AddressInfo } from "node:net";
import { join } from "node:path";
import { pipeline } from "node:stream/promises";
import { fileURLToPath } from "node:url";
import { loadApp, Storage } from "../index.ts";
import type { Benchmark, Figure } from "./figure.ts";
import { median, noise } from "./measure.ts";

const MiB = 1024 * 1024;
const NAME = "bench/preview.bin";

const run: Benchmark = async () => {
  const workDir = fileURLToPath(new URL("../.tmp/bench-svc/", import.meta.url));
  await rm(workDir, { recursive: true, force: true });
  const appDir = await writeApp(join(workDir, "app"), join(workDir, "data"));
  const app = await loadApp(appDir);
  const svc = app.getElement("storages.services.StorageSvc");
  const storage = app.getElement("storages.BenchDisk");
  if (!(storage instanceof Storage)) throw new Error("storages.BenchDisk is not a storage");
  const handler = svc.requestHandler();
  // One server, two routes: the service's preview, and the baseline, a downloadStream piped by hand.
  const server = createServer((req, res) => {
    if (req.url?.startsWith("/raw")) {
      void storage.downloadStream(NAME).then((stream) => {
        res.writeHead(200, { "Content-Type": "application/octet-stream", "Content-Length": String(64 * MiB) });
        return pipeline(stream, res);
      });
    } else handler(req, res);
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as AddressInfo;
  try {
    const block = noise(MiB);
    await svc.uploadByFile(NAME, Buffer.concat(Array.from({ length: 64 }, () => block)), undefined, "application/octet-stream");
    const preview = `http://127.0.0.1:${port}/storages/services/StorageSvc/preview?file=${encodeURIComponent(NAME)}`;
    const raw = `http://127.0.0.1:${port}/raw`;
    const figures: Figure[] = [];

    for (let i = 0; i < 3; i++) {
      await fetchAll(preview);
      await fetchAll(raw);
    }
    const previewTimes: number[] = [];
    const rawTimes: number[] = [];
    for (let round = 0; round < 9; round++) {
      for (const viaService of round % 2 === 0 ? [false, true] : [true, false]) {
        const start = performance.now();
        await fetchAll(viaService ? preview : raw);
        (viaService ? previewTimes : rawTimes).push(performance.now() - start);
      }
    }
    figures.push({ name: "preview 64 MiB through requestHandler (vs downloadStream piped to the socket)", value: median(previewTimes), baseline: median(rawTimes), unit: "ms", better: "lower", limit: 1.1 });

    await Promise.all(Array.from({ length: 4 }, () => fetchAll(preview))); // sockets and buffers warmed up
    const before = process.memoryUsage().rss;
    let peak = before;
    const sampler = setInterval(() => (peak = Math.max(peak, process.memoryUsage().rss)), 10);
    try {
      const sizes = await Promise.all(Array.from({ length: 16 }, () => fetchAll(preview)));
      if (sizes.some((size) => size !== 64 * MiB)) throw new Error(`a preview came back short: ${sizes.join(", ")}`);
    } finally {
      clearInterval(sampler);
    }
    figures.push({ name: "RSS growth serving 16 previews of 64 MiB at once (vs the 100 MiB bound)", value: (peak - before) / MiB, baseline: 100, unit: "MiB", better: "lower", limit: 1 });
    return figures;
  } finally {
    server.closeAllConnections();
    await new Promise<void>((resolve) => server.close(() => resolve()));
    await app.close();
    await rm(workDir, { recursive: true, force: true });
  }
};
export default run;

/** GETs `url` and counts its bytes, holding none of them. */
function fetchAll(url: string): Promise<number> {
  return new Promise((resolve, reject) => {
    get(url, (res: IncomingMessage) => {
      let size = 0;
      res.on("data", (chunk: Buffer) => (size += chunk.length));
      res.once("end", () => resolve(size));
      res.once("error", reject);
    }).once("error", reject);
  });
}

/** An app whose default storage is one DiskType folder. */
async function writeApp(dir: string, data: string): Promise<string> {
  const element = join(dir, "storages", "BenchDisk");
  await mkdir(element, { recursive: true });
  await writeFile(join(dir, "app.json"), JSON.stringify({ appId: "bench.Svc", version: "1.0.0", title: "StorageSvc bench", settings: { defaultElement: { defaultStorage: "storages.BenchDisk" } } }));
  await writeFile(join(element, "e.json"), JSON.stringify({ title: "Bench disk", type: "storages.DiskType", backendBundleEntry: "." }));
  await writeFile(join(element, "BenchDisk.json"), JSON.stringify({ directory: data }));
  return dir;
}
