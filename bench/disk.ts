// Disk storage figures: storages.DiskType's upload and download against plain fs.promises.writeFile and readFile of
// the same bytes, in the same folder, in the same run: many 1 MiB objects, and one 256 MiB object. The storage does
// more per object than writeFile (a new file under partial/ renamed into place, so that readers never see half an
// object; a file of facts beside it; checks that no link leads out of the folder); these figures say what that
// costs. Its ETag is read from the file's stats, so no byte is hashed on the way.
import { mkdir, readFile, rm, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { loadApp } from "../index.ts";
import type { Benchmark, Figure } from "./figure.ts";
import { median, noise } from "./measure.ts";

const MiB = 1024 * 1024;
/** The bounds for DiskType against plain fs of the same bytes. */
const UPLOAD_BOUND = 1.2;
const DOWNLOAD_BOUND = 1.1;
// A round of 64 small objects takes ~0.1 s and moves by ±15% on a shared machine: more rounds steady the median.
const SMALL_ROUNDS = 15;
// A 256 MiB write takes ~0.3 s and meets the writeback of the rounds before it: three rounds moved its median by
// ±40% under load (on the old code and the new alike); five steady it.
const LARGE_ROUNDS = 5;

const run: Benchmark = async () => {
  const workDir = fileURLToPath(new URL("../.tmp/bench-disk/", import.meta.url));
  await rm(workDir, { recursive: true, force: true });
  const appDir = await writeApp(join(workDir, "app"));
  const plainDir = join(workDir, "plain");
  await mkdir(plainDir, { recursive: true });
  const app = await loadApp(appDir, { env: {} });
  try {
    const storage = app.getElement("storages.BenchDisk");
    const small = Array.from({ length: 64 }, (_, i) => noise(MiB, i + 1));
    const large = noise(256 * MiB, 99);
    // Warm up: the folder's trees, the code paths, the page cache's first allocations.
    await storage.uploadByFile("warm-up", small[0]!);
    await writeFile(join(plainDir, "warm-up"), small[0]!);

    const figures: Figure[] = [];
    figures.push(
      await compare("DiskType upload 64 × 1 MiB (uploadByFile vs fs.promises.writeFile)", SMALL_ROUNDS, async (element) => {
        for (let i = 0; i < small.length; i++) {
          if (element) await storage.uploadByFile(`small/${i}.bin`, small[i]!);
          else await writeFile(join(plainDir, `small-${i}.bin`), small[i]!);
        }
        // The storage frees the versions it replaced after each upload returns (see DiskType/reclaim.ts): its
        // round ends once they are freed, so that none of its work is left for the baseline's round to pay for.
        if (element) await storage.close();
      }, UPLOAD_BOUND),
    );
    figures.push(
      await compare("DiskType download 64 × 1 MiB (download vs fs.promises.readFile)", SMALL_ROUNDS, async (element) => {
        for (let i = 0; i < small.length; i++) {
          if (element) await storage.download(`small/${i}.bin`);
          else await readFile(join(plainDir, `small-${i}.bin`));
        }
      }, DOWNLOAD_BOUND),
    );
    figures.push(
      await compare("DiskType upload 256 MiB (uploadByFile vs fs.promises.writeFile)", LARGE_ROUNDS, async (element) => {
        if (element) {
          await storage.uploadByFile("large.bin", large);
          await storage.close();
        } else await writeFile(join(plainDir, "large.bin"), large);
      }, UPLOAD_BOUND),
    );
    figures.push(
      await compare("DiskType download 256 MiB (download vs fs.promises.readFile)", LARGE_ROUNDS, async (element) => {
        if (element) await storage.download("large.bin");
        else await readFile(join(plainDir, "large.bin"));
      }, DOWNLOAD_BOUND),
    );
    return figures;
  } finally {
    await app.close();
    await rm(workDir, { recursive: true, force: true });
  }
};
export default run;

/** Times `action(true)` (the element) and `action(false)` (the baseline) in alternating rounds after a warm-up; medians in ms. */
async function compare(name: string, rounds: number, action: (element: boolean) => Promise<void>, limit: number | undefined): Promise<Figure> {
  const element: number[] = [];
  const baseline: number[] = [];
  // One untimed round of each first: the files of both exist and are in the page cache, the code is compiled.
  await action(true);
  await action(false);
  for (let round = 0; round < rounds; round++) {
    // Alternate which goes first, so that neither always meets a cache the other warmed or a flush it caused.
    for (const useElement of round % 2 === 0 ? [true, false] : [false, true]) {
      const start = performance.now();
      await action(useElement);
      (useElement ? element : baseline).push(performance.now() - start);
    }
  }
  return { name, value: median(element), baseline: median(baseline), unit: "ms", better: "lower", limit };
}

async function writeApp(appDir: string): Promise<string> {
  const element = join(appDir, "storages", "BenchDisk");
  await mkdir(element, { recursive: true });
  await writeFile(join(element, "e.json"), JSON.stringify({ title: "Disk storage for the bench", type: "storages.DiskType", backendBundleEntry: "." }));
  await writeFile(join(element, "BenchDisk.json"), JSON.stringify({ directory: "data" }));
  return appDir;
}

