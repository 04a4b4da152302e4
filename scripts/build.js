// `npm run build` (also run by `prepare` and `prepack`): the package as users get it, in dist/. tsc emits the
// JavaScript, declarations and source maps; this script then copies what tsc does not emit: the JSON beside the
// code (e.json, config.schema.json, <Type>.json, the declaration schema) and the hand-written plain-JS entry points.
// It is plain JavaScript so that it runs wherever the package is installed from git, before anything is built.
import { execFileSync } from "node:child_process";
import { copyFile, mkdir, rm } from "node:fs/promises";
import { createRequire } from "node:module";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import fg from "fast-glob";

const root = fileURLToPath(new URL("..", import.meta.url));
const out = join(root, "dist");

/** Source files shipped as they are, beside the compiled code. Generic over elements/** so new Types need no edit here. */
const copied = [
  "elements/**/*.json",
  "elements/**/*.js",
  "elements/**/*.mjs",
  "runtime/**/*.json",
  "runtime/**/*.js",
  "runtime/**/*.mjs",
  "runtime/**/*.d.ts",
  "emulator/**/*.js",
  "emulator/**/*.mjs",
  // The package's command, at the top as in the sources (it loads cli.js beside it).
  "bin.js",
  // Imported by typescript-support.js to learn whether the process loads TypeScript already: it must stay .ts.
  "runtime/typescript-probe.ts",
];

await rm(out, { recursive: true, force: true });
const tsc = join(dirname(createRequire(import.meta.url).resolve("typescript/package.json")), "bin", "tsc");
try {
  execFileSync(process.execPath, [tsc, "-p", join(root, "tsconfig.build.json")], { cwd: root, stdio: "inherit" });
} catch {
  console.error("build: tsc reported the errors above; nothing was built.");
  await rm(out, { recursive: true, force: true });
  process.exit(1);
}
const files = await fg(copied, { cwd: root, ignore: ["**/node_modules/**"], dot: false });
for (const file of files) {
  await mkdir(dirname(join(out, file)), { recursive: true });
  await copyFile(join(root, file), join(out, file));
}
