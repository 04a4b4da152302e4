// How generated files (typegen, new) refer to element code: official code by package path, app code relatively.
import { basename, dirname, relative, sep } from "node:path";
import { officialLayerDir } from "./layers.ts";

/** An import specifier for `file` as seen from `fromDir`. */
export function moduleSpecifier(file: string, fromDir: string): string {
  const official = relative(officialLayerDir, file);
  // Installed, the official layer is the package's built dist/elements/, reached through the package's exports
  // (`jit-elements/elements/<folder>` → its index). In this repository it is elements/ itself: a relative path.
  if (!official.startsWith("..") && isInstalled(officialLayerDir)) {
    const folder = dirname(official).split(sep).join("/");
    if (/^index\.(ts|js|mjs)$/.test(basename(official))) return `jit-elements/elements/${folder}`;
    return `jit-elements/elements/${official.split(sep).join("/")}`;
  }
  const rel = posixRelative(fromDir, file);
  return rel.startsWith(".") ? rel : `./${rel}`;
}

/** `relative()` with forward slashes, as JSON `$schema` and import specifiers want. */
export function posixRelative(from: string, to: string): string {
  return relative(from, to).split(sep).join("/");
}

function isInstalled(dir: string): boolean {
  return dir.split(sep).includes("node_modules");
}
