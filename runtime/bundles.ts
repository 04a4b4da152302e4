// Finds and imports the code of every element: each distinct bundle once, at load, so getElement stays synchronous.
import { existsSync, realpathSync, statSync } from "node:fs";
import { isAbsolute, relative, resolve, sep } from "node:path";
import { pathToFileURL } from "node:url";
import type { ChainedElement, ElementRecord } from "./registry.ts";
import { ElementError, displayPath } from "./errors.ts";
import { ensureTypeScript } from "./typescript-support.js";
import { allowElementCode } from "./element-modules.ts";
import { syntaxErrorLocation } from "./code-errors.ts";

/** A class a bundle default-exports: made with the element's context. */
export type ElementClass = abstract new (...args: never[]) => object;

export interface Bundle {
  file: string;
  /** The element whose backendBundleEntry it is. */
  owner: ElementRecord;
  elementClass: ElementClass;
}

/** The bundle file each element uses: the nearest on its chain with code; problems go to `errors`. */
export function locateBundles(elements: Map<string, ChainedElement>, errors: ElementError[]): Map<string, { file: string; owner: ElementRecord }> {
  const located = new Map<string, { file: string; owner: ElementRecord }>();
  const ownBundle = new Map<ElementRecord, string | ElementError | undefined>();
  for (const element of elements.values()) {
    let brokenLink = false;
    for (const link of element.chain) {
      if (!ownBundle.has(link)) ownBundle.set(link, bundleFileOf(link));
      const file = ownBundle.get(link);
      if (file instanceof ElementError) {
        // Reported once, by the element that declares it; its instances are not blamed again.
        if (link.fullName === element.fullName) errors.push(file);
        brokenLink = true;
        break;
      }
      if (file !== undefined) {
        located.set(element.fullName, { file, owner: link });
        break;
      }
    }
    if (element.kind === "Instance" && !located.has(element.fullName) && !brokenLink) {
      errors.push(
        new ElementError(
          "BUNDLE_INVALID",
          `${element.fullName}: nothing on its chain (${element.chain.map((l) => l.fullName).join(" → ")}) has code, so it cannot be made. Give its Type a backendBundleEntry with an index.ts.`,
          { element: element.fullName, file: element.file },
        ),
      );
    }
  }
  return located;
}

/** Imports each distinct file once, in parallel, and checks it default-exports a class. */
export async function importBundles(
  files: Iterable<{ file: string; owner: ElementRecord }>,
  errors: ElementError[],
  layerDirs: readonly string[] = [],
): Promise<Map<string, Bundle>> {
  const distinct = new Map<string, ElementRecord>();
  for (const { file, owner } of files) if (!distinct.has(file)) distinct.set(file, owner);
  if (distinct.size > 0) {
    await ensureTypeScript();
    await allowElementCode(layerDirs);
  }
  const bundles = new Map<string, Bundle>();
  await Promise.all(
    [...distinct].map(async ([file, owner]) => {
      const fail = (why: string, cause?: unknown) =>
        errors.push(new ElementError("BUNDLE_INVALID", `${owner.fullName}: ${displayPath(file)} ${why}`, { element: owner.fullName, file, cause }));
      let module: { default?: unknown };
      try {
        module = (await import(pathToFileURL(file).href)) as { default?: unknown };
      } catch (error) {
        const at = syntaxErrorLocation(error);
        if (at !== undefined) {
          // Named by the file the parser read: an import of the bundle may be the broken one.
          const where = `${displayPath(resolve(at.file))}:${at.line}:${at.column}`;
          errors.push(
            new ElementError("BUNDLE_INVALID", `${owner.fullName}: ${where}: ${at.message.replace(/\.$/, "")}. Fix the code and run \`jit-elements check\`.`, {
              element: owner.fullName,
              file: resolve(at.file),
              line: at.line,
              column: at.column,
              cause: error,
            }),
          );
          return;
        }
        return fail(`could not be loaded: ${firstLine(error)}. Fix the code and run \`jit-elements check\`.`, error);
      }
      if (!isClass(module.default)) {
        return fail("must default-export a class (`export default class … extends …`), but its default export is " + describeValue(module.default) + ".");
      }
      bundles.set(file, { file, owner, elementClass: module.default });
    }),
  );
  return bundles;
}

function bundleFileOf(element: ElementRecord): string | ElementError | undefined {
  const entry = element.declaration.backendBundleEntry;
  if (entry === undefined) return undefined;
  const fail = (why: string) =>
    new ElementError("BUNDLE_INVALID", `${element.fullName}: backendBundleEntry "${entry}" in ${displayPath(element.file)} ${why}`, {
      element: element.fullName,
      file: element.file,
      problems: [{ pointer: "/backendBundleEntry", keyword: "bundle", message: why }],
    });
  if (entry === ".") {
    // The reference gives instances "." as a fixed value with no code of their own: then the Type's code applies.
    if (element.indexFile === undefined) return undefined;
    if (!isInside(realpathSync(element.dir), realpathSync(element.indexFile))) return fail("points at an index file that links outside the element folder.");
    return element.indexFile;
  }
  if (isAbsolute(entry)) return fail("is an absolute path; it must be a path inside the element folder.");
  const file = resolve(element.dir, entry);
  if (!isInside(element.dir, file)) return fail("leaves the element folder; code must live inside it.");
  if (!existsSync(file) || !statSync(file).isFile()) return fail("names no file in the element folder.");
  if (!isInside(realpathSync(element.dir), realpathSync(file))) return fail("is a link to a file outside the element folder.");
  return file;
}

function isInside(dir: string, file: string): boolean {
  const rel = relative(dir, file);
  return rel !== "" && !rel.startsWith(`..${sep}`) && rel !== ".." && !isAbsolute(rel);
}

function isClass(value: unknown): value is ElementClass {
  return typeof value === "function" && typeof value.prototype === "object" && value.prototype !== null && Function.prototype.toString.call(value).startsWith("class");
}

function describeValue(value: unknown): string {
  if (value === undefined) return "missing";
  if (typeof value === "function") return "a function, not a class";
  return `a ${value === null ? "null" : typeof value}`;
}

function firstLine(error: unknown): string {
  const message = error instanceof Error ? error.message : String(error);
  return (message.split("\n")[0] ?? "").replace(/\.$/, "");
}
