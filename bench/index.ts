// `npm run bench`: runs every benchmark module and prints one table of figures against their baselines.
import type { Benchmark, Figure } from "./figure.ts";

const modules: Array<[string, () => Promise<{ default: Benchmark }>]> = [
  ["runtime", () => import("./runtime.ts")],
  ["emulator", () => import("./emulator.ts")],
  ["storage", () => import("./storage.ts")],
  ["disk", () => import("./disk.ts")],
  ["s3", () => import("./s3.ts")],
  ["svc", () => import("./svc.ts")],
];

function ratioOf(figure: Figure): number {
  return figure.value / figure.baseline;
}

function verdict(figure: Figure): string {
  const bounds: string[] = [];
  let ok = true;
  if (figure.limit !== undefined) {
    const ratio = ratioOf(figure);
    ok &&= figure.better === "lower" ? ratio <= figure.limit : ratio >= figure.limit;
    bounds.push(`${figure.better === "lower" ? "≤" : "≥"} ${figure.limit}×${figure.aim !== undefined ? `, aim ${figure.aim}×` : ""}`);
  }
  if (figure.maxValue !== undefined) {
    ok &&= figure.value <= figure.maxValue;
    bounds.push(`≤ ${figure.maxValue} ${figure.unit}`);
  }
  return bounds.length === 0 ? "" : `${ok ? "ok" : "MISSED"} (${bounds.join("; ")})`;
}

function bar(ratio: number): string {
  return "█".repeat(Math.max(1, Math.min(40, Math.round(ratio * 10))));
}

function format(n: number): string {
  return n >= 100 ? n.toFixed(0) : n >= 1 ? n.toFixed(2) : n.toPrecision(3);
}

const only = process.argv.slice(2);
const figures: Figure[] = [];
for (const [name, load] of modules) {
  if (only.length > 0 && !only.includes(name)) continue;
  process.stderr.write(`bench: ${name}…\n`);
  const run = (await load()).default;
  figures.push(...(await run()));
}

const rows = figures.map((f) => [
  f.name,
  `${format(f.value)} ${f.unit}`,
  `${format(f.baseline)} ${f.unit}`,
  `${ratioOf(f).toFixed(2)}×`,
  bar(ratioOf(f)),
  verdict(f),
]);
const header = ["figure", "value", "baseline", "ratio", "bar", "bound"];
const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i]!.length)));
const line = (cells: string[]) => cells.map((c, i) => c.padEnd(widths[i]!)).join("  ").trimEnd();
console.log(line(header));
console.log(line(widths.map((w) => "-".repeat(w))));
for (const row of rows) console.log(line(row));
