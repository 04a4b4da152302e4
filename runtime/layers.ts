// Works out an app's layers: the official elements first, then the app's ancestors (app.json "extends"), then the
// app; and what its app.json files say (appId, version, settings).
import { existsSync, readdirSync, readFileSync, statSync } from "node:fs";
import { stat } from "node:fs/promises";
import { createRequire } from "node:module";
import { delimiter, dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { ElementError, displayPath, type FieldProblem } from "./errors.ts";
import { readJsonFile } from "./json-file.ts";
import { compileOnce } from "./ajv.ts";
import { toFieldProblems, formatProblems } from "./schema-errors.ts";
import { unknownKeyProblems } from "./registry.ts";

export interface Layer {
  /** Absolute folder of element folders. */
  dir: string;
  /** "official" for the package's own elements, else the folder as given. */
  label: string;
}

/** A parent in app.json `extends`: JitAI's `{ appId, version }`, or a folder or package name. */
export type ParentReference = string | { appId: string; version: string };

/** What an app.json says, once it has passed app.schema.json. */
export interface AppManifest {
  appId?: string;
  version?: string;
  title?: string;
  extends?: ParentReference[];
  settings?: AppSettings;
  [key: string]: unknown;
}

/** `settings` of app.json, merged along the layers (a later app's values win). */
export interface AppSettings {
  /** Which element plays each default role: `defaultStorage: "storages.Default"`, … */
  defaultElement?: Record<string, string>;
  [key: string]: unknown;
}

export interface LayerOptions {
  /** Folders laid out as JitAI's runtime lays out apps, `<root>/<org>/<Name>/<version with _>`; `JIT_APPS_PATH` adds more. */
  appsPath?: string | readonly string[];
  env?: Readonly<Record<string, string | undefined>>;
}

/** The app's layers, earliest first, with its own app.json and the settings merged along the layers. */
export interface ResolvedLayers {
  layers: Layer[];
  manifest: AppManifest;
  settings: AppSettings;
}

/** The package's own layer: elements/ beside runtime/. */
export const officialLayerDir = fileURLToPath(new URL("../elements/", import.meta.url)).replace(/[\\/]$/, "");

const appSchemaText = readFileSync(new URL("./schemas/app.schema.json", import.meta.url), "utf8");
const appSchema = JSON.parse(appSchemaText) as Record<string, unknown> & { properties: Record<string, unknown> };
const appKeys = Object.keys(appSchema.properties);
const { additionalProperties: _strict, ...openAppSchema } = appSchema;
const validateManifest = compileOnce(`${appSchemaText}\n(open)`, openAppSchema);

/** The layers of the app in `appDir`, earliest first; a later layer's element replaces an earlier one's. */
export async function resolveLayers(appDir: string, options: LayerOptions = {}): Promise<ResolvedLayers> {
  const ordered: Array<{ dir: string; manifest: AppManifest }> = [];
  const roots = appsRoots(options);
  await visit(resolve(appDir), [], ordered, roots);
  let settings: AppSettings = {};
  for (const { manifest } of ordered) if (manifest.settings !== undefined) settings = mergeSettings(settings, manifest.settings);
  return {
    layers: [{ dir: officialLayerDir, label: "official" }, ...ordered.map(({ dir }) => ({ dir, label: dir }))],
    manifest: ordered[ordered.length - 1]?.manifest ?? {},
    settings,
  };
}

function appsRoots(options: LayerOptions): string[] {
  const given = options.appsPath === undefined ? [] : typeof options.appsPath === "string" ? [options.appsPath] : [...options.appsPath];
  const fromEnv = (options.env ?? process.env).JIT_APPS_PATH?.split(delimiter).filter((p) => p !== "") ?? [];
  return [...given, ...fromEnv].map((root) => resolve(root));
}

async function visit(dir: string, path: string[], ordered: Array<{ dir: string; manifest: AppManifest }>, roots: string[]): Promise<void> {
  if (path.includes(dir)) {
    const loop = [...path.slice(path.indexOf(dir)), dir].map(displayPath).join(" → ");
    throw new ElementError("APP_INVALID", `The apps extend each other in a loop: ${loop}. Remove one of the "extends" entries.`, {
      file: join(path[path.length - 1]!, "app.json"),
    });
  }
  if (ordered.some((layer) => layer.dir === dir)) return;
  await requireFolder(dir, path[path.length - 1]);
  const manifestFile = join(dir, "app.json");
  const manifest = checkManifest(await readJsonFile(manifestFile), manifestFile);
  for (const parent of manifest.extends ?? []) {
    await visit(locateParent(parent, dir, manifestFile, roots), [...path, dir], ordered, roots);
  }
  ordered.push({ dir, manifest });
}

/** Checks app.json against app.schema.json; unknown keys get the nearest known one ("extend" → "extends"). */
function checkManifest(value: unknown, file: string): AppManifest {
  if (value === undefined) return {};
  const problems: FieldProblem[] = [];
  if (!validateManifest(value)) {
    // anyOf branches repeat each other: keep the first word on each field.
    problems.push(...toFieldProblems((validateManifest.errors ?? []).filter((e) => e.keyword !== "anyOf")).filter((p, i, all) => all.findIndex((o) => o.pointer === p.pointer) === i));
  }
  if (typeof value === "object" && value !== null && !Array.isArray(value)) {
    problems.push(...unknownKeyProblems(Object.keys(value).filter((key) => !appKeys.includes(key)), appKeys));
  }
  if (problems.length > 0) {
    throw new ElementError("APP_INVALID", `${displayPath(file)} is not a valid app manifest: ${formatProblems(problems)}.`, { file, problems });
  }
  return value as AppManifest;
}

function locateParent(parent: ParentReference, dir: string, manifestFile: string, roots: string[]): string {
  if (typeof parent !== "string") return locateAppId(parent, dir, manifestFile, roots);
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

/** `{ appId: "wanyun.BaseApp", version: "1.0.0" }` → `<root>/wanyun/BaseApp/1_0_0`, or an installed package declaring it. */
function locateAppId(parent: { appId: string; version: string }, dir: string, manifestFile: string, roots: string[]): string {
  const [org, name] = parent.appId.split(".") as [string, string];
  const tried = roots.map((root) => join(root, org, name, parent.version.replace(/\./g, "_")));
  const inRoot = tried.find((candidate) => isDirectory(candidate));
  if (inRoot !== undefined) return inRoot;
  const packaged = installedAppPackage(parent.appId, dir);
  if (packaged !== undefined) return packaged;
  const where = tried.length === 0 ? "no apps roots are set" : `looked in ${tried.map(displayPath).join(", ")}`;
  throw new ElementError(
    "APP_NOT_FOUND",
    `${displayPath(manifestFile)} extends ${parent.appId} ${parent.version}, but ${where}, and no installed package's app.json declares that appId. Give loadApp(dir, { appsPath }) or JIT_APPS_PATH the folder that holds ${org}/${name}/${parent.version.replace(/\./g, "_")}, or install the app as a package.`,
    { file: manifestFile, problems: [{ pointer: "/extends", keyword: "appId", message: `names ${parent.appId} ${parent.version}, which was not found` }] },
  );
}

/** An installed package (in any node_modules from `dir` up) whose app.json has that appId. */
function installedAppPackage(appId: string, dir: string): string | undefined {
  for (let at = dir; ; at = dirname(at)) {
    const modules = join(at, "node_modules");
    if (isDirectory(modules)) {
      for (const entry of readdirSync(modules)) {
        const packages = entry.startsWith("@") ? readdirSync(join(modules, entry)).map((scoped) => join(modules, entry, scoped)) : [join(modules, entry)];
        for (const folder of packages) {
          const manifest = join(folder, "app.json");
          if (!existsSync(manifest)) continue;
          try {
            if ((JSON.parse(readFileSync(manifest, "utf8")) as { appId?: unknown }).appId === appId) return folder;
          } catch {
            // A package whose app.json does not parse is not the one asked for; it is reported if it is ever loaded.
          }
        }
      }
    }
    if (dirname(at) === at) return undefined;
  }
}

function isDirectory(path: string): boolean {
  try {
    return statSync(path).isDirectory();
  } catch {
    return false;
  }
}

function mergeSettings(base: AppSettings, over: AppSettings): AppSettings {
  const result: AppSettings = { ...base };
  for (const [key, value] of Object.entries(over)) {
    const existing = result[key];
    result[key] = isPlainObject(existing) && isPlainObject(value) ? mergeSettings(existing, value) : value;
  }
  return result;
}

function isPlainObject(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

async function requireFolder(dir: string, from: string | undefined): Promise<void> {
  const info = await stat(dir).catch(() => undefined);
  if (info?.isDirectory()) return;
  const file = from === undefined ? undefined : join(from, "app.json");
  const where = file === undefined ? "" : ` (named in ${displayPath(file)})`;
  throw new ElementError("APP_NOT_FOUND", `The app folder ${displayPath(dir)}${where} does not exist.`, { file: file ?? dir });
}
