// Turns the layers' e.json files into one registry: validated declarations, shadowing, kinds from the graph,
// and every chain resolved.
import { readFileSync } from "node:fs";
import type { Declaration, ElementKind, FoundElement } from "./discovery.ts";
import type { Layer } from "./layers.ts";
import { ElementError, displayPath, type FieldProblem } from "./errors.ts";
import { compileOnce } from "./ajv.ts";
import { formatProblems, toFieldProblems } from "./schema-errors.ts";
import { closestNames, didYouMean } from "./closest-names.ts";

/** One element of the app, as the winning layer declares it. */
export interface ElementRecord {
  fullName: string;
  category: string;
  name: string;
  /** What the graph of types makes it (see `assignKinds`). */
  kind: ElementKind;
  declaration: Declaration;
  dir: string;
  file: string;
  layer: Layer;
  /** The folder's index file, if any: what backendBundleEntry "." means. */
  indexFile: string | undefined;
  /** e.json files of earlier layers that this one replaces. */
  shadows: string[];
  /** e.json keys the declaration schema does not know: a Type on the chain must declare them. */
  extraKeys: string[];
  /** Its declaration.schema.json, if it is a Type that declares extra e.json keys for its instances. */
  declarationSchemaFile: string | undefined;
  /** Names of the JSON files in its folder. */
  jsonFiles: ReadonlySet<string>;
}

/** An element with its chain: itself first, its Meta last. */
export interface ChainedElement extends ElementRecord {
  chain: ElementRecord[];
}

const declarationSchemaUrl = new URL("./schemas/e.schema.json", import.meta.url);
const declarationSchemaText = readFileSync(declarationSchemaUrl, "utf8");
const declarationSchema = JSON.parse(declarationSchemaText) as Record<string, unknown> & { properties: Record<string, unknown> };
/** The keys JitAI's e.json may have, with `kind` and `$schema`: anything else needs a Type that declares it. */
export const declarationKeys: readonly string[] = Object.keys(declarationSchema.properties);
const knownKeys = new Set(declarationKeys);
// Unknown keys are checked in code, once the chain says which Types may declare them; editors get the strict file.
const { additionalProperties: _strict, ...openSchema } = declarationSchema;
const validateDeclaration = compileOnce(`${declarationSchemaText}\n(open)`, openSchema);

/**
 * Validates every declaration and lets later layers replace earlier ones; problems go to `errors`.
 * `extensionKeys` are the e.json keys some Type anywhere declares for its instances: a broken declaration is not
 * also blamed for those.
 */
export function buildRegistry(
  found: FoundElement[],
  errors: ElementError[],
  extensionKeys: ReadonlySet<string> = new Set(),
  topLayer: Layer | undefined = found[found.length - 1]?.layer,
): Map<string, ElementRecord> {
  const registry = new Map<string, ElementRecord>();
  for (const element of found) {
    const extraKeys = isObject(element.raw) ? Object.keys(element.raw).filter((key) => !knownKeys.has(key)) : [];
    if (!validateDeclaration(element.raw)) {
      const problems = toFieldProblems(validateDeclaration.errors ?? []);
      problems.push(...unknownKeyProblems(extraKeys.filter((key) => !extensionKeys.has(key)), declarationKeys));
      errors.push(
        new ElementError(
          "DECLARATION_INVALID",
          `${element.fullName}: ${displayPath(element.file)} is not a valid declaration: ${formatProblems(problems)}.`,
          { element: element.fullName, file: element.file, problems },
        ),
      );
      continue;
    }
    const declaration = element.raw as Declaration;
    // A private element belongs to the app that declares it: apps that extend that app do not see it.
    if (declaration.accessModifier === "private" && element.layer !== topLayer) continue;
    const earlier = registry.get(element.fullName);
    if (earlier?.declaration.accessModifier === "protected") {
      errors.push(
        new ElementError(
          "ELEMENT_PROTECTED",
          `${element.fullName}: ${displayPath(element.file)} replaces an element that ${displayPath(earlier.file)} declares "protected" (inherited, not replaceable). Use another name, or make it "public" there.`,
          { element: element.fullName, file: element.file },
        ),
      );
      continue;
    }
    registry.set(element.fullName, {
      fullName: element.fullName,
      category: element.category,
      name: element.name,
      kind: "Instance",
      declaration,
      dir: element.dir,
      file: element.file,
      layer: element.layer,
      indexFile: element.indexFile,
      shadows: earlier === undefined ? [] : [...earlier.shadows, earlier.file],
      extraKeys,
      declarationSchemaFile: element.declarationSchemaFile,
      jsonFiles: element.jsonFiles,
    });
  }
  return registry;
}

/** Problems for e.json keys nobody declares, each with the nearest key that exists. */
export function unknownKeyProblems(keys: readonly string[], known: readonly string[]): FieldProblem[] {
  return keys.map((key) => {
    const near = closestNames(key, known.filter((k) => k !== "$schema"), 2);
    return {
      pointer: `/${key.replace(/~/g, "~0").replace(/\//g, "~1")}`,
      keyword: "additionalProperties",
      message: `is not a known field${near.length > 0 ? ` (did you mean ${near.map((n) => `"${n}"`).join(" or ")}?)` : " (check its spelling)"}`,
    };
  });
}

/**
 * Follows every element's `type` to its Meta. Cycles are found first and reported once each, with the whole
 * loop; then kinds come from the graph; then unknown names and wrong categories go to `errors`.
 */
export function resolveChains(registry: Map<string, ElementRecord>, errors: ElementError[]): Map<string, ChainedElement> {
  const cyclic = findCycles(registry, errors);
  assignKinds(registry, cyclic, errors);
  const chained = new Map<string, ChainedElement>();
  for (const record of registry.values()) {
    if (cyclic.has(record)) continue;
    const chain = chainOf(record, registry, cyclic);
    if (chain instanceof ElementError) errors.push(chain);
    else if (chain !== undefined) chained.set(record.fullName, Object.assign(record, { chain })); // the same object as its chain links, so maps keyed by record agree
  }
  return chained;
}

function isMetaDeclaration(declaration: Declaration): boolean {
  return declaration.type === "" || (declaration.type === undefined && declaration.kind === "Meta");
}

/** Every element on a cycle of types, each cycle reported once (from its alphabetically first member). */
function findCycles(registry: Map<string, ElementRecord>, errors: ElementError[]): Set<ElementRecord> {
  const done = new Set<ElementRecord>();
  const cyclic = new Set<ElementRecord>();
  for (const start of registry.values()) {
    const path: ElementRecord[] = [];
    let current: ElementRecord | undefined = start;
    while (current !== undefined && !done.has(current)) {
      const at = path.indexOf(current);
      if (at >= 0) {
        const members = path.slice(at);
        for (const member of members) cyclic.add(member);
        errors.push(cycleError(members));
        break;
      }
      path.push(current);
      const type: string | undefined = current.declaration.type;
      current = type === undefined || type === "" ? undefined : registry.get(type);
    }
    for (const visited of path) done.add(visited);
  }
  return cyclic;
}

function cycleError(members: ElementRecord[]): ElementError {
  const first = members.reduce((a, b) => (b.fullName < a.fullName ? b : a));
  const from = members.indexOf(first);
  const loop = [...members.slice(from), ...members.slice(0, from), first].map((e) => e.fullName).join(" → ");
  return new ElementError(
    "TYPE_CYCLE",
    `${first.fullName}: its types go round in a cycle (${loop}); a chain must end at a Meta, an element whose type is "". Fix "type" in ${displayPath(first.file)} or in another e.json of the loop.`,
    { element: first.fullName, file: first.file, problems: [{ pointer: "/type", keyword: "type", message: "makes a cycle" }] },
  );
}

/**
 * Kinds as JitAI has them: type "" is a Meta; an element whose type is a Meta, or that another element names as
 * its type, is a Type; any other element is an instance, unless it says `"kind": "Type"` (a Type built on a
 * Type that no instance uses yet). A declared kind the graph contradicts is KIND_MISMATCH.
 */
function assignKinds(registry: Map<string, ElementRecord>, cyclic: ReadonlySet<ElementRecord>, errors: ElementError[]): void {
  const namedBy = new Map<string, ElementRecord>();
  for (const record of registry.values()) {
    const type = record.declaration.type;
    if (type !== undefined && type !== "" && !namedBy.has(type)) namedBy.set(type, record);
  }
  for (const record of registry.values()) {
    const declared = record.declaration.kind;
    let graph: ElementKind | undefined;
    let why = "";
    if (isMetaDeclaration(record.declaration)) {
      graph = "Meta";
      why = 'its type is "", which makes it a Meta';
    } else {
      const target = registry.get(record.declaration.type!);
      const namer = namedBy.get(record.fullName);
      if (target !== undefined && isMetaDeclaration(target.declaration)) {
        graph = "Type";
        why = `its type ${target.fullName} is a Meta, which makes it a Type (an instance's type must be a Type)`;
      } else if (namer !== undefined) {
        graph = "Type";
        why = `${namer.fullName} names it as its type, which makes it a Type`;
      }
    }
    record.kind = graph ?? (declared === "Type" ? "Type" : "Instance");
    if (declared !== undefined && graph !== undefined && declared !== graph && !cyclic.has(record)) {
      errors.push(
        new ElementError(
          "KIND_MISMATCH",
          `${record.fullName}: ${displayPath(record.file)} says "kind": "${declared}", but ${why}. Remove "kind" (it follows from the types), or change "type".`,
          { element: record.fullName, file: record.file, problems: [{ pointer: "/kind", keyword: "kind", message: `disagrees with the types: it is a ${graph}` }] },
        ),
      );
    }
  }
}

function chainOf(start: ElementRecord, registry: Map<string, ElementRecord>, cyclic: ReadonlySet<ElementRecord>): ElementRecord[] | ElementError | undefined {
  const chain = [start];
  let current = start;
  while (current.kind !== "Meta") {
    const typeName = current.declaration.type!;
    const next = registry.get(typeName);
    const about = { element: start.fullName, file: current.file, problems: [{ pointer: "/type", keyword: "type", message: "" }] };
    if (next === undefined) {
      // Reported once, by the element whose type it is; the elements built on it are not blamed again.
      if (current !== start) return undefined;
      const hint = didYouMean(typeName, registry.keys());
      about.problems[0]!.message = `names no element`;
      return new ElementError(
        "TYPE_UNKNOWN",
        `${current.fullName}: ${displayPath(current.file)} has type "${typeName}", but the app has no element of that name.${hint || " Declare it, or fix the name."}`,
        about,
      );
    }
    // A chain that runs into a cycle: the cycle is reported, and fixing it fixes this chain.
    if (cyclic.has(next)) return undefined;
    const wrongCategory = categoryProblem(current, next);
    if (wrongCategory !== undefined) {
      if (current !== start) return undefined;
      about.problems[0]!.message = wrongCategory;
      return new ElementError("TYPE_KIND", `${current.fullName}: ${displayPath(current.file)} has type "${typeName}", which ${wrongCategory}.`, about);
    }
    chain.push(next);
    current = next;
  }
  return chain;
}

/**
 * A family keeps to its category: `storages.X` is built on a storages Type. A nested element
 * (`storages.services.StorageSvc`) lives in another family's folder and may belong to its own (services).
 */
function categoryProblem(element: ElementRecord, target: ElementRecord): string | undefined {
  if (element.fullName.split(".").length > 2 || target.category === element.category) return undefined;
  return `belongs to the category "${target.category}", not "${element.category}": move the element to ${target.category}/ or pick a ${element.category} Type`;
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}
