// e.json keys beyond JitAI's list: a Type declares them for its instances in a declaration.schema.json beside
// its e.json (JitAI's models have "db"); any other unknown key is an error, with the nearest known key.
import { readFile } from "node:fs/promises";
import type { ValidateFunction } from "ajv";
import type { ChainedElement } from "./registry.ts";
import { declarationKeys, unknownKeyProblems } from "./registry.ts";
import { ElementError, displayPath, type FieldProblem } from "./errors.ts";
import { parseJsonFile } from "./json-file.ts";
import { compileSchema } from "./config.ts";
import { formatProblems, toFieldProblems } from "./schema-errors.ts";
import type { FoundElement } from "./discovery.ts";

/** One Type's declaration schema: the keys it adds, and the check of their values. */
export interface DeclarationExtension {
  keys: Set<string>;
  validate: ValidateFunction | undefined;
}

/** Reads every declaration.schema.json found; problems go to `errors`. */
export async function readDeclarationExtensions(found: FoundElement[], errors: ElementError[]): Promise<Map<string, DeclarationExtension>> {
  const extensions = new Map<string, DeclarationExtension>();
  await Promise.all(
    found.map(async (element) => {
      const file = element.declarationSchemaFile;
      if (file === undefined) return;
      try {
        const text = await readFile(file, "utf8");
        const value = parseJsonFile(text, file, element.fullName) as Record<string, unknown>;
        const properties = (value as { properties?: unknown }).properties;
        const keys = new Set(typeof properties === "object" && properties !== null ? Object.keys(properties) : []);
        extensions.set(file, { keys, validate: compileSchema({ file, value, text }, element, errors) });
      } catch (error) {
        if (!(error instanceof ElementError)) throw error;
        errors.push(error);
      }
    }),
  );
  return extensions;
}

/** Every key some Type declares: a declaration that is broken anyway is not also blamed for these. */
export function allExtensionKeys(extensions: Map<string, DeclarationExtension>): Set<string> {
  const keys = new Set<string>();
  for (const extension of extensions.values()) for (const key of extension.keys) keys.add(key);
  return keys;
}

/** Checks the extra keys of `element` against the Types on its chain; false after pushing a problem. */
export function checkExtraKeys(element: ChainedElement, extensions: Map<string, DeclarationExtension>, errors: ElementError[]): boolean {
  if (element.extraKeys.length === 0) return true;
  const declaring = element.chain
    .slice(1)
    .map((link) => (link.declarationSchemaFile === undefined ? undefined : extensions.get(link.declarationSchemaFile)))
    .filter((e): e is DeclarationExtension => e !== undefined);
  const allowed = new Set(declaring.flatMap((e) => [...e.keys]));
  const problems: FieldProblem[] = unknownKeyProblems(
    element.extraKeys.filter((key) => !allowed.has(key)),
    [...declarationKeys, ...allowed],
  );
  const raw = element.declaration as Record<string, unknown>;
  for (const extension of declaring) {
    if (extension.validate === undefined) continue;
    const own: Record<string, unknown> = {};
    for (const key of element.extraKeys) if (extension.keys.has(key)) own[key] = raw[key];
    if (!extension.validate(own)) problems.push(...toFieldProblems(extension.validate.errors ?? []));
  }
  if (problems.length === 0) return true;
  errors.push(
    new ElementError("DECLARATION_INVALID", `${element.fullName}: ${displayPath(element.file)} is not a valid declaration: ${formatProblems(problems)}.`, {
      element: element.fullName,
      file: element.file,
      problems,
    }),
  );
  return false;
}
