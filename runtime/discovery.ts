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
  raw: unknown;
}

/** Every element folder of `layer`, read in parallel; unreadable JSON goes to `errors`. */
export async function discoverLayer(layer: Layer, errors: ElementError[]): Promise<FoundElement[]> {
  const files = await fg("*/*/e.json", {
    cwd: layer.dir,
    onlyFiles: true,
    dot: false,
    followSymbolicLinks: true,
    ignore: ["node_modules/**", "*/node_modules/**"],
  });
  files.sort();
  const found = await Promise.all(
    files.map(async (relativeFile): Promise<FoundElement | undefined> => {
      const [category, name] = relativeFile.split("/") as [string, string];
      const fullName = `${category}.${name}`;
      const dir = join(layer.dir, category, name);
      const file = join(dir, "e.json");
      try {
        const raw = parseJsonFile(await readFile(file, "utf8"), file, fullName);
        return { fullName, category, name, dir, file, layer, raw };
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
