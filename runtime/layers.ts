// Works out an app's layers: the official elements first, then the app's ancestors (app.json "extends"), then the app.
import { stat } from "node:fs/promises";
import { createRequire } from "node:module";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { ElementError, displayPath } from "./errors.ts";
import { readJsonFile } from "./json-file.ts";

export interface Layer {
  /** Absolute folder of element folders. */
  dir: string;
  /** "official" for the package's own elements, else the folder as given. */
  label: string;
}

/** The package's own layer: elements/ beside runtime/. */
export const officialLayerDir = fileURLToPath(new URL("../elements/", import.meta.url)).replace(/[\\/]$/, "");

/** The layers of the app in `appDir`, earliest first; a later layer's element replaces an earlier one's. */
export async function resolveLayers(appDir: string): Promise<Layer[]> {
  const ordered: string[] = [];
  await visit(resolve(appDir), [], ordered);
  return [{ dir: officialLayerDir, label: "official" }, ...ordered.map((dir) => ({ dir, label: dir }))];
}

async function visit(dir: string, path: string[], ordered: string[]): Promise<void> {
  if (path.includes(dir)) {
    const loop = [...path.slice(path.indexOf(dir)), dir].map(displayPath).join(" → ");
    throw new ElementError("APP_INVALID", `The apps extend each other in a loop: ${loop}. Remove one of the "extends" entries.`, {
      file: join(path[path.length - 1]!, "app.json"),
    });
  }
  if (ordered.includes(dir)) return;
  await requireFolder(dir, path[path.length - 1]);
  const manifestFile = join(dir, "app.json");
  const manifest = await readJsonFile(manifestFile);
  for (const parent of parentsOf(manifest, manifestFile)) {
    await visit(locateParent(parent, dir, manifestFile), [...path, dir], ordered);
  }
  ordered.push(dir);
}

function parentsOf(manifest: unknown, file: string): string[] {
  if (manifest === undefined) return [];
  const extendsList = (manifest as { extends?: unknown } | null)?.extends;
  if (extendsList === undefined) return [];
  if (!Array.isArray(extendsList) || !extendsList.every((p) => typeof p === "string" && p !== "")) {
    throw new ElementError(
      "APP_INVALID",
      `${displayPath(file)}: /extends must be an array of app folders (relative paths) or package names, like ["../base"].`,
      { file, problems: [{ pointer: "/extends", keyword: "type", message: "must be an array of non-empty strings" }] },
    );
  }
  return extendsList as string[];
}

function locateParent(parent: string, dir: string, manifestFile: string): string {
  if (parent.startsWith(".") || parent.startsWith("/")) return resolve(dir, parent);
  try {
    return dirname(createRequire(manifestFile).resolve(`${parent}/package.json`));
  } catch {
    throw new ElementError(
      "APP_NOT_FOUND",
      `${displayPath(manifestFile)} extends "${parent}", but no such package is installed. Install it, or use a relative path such as "../${parent}".`,
      { file: manifestFile },
    );
  }
}

async function requireFolder(dir: string, from: string | undefined): Promise<void> {
  const info = await stat(dir).catch(() => undefined);
  if (info?.isDirectory()) return;
  const file = from === undefined ? undefined : join(from, "app.json");
  const where = file === undefined ? "" : ` (named in ${displayPath(file)})`;
  throw new ElementError("APP_NOT_FOUND", `The app folder ${displayPath(dir)}${where} does not exist.`, { file: file ?? dir });
}
