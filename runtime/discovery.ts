// Finds every e.json of a layer, at any depth, and reads it into a Declaration.
import fg from "fast-glob";
import { readFile } from "node:fs/promises";
import { join } from "node:path";
import type { Layer } from "./layers.ts";
import { parseJsonFile } from "./json-file.ts";
import { ElementError, displayPath } from "./errors.ts";

export type ElementKind = "Meta" | "Type" | "Instance";

/** One item of an e.json's functionList: an interface the element offers (JitAI). */
export interface FunctionDeclaration {
  name: string;
  title?: string;
  async?: boolean;
  returnType?: string;
  args?: Array<{ name: string; title?: string; dataType?: string }>;
}

/** What an e.json says, once it has passed the declaration schema. */
export interface Declaration {
  title: string;
  /** `""` for a Meta; else the fullName of its Type (or, for a Type, of its parent Type or Meta). */
  type?: string;
  kind?: ElementKind;
  backendBundleEntry?: string;
  backendLoadTime?: "afterAppInit" | "beforeHandleRequest";
  accessModifier?: "public" | "protected" | "private";
  functionList?: FunctionDeclaration[];
  variables?: Array<Record<string, unknown>>;
  description?: string;
  [key: string]: unknown;
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
  /** The folder's declaration.schema.json: extra e.json keys a Type declares for its instances. */
  declarationSchemaFile?: string;
  /** Names of the JSON files in the folder, found in the same pass: configs and schemas are read only if there. */
  jsonFiles: ReadonlySet<string>;
  raw: unknown;
}

const indexNames = ["index.ts", "index.js", "index.mjs"];
export const declarationSchemaName = "declaration.schema.json";
const segmentPattern = /^[A-Za-z_][A-Za-z0-9_]*$/;

/** Every element folder of `layer`, read in parallel; unreadable JSON and bad folder names go to `errors`. */
export async function discoverLayer(layer: Layer, errors: ElementError[]): Promise<FoundElement[]> {
  // One pass finds declarations, index files and declaration schemas, so no element needs file checks of its own.
  const entries = await fg(["**/*.json", ...indexNames.map((name) => `**/${name}`)], {
    cwd: layer.dir,
    onlyFiles: true,
    dot: false,
    followSymbolicLinks: true,
    ignore: ["**/node_modules/**"],
  });
  const indexFiles = new Map<string, string>();
  const jsonFiles = new Map<string, Set<string>>();
  const declarations: string[] = [];
  for (const entry of entries) {
    const slash = entry.lastIndexOf("/");
    const folder = slash < 0 ? "" : entry.slice(0, slash);
    const base = entry.slice(slash + 1);
    if (base.endsWith(".json")) {
      if (base === "e.json") declarations.push(entry);
      const known = jsonFiles.get(folder);
      if (known === undefined) jsonFiles.set(folder, new Set([base]));
      else known.add(base);
    } else {
      const known = indexFiles.get(folder);
      if (known === undefined || indexNames.indexOf(base) < indexNames.indexOf(known)) indexFiles.set(folder, base);
    }
  }
  declarations.sort();
  const found = await Promise.all(
    declarations.map(async (relativeFile): Promise<FoundElement | undefined> => {
      const folder = relativeFile.slice(0, Math.max(0, relativeFile.length - "/e.json".length));
      const segments = folder === "" ? [] : folder.split("/");
      const file = join(layer.dir, relativeFile);
      const fullName = segments.join(".");
      const pathProblem = segmentProblem(segments);
      if (pathProblem !== undefined) {
        errors.push(
          new ElementError("ELEMENT_PATH_INVALID", `${fullName || "(no name)"}: ${displayPath(file)} ${pathProblem}`, {
            element: fullName || undefined,
            file,
          }),
        );
        return undefined;
      }
      const dir = join(layer.dir, folder);
      const index = indexFiles.get(folder);
      const json = jsonFiles.get(folder)!;
      try {
        const raw = parseJsonFile(await readFile(file, "utf8"), file, fullName);
        return {
          fullName,
          category: segments[0]!,
          name: segments[segments.length - 1]!,
          dir,
          file,
          layer,
          raw,
          indexFile: index === undefined ? undefined : join(dir, index),
          declarationSchemaFile: json.has(declarationSchemaName) ? join(dir, declarationSchemaName) : undefined,
          jsonFiles: json,
        };
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

/** Why a folder path cannot name an element, if it cannot: fullName segments are identifiers. */
function segmentProblem(segments: string[]): string | undefined {
  if (segments.length < 2) {
    return "is not in an element folder: an element is a folder inside a category folder (<category>/<Name>/e.json), so move it into one.";
  }
  const bad = segments.find((segment) => !segmentPattern.test(segment));
  if (bad !== undefined) {
    return `is in a folder named "${bad}", which cannot be part of a fullName (letters, digits and _, not starting with a digit). Rename the folder.`;
  }
  return undefined;
}
