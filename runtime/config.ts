// Business config: merged along the chain, ${VAR}s resolved from the environment, validated by the Types' schemas.
import { readFile } from "node:fs/promises";
import { join } from "node:path";
import { inspect } from "node:util";
import type { ChainedElement, ElementRecord } from "./registry.ts";
import { ElementError, displayPath, type FieldProblem } from "./errors.ts";
import { parseJsonFile } from "./json-file.ts";
import { ajv, compileOnce } from "./ajv.ts";
import type { ValidateFunction } from "ajv";
import { formatProblems, toFieldProblems } from "./schema-errors.ts";
import { closestNames } from "./closest-names.ts";

export type ConfigValue = string | number | boolean | null | ConfigValue[] | { [key: string]: ConfigValue };
export type ConfigObject = { [key: string]: ConfigValue };

/** What shows instead of a secret. */
export const REDACTED = "[redacted]";

/** The files of one element, read once per load (a Type's are shared by all its instances). */
export interface ElementFiles {
  /** `<Folder>.json`, when there is one. */
  config?: { file: string; value: ConfigValue };
  /** `config.schema.json`, when there is one. */
  schema?: { file: string; value: Record<string, unknown>; text: string };
  /** A file could not be used (already reported): configs built on it are not validated. */
  failed?: boolean;
}

/** Reads the config and schema files of `element`; problems go to `errors`. */
export async function readElementFiles(element: ElementRecord, errors: ElementError[]): Promise<ElementFiles> {
  const files: ElementFiles = {};
  // Discovery saw which JSON files the folder has, so nothing is read that is not there.
  // JitAI's own tutorial gives its instance a config.json; storages, databases and caches use <Name>.json.
  const configName = [`${element.name}.json`, "config.json"].find((name) => element.jsonFiles.has(name));
  const configFile = join(element.dir, configName ?? `${element.name}.json`);
  const schemaFile = join(element.dir, "config.schema.json");
  const [configText, schemaText] = await Promise.all([
    configName === undefined ? undefined : readOptional(configFile),
    element.jsonFiles.has("config.schema.json") ? readOptional(schemaFile) : undefined,
  ]);
  try {
    if (configText !== undefined) files.config = { file: configFile, value: parseJsonFile(configText, configFile, element.fullName) as ConfigValue };
    if (schemaText !== undefined) {
      const value = parseJsonFile(schemaText, schemaFile, element.fullName);
      files.schema = { file: schemaFile, value: value as Record<string, unknown>, text: schemaText };
    }
  } catch (error) {
    if (!(error instanceof ElementError)) throw error;
    errors.push(error);
    files.failed = true;
  }
  if (files.config !== undefined && isPlainObject(files.config.value) && "$schema" in files.config.value) {
    // For editors only: it never reaches the instance, and no schema needs to declare it.
    const { $schema: _editorSchema, ...settings } = files.config.value;
    files.config = { file: files.config.file, value: settings };
  }
  if (files.config !== undefined && !isPlainObject(files.config.value)) {
    errors.push(
      new ElementError("CONFIG_INVALID", `${element.fullName}: ${displayPath(configFile)} must hold a JSON object of settings.`, {
        element: element.fullName,
        file: configFile,
        problems: [{ pointer: "", keyword: "type", message: "must be an object" }],
      }),
    );
    delete files.config;
    files.failed = true;
  }
  return files;
}

/** The validated config of an instance, or undefined after pushing its problems to `errors`. */
export function buildConfig(
  element: ChainedElement,
  filesOf: (element: ElementRecord) => ElementFiles,
  env: Readonly<Record<string, string | undefined>>,
  errors: ElementError[],
): ConfigObject | undefined {
  if (element.chain.some((link) => filesOf(link).failed === true)) return undefined;
  // Meta first, the instance last: later files override earlier ones.
  const links = [...element.chain].reverse();
  const origins = new Map<string, string>();
  let merged: ConfigObject = {};
  for (const link of links) {
    const config = filesOf(link).config;
    if (config !== undefined) merged = mergeInto(merged, config.value as ConfigObject, "", config.file, origins);
  }
  const ownFile = filesOf(element).config?.file ?? join(element.dir, `${element.name}.json`);
  const secretPointers = new Set<string>();
  const before = errors.length;
  const resolved = resolveVariables(merged, "", origins, env, secretPointers, (variable, pointer, written) => {
    const file = originOf(pointer, origins) ?? ownFile;
    errors.push(
      new ElementError(
        "ENV_MISSING",
        `${element.fullName}: ${displayPath(file)} uses ${written} at ${pointer}, but the environment variable ${variable} is not set. Set it, or give a default with \${${variable}:-value}.`,
        { element: element.fullName, file, problems: [{ pointer, keyword: "env", message: `needs the environment variable ${variable}` }] },
      ),
    );
  }) as ConfigObject;
  if (errors.length > before) return undefined;

  const schemas = element.chain.map((link) => filesOf(link).schema).filter((schema) => schema !== undefined);
  const problems: FieldProblem[] = undeclaredKeys(resolved, keyLevelOf(schemas), "");
  const reported = new Set(problems.map((problem) => problem.pointer));
  for (const link of element.chain) {
    const schema = filesOf(link).schema;
    if (schema === undefined) continue;
    collectSecretPointers(schema.value, "", secretPointers);
    const validate = compileSchema(schema, link, errors);
    if (validate === undefined) return undefined;
    if (!validate(resolved)) problems.push(...toFieldProblems(validate.errors ?? []).filter((p) => !(p.keyword === "additionalProperties" && reported.has(p.pointer))));
  }
  if (problems.length > 0) {
    // Each problem goes to the file that wrote the failing value; a missing field, to the instance's own file.
    const byFile = new Map<string, FieldProblem[]>();
    for (const problem of dedupe(problems)) {
      const file = problem.keyword === "required" ? ownFile : (originOf(problem.pointer, origins) ?? ownFile);
      byFile.set(file, [...(byFile.get(file) ?? []), problem]);
    }
    for (const [file, unique] of byFile) {
      errors.push(
        new ElementError(
          "CONFIG_INVALID",
          filesOf(element).config === undefined && file === ownFile
            ? `${element.fullName}: its config file is missing: create ${displayPath(file)} with the settings of ${element.chain[1]?.fullName ?? element.fullName}: ${formatProblems(unique)}.`
            : `${element.fullName}: ${displayPath(file)} is not a valid config for ${element.chain[1]?.fullName ?? element.fullName}: ${formatProblems(unique)}.`,
          { element: element.fullName, file, problems: unique },
        ),
      );
    }
    return undefined;
  }
  return redactable(resolved, secretPointers, "");
}

/** Compiles a Type's schema, or reports SCHEMA_INVALID. */
export function compileSchema(schema: NonNullable<ElementFiles["schema"]>, owner: { fullName: string }, errors: ElementError[]): ValidateFunction | undefined {
  const { $id: _id, $schema: _schema, ...body } = schema.value;
  // Checked against the meta-schema first, so that each mistake gets a pointer into the schema file.
  if (!ajv.validateSchema(body)) {
    // The meta-schema's anyOf branches say the same thing several ways: keep the first word on each field.
    const problems = toFieldProblems((ajv.errors ?? []).filter((e) => e.keyword !== "anyOf")).filter(
      (problem, i, all) => all.findIndex((other) => other.pointer === problem.pointer) === i,
    );
    errors.push(
      new ElementError("SCHEMA_INVALID", `${owner.fullName}: ${displayPath(schema.file)} is not a valid JSON Schema: ${formatProblems(problems)}.`, {
        element: owner.fullName,
        file: schema.file,
        problems,
      }),
    );
    return undefined;
  }
  try {
    return compileOnce(schema.text, schema.value);
  } catch (error) {
    const why = error instanceof Error ? error.message.replace(/^strict mode: /, "") : String(error);
    errors.push(
      new ElementError("SCHEMA_INVALID", `${owner.fullName}: ${displayPath(schema.file)} is not a usable JSON Schema: ${why}.`, {
        element: owner.fullName,
        file: schema.file,
      }),
    );
    return undefined;
  }
}

/** Deep-merges `source` over `target` (objects merged, everything else replaced), noting each leaf's file. */
function mergeInto(target: ConfigObject, source: ConfigObject, at: string, file: string, origins: Map<string, string>): ConfigObject {
  const result: ConfigObject = { ...target };
  for (const [key, value] of Object.entries(source)) {
    const pointer = `${at}/${key.replace(/~/g, "~0").replace(/\//g, "~1")}`;
    const existing = result[key];
    if (isPlainObject(value) && isPlainObject(existing)) {
      result[key] = mergeInto(existing, value, pointer, file, origins);
    } else {
      result[key] = value;
      origins.set(pointer, file);
    }
  }
  return result;
}

function originOf(pointer: string, origins: Map<string, string>): string | undefined {
  for (let p = pointer; p !== ""; p = p.slice(0, p.lastIndexOf("/"))) {
    const file = origins.get(p);
    if (file !== undefined) return file;
  }
  return undefined;
}

// ${VAR}, ${VAR:-default}, and JitAI's {{VAR}} (which its tutorial's loaders substitute from the app's variables).
const variablePattern = /\$\{([A-Za-z_][A-Za-z0-9_]*)(?::-([^}]*))?\}|\{\{\s*([A-Za-z_][A-Za-z0-9_]*)\s*\}\}/g;

/** Schema keywords after which the keys a level allows cannot be read off `properties`: such a level is not checked. */
const openKeywords = ["additionalProperties", "patternProperties", "allOf", "anyOf", "oneOf", "$ref", "if", "dependentSchemas"];

/** What the schemas of a chain declare at one level of a config: worked out once per chain, not per instance. */
class KeyLevel {
  /** Extra keys are allowed here (explicitly, or because `properties` does not tell what is allowed). */
  readonly open: boolean;
  readonly declared: ReadonlySet<string>;
  readonly #properties: Record<string, unknown>[];
  readonly #children = new Map<string, KeyLevel>();

  constructor(schemas: unknown[]) {
    const levels = schemas.filter((schema): schema is Record<string, unknown> => isPlainObject(schema as ConfigValue));
    this.#properties = levels.map((schema) => schema.properties).filter((p): p is Record<string, unknown> => isPlainObject(p as ConfigValue));
    this.declared = new Set(this.#properties.flatMap((properties) => Object.keys(properties)));
    this.open =
      this.#properties.length === 0 ||
      levels.some((schema) => openKeywords.some((keyword) => keyword in schema && !(keyword === "additionalProperties" && schema[keyword] === false)));
  }

  child(key: string): KeyLevel {
    let level = this.#children.get(key);
    if (level === undefined) {
      level = new KeyLevel(this.#properties.map((properties) => properties[key]));
      this.#children.set(key, level);
    }
    return level;
  }
}

// Keyed by the first schema's parsed value (one per Type per load), then by the chain's schema files.
const keyLevels = new WeakMap<object, Map<string, KeyLevel>>();

function keyLevelOf(schemas: ReadonlyArray<{ file: string; value: Record<string, unknown> }>): KeyLevel | undefined {
  if (schemas.length === 0) return undefined;
  let byFiles = keyLevels.get(schemas[0]!.value);
  if (byFiles === undefined) keyLevels.set(schemas[0]!.value, (byFiles = new Map()));
  const key = schemas.map((schema) => schema.file).join("\n");
  let level = byFiles.get(key);
  if (level === undefined) byFiles.set(key, (level = new KeyLevel(schemas.map((schema) => schema.value))));
  return level;
}

/**
 * Keys that no schema on the chain declares (`"timout"`), each with the nearest declared key. A level is only
 * checked when some schema lists its `properties`; a schema that writes `additionalProperties` (other than
 * false), `patternProperties` or a combinator at a level allows extra keys there explicitly.
 */
function undeclaredKeys(value: ConfigObject, level: KeyLevel | undefined, at: string): FieldProblem[] {
  if (level === undefined || level.open) return [];
  let problems: FieldProblem[] | undefined;
  for (const key in value) {
    const item = value[key];
    if (!level.declared.has(key)) {
      const pointer = `${at}/${key.replace(/~/g, "~0").replace(/\//g, "~1")}`;
      const near = closestNames(key, level.declared, 2);
      (problems ??= []).push({
        pointer,
        keyword: "additionalProperties",
        message: `is not a setting any schema on the chain declares${near.length > 0 ? ` (did you mean ${near.map((n) => `"${n}"`).join(" or ")}?)` : " (check its spelling)"}`,
      });
    } else if (isPlainObject(item)) {
      const child = level.child(key);
      if (!child.open) (problems ??= []).push(...undeclaredKeys(item, child, `${at}/${key.replace(/~/g, "~0").replace(/\//g, "~1")}`));
    }
  }
  return problems ?? [];
}

function resolveVariables(
  value: ConfigValue,
  pointer: string,
  origins: Map<string, string>,
  env: Readonly<Record<string, string | undefined>>,
  secretPointers: Set<string>,
  missing: (variable: string, pointer: string, written: string) => void,
): ConfigValue {
  if (typeof value === "string") {
    if (!value.includes("${") && !value.includes("{{")) return value;
    let fromEnvironment = false;
    const resolved = value.replace(variablePattern, (_match: string, dollar: string | undefined, fallback: string | undefined, braces: string | undefined) => {
      const variable = (dollar ?? braces)!;
      // As in a shell: ${VAR:-default} also replaces an empty value; ${VAR} needs the variable to be set.
      const found = env[variable];
      if (found !== undefined && (found !== "" || fallback === undefined)) {
        fromEnvironment = true;
        return found;
      }
      if (fallback !== undefined) return fallback;
      missing(variable, pointer, braces === undefined ? `\${${variable}}` : `{{${variable}}}`);
      return "";
    });
    // A value that came from the environment is treated as a secret: it never appears in a message or a dump.
    if (fromEnvironment) secretPointers.add(pointer);
    return resolved;
  }
  if (Array.isArray(value)) return value.map((item, i) => resolveVariables(item, `${pointer}/${i}`, origins, env, secretPointers, missing));
  if (isPlainObject(value)) {
    const result: ConfigObject = {};
    for (const [key, item] of Object.entries(value)) {
      result[key] = resolveVariables(item, `${pointer}/${key.replace(/~/g, "~0").replace(/\//g, "~1")}`, origins, env, secretPointers, missing);
    }
    return result;
  }
  return value;
}

function collectSecretPointers(schema: unknown, at: string, into: Set<string>): void {
  if (!isPlainObject(schema as ConfigValue)) return;
  const properties = (schema as { properties?: Record<string, unknown> }).properties;
  if (properties === undefined) return;
  for (const [key, property] of Object.entries(properties)) {
    const pointer = `${at}/${key}`;
    if ((property as { secret?: unknown }).secret === true) into.add(pointer);
    collectSecretPointers(property, pointer, into);
  }
}

/** Names that are secret whatever a schema says: a second line of defence. */
const secretName = /secret|password|token|credential|private.?key/i;

/**
 * The config as the instance gets it: plain values it can use, frozen, that show `[redacted]` for every secret
 * when inspected, JSON-stringified or printed.
 */
function redactable(config: ConfigObject, secrets: Set<string>, at: string): ConfigObject {
  const result: ConfigObject = {};
  for (const [key, value] of Object.entries(config)) {
    const pointer = `${at}/${key}`;
    result[key] = isPlainObject(value) ? redactable(value, secrets, pointer) : value;
  }
  const redacted = (): Record<string, unknown> => {
    const shown: Record<string, unknown> = {};
    for (const [key, value] of Object.entries(result)) {
      const pointer = `${at}/${key}`;
      const secret = secrets.has(pointer) || (typeof value === "string" && secretName.test(key));
      shown[key] = secret ? REDACTED : value;
    }
    return shown;
  };
  Object.defineProperties(result, {
    toJSON: { value: redacted, enumerable: false },
    [inspect.custom]: { value: (_depth: number, options: object) => inspect(redacted(), options), enumerable: false },
    toString: { value: () => JSON.stringify(redacted()), enumerable: false },
  });
  return Object.freeze(result);
}

function isPlainObject(value: ConfigValue | undefined): value is ConfigObject {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

function dedupe(problems: FieldProblem[]): FieldProblem[] {
  const seen = new Set<string>();
  return problems.filter((p) => {
    const key = `${p.pointer}|${p.message}`;
    if (seen.has(key)) return false;
    seen.add(key);
    return true;
  });
}

async function readOptional(file: string): Promise<string | undefined> {
  try {
    return await readFile(file, "utf8");
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === "ENOENT") return undefined;
    throw error;
  }
}
