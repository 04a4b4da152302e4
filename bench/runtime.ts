// Runtime figures: loading 5,000 instances (discovered at any depth) against fast-glob + JSON.parse of the same
// files; a cached getElement.
import fg from "fast-glob";
import { mkdir, readFile, rm, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { loadApp } from "../index.ts";
import type { Benchmark, Figure } from "./figure.ts";
import { median } from "./measure.ts";

const instances = 5_000;

const run: Benchmark = async () => {
  const appDir = fileURLToPath(new URL("../.tmp/bench-app/", import.meta.url));
  await writeApp(appDir);
  try {
    const env = { BENCH_TOKEN: "t" };
    await loadApp(appDir, { env }); // warm: the bundle import and schema compile happen once per process
    const loadTimes: number[] = [];
    const parseTimes: number[] = [];
    for (let round = 0; round < 7; round++) {
      parseTimes.push(await time(() => globAndParse(appDir)));
      loadTimes.push(await time(() => loadApp(appDir, { env })));
    }

    const app = await loadApp(appDir, { env });
    const name = "widgets.Item2500";
    app.getElement(name);
    const map = new Map(app.elements().map((e) => [e.fullName, e]));
    const calls = 2_000_000;
    const getElementNs: number[] = [];
    const mapNs: number[] = [];
    let sink = 0;
    for (let round = 0; round < 5; round++) {
      let start = process.hrtime.bigint();
      for (let i = 0; i < calls; i++) if (app.getElement(name) !== undefined) sink++;
      getElementNs.push(Number(process.hrtime.bigint() - start) / calls);
      start = process.hrtime.bigint();
      for (let i = 0; i < calls; i++) if (map.get(name) !== undefined) sink++;
      mapNs.push(Number(process.hrtime.bigint() - start) / calls);
    }
    if (sink === 0) throw new Error("unreachable");

    const figures: Figure[] = [
      {
        name: `loadApp, ${instances} instances (vs fast-glob + JSON.parse)`,
        value: median(loadTimes),
        baseline: median(parseTimes),
        unit: "ms",
        better: "lower",
        limit: 1.5,
        aim: 1.2,
      },
      {
        name: "cached getElement (vs Map.get)",
        value: median(getElementNs),
        baseline: median(mapNs),
        unit: "ns",
        better: "lower",
        maxValue: 50,
      },
    ];
    return figures;
  } finally {
    await rm(appDir, { recursive: true, force: true });
  }
};
export default run;

async function time(action: () => Promise<unknown>): Promise<number> {
  const start = performance.now();
  await action();
  return performance.now() - start;
}

/** The baseline: find the same files and parse them, nothing else; at any depth, as loadApp's discovery does. */
async function globAndParse(appDir: string): Promise<number> {
  const files = await fg("**/*.json", { cwd: appDir, absolute: true, ignore: ["**/node_modules/**"] });
  const parsed = await Promise.all(files.map(async (file) => JSON.parse(await readFile(file, "utf8")) as unknown));
  return parsed.length;
}

async function writeApp(appDir: string): Promise<void> {
  await rm(appDir, { recursive: true, force: true });
  const type = join(appDir, "widgets", "ItemType");
  const meta = join(appDir, "widgets", "Meta");
  await mkdir(type, { recursive: true });
  await mkdir(meta, { recursive: true });
  // JitAI's form: the kinds follow from the types.
  await writeFile(join(meta, "e.json"), JSON.stringify({ title: "Widget", type: "" }));
  await writeFile(join(type, "e.json"), JSON.stringify({ title: "Item", type: "widgets.Meta", backendBundleEntry: "." }));
  await writeFile(join(type, "index.ts"), "export default class Item { constructor(readonly context: object) {} }\n");
  await writeFile(join(type, "ItemType.json"), JSON.stringify({ size: 1, labels: { color: "red" } }));
  await writeFile(
    join(type, "config.schema.json"),
    JSON.stringify({
      type: "object",
      properties: { name: { type: "string" }, size: { type: "integer" }, token: { type: "string", secret: true }, labels: { type: "object" } },
      required: ["name", "token"],
    }),
  );
  const batch: Promise<void>[] = [];
  for (let i = 0; i < instances; i++) {
    const dir = join(appDir, "widgets", `Item${i}`);
    batch.push(
      mkdir(dir, { recursive: true }).then(async () => {
        await writeFile(join(dir, "e.json"), JSON.stringify({ title: `Item ${i}`, type: "widgets.ItemType", backendBundleEntry: ".", variables: [] }));
        await writeFile(join(dir, `Item${i}.json`), JSON.stringify({ name: `item-${i}`, token: "${BENCH_TOKEN}", labels: { shape: "round" } }));
      }),
    );
    if (batch.length >= 200) await Promise.all(batch.splice(0));
  }
  await Promise.all(batch);
}
