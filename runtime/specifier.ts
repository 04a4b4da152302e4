// How generated files (typegen, new) refer to element code: official code by package path, app code relatively.
import { relative, sep } from "node:path";
import { officialLayerDir } from "./layers.ts";

/** An import specifier for `file` as seen from `fromDir`. */
export function moduleSpecifier(file: string, fromDir: string): string {
  const official = relative(officialLayerDir, file);
  if (!official.startsWith("..")) return `jit-elements/elements/${official.split(sep).join("/")}`;
  const rel = posixRelative(fromDir, file);
  return rel.startsWith(".") ? rel : `./${rel}`;
}

/** `relative()` with forward slashes, as JSON `$schema` and import specifiers want. */
export function posixRelative(from: string, to: string): string {
  return relative(from, to).split(sep).join("/");
}
