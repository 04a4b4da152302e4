// Finds every <category>/<Folder>/e.json of a layer and reads it into a Declaration.
import fg from "fast-glob";
import { readFile } from "node:fs/promises";
import { join } from "node:path";
import type { Layer } from "./layers.ts";
import { parseJsonFile } from "./json-file.ts";
import { ElementError } from "./errors.ts";

export type ElementKind = "Meta" | "Type" | "Instance";

/** What an e.json says, once it has passed the declaration schema. */
export interface Declaration {
  title: string;
  kind?: ElementKind;
  type?: string;
  backendBundleEntry?: string;
  variables?: Array<Record<string, unknown>>;
  description?: string;
}

/** One e.json found in a layer, parsed but not yet validated. */
export interface FoundElement {
  fullName: string;
  category: string;
  /** The element's folder name, which names its business config file (`<name>.json`). */
  name: string;
  dir: string;
  file: string;
  layer: Layer;
  /** The folder's index.ts, index.js or index.mjs, found in the same pass as e.json (what `"."` means). */
  indexFile?: string;
  raw: unknown;
}

const indexNames = ["index.ts", "index.js", "index.mjs"];

/** Every element folder of `layer`, read in parallel; unreadable JSON goes to `errors`. */
export async function discoverLayer(layer: Layer, errors: ElementError[]): Promise<FoundElement[]> {
  // One pass finds declarations and index files, so "." needs no file checks per element.
  const entries = await fg(["*/*/e.json", ...indexNames.map((name) => `*/*/${name}`)], {
    cwd: layer.dir,
    onlyFiles: true,
    dot: false,
    followSymbolicLinks: true,
    ignore: ["node_modules/**", "*/node_modules/**"],
  });
  const indexFiles = new Map<string, string>();
  for (const entry of entries) {
    const slash = entry.lastIndexOf("/");
    const folder = entry.slice(0, slash);
    const known = indexFiles.get(folder);
    const rank = (file: string | undefined) => (file === undefined ? 99 : indexNames.indexOf(file.slice(file.lastIndexOf("/") + 1)));
    if (entry.endsWith("/e.json") || rank(entry) >= rank(known)) continue;
    indexFiles.set(folder, entry);
  }
  const files = entries.filter((entry) => entry.endsWith("/e.json")).sort();
  const found = await Promise.all(
    files.map(async (relativeFile): Promise<FoundElement | undefined> => {
      const [category, name] = relativeFile.split("/") as [string, string];
      const index = indexFiles.get(`${category}/${name}`);
      const fullName = `${category}.${name}`;
      const dir = join(layer.dir, category, name);
      const file = join(dir, "e.json");
      try {
        const raw = parseJsonFile(await readFile(file, "utf8"), file, fullName);
        return { fullName, category, name, dir, file, layer, raw, indexFile: index === undefined ? undefined : join(layer.dir, index) };
      } catch (error) {
        if (error instanceof ElementError) {
          errors.push(error);
          return undefined;
        }
        throw error;
      }
    }),
  );
  return found.filter((f): f is FoundElement => f !== undefined);
}
