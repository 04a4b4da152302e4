// Turns the layers' e.json files into one registry: validated declarations, shadowing, and every chain resolved.
import { readFileSync } from "node:fs";
import type { Declaration, ElementKind, FoundElement } from "./discovery.ts";
import type { Layer } from "./layers.ts";
import { ElementError, displayPath } from "./errors.ts";
import { compileOnce } from "./ajv.ts";
import { formatProblems, toFieldProblems } from "./schema-errors.ts";
import { didYouMean } from "./closest-names.ts";

/** One element of the app, as the winning layer declares it. */
export interface ElementRecord {
  fullName: string;
  category: string;
  name: string;
  kind: ElementKind;
  declaration: Declaration;
  dir: string;
  file: string;
  layer: Layer;
  /** The folder's index file, if any: what backendBundleEntry "." means. */
  indexFile: string | undefined;
  /** e.json files of earlier layers that this one replaces. */
  shadows: string[];
}

/** An element with its chain: itself first, its Meta last. */
export interface ChainedElement extends ElementRecord {
  chain: ElementRecord[];
}

const declarationSchemaUrl = new URL("./schemas/e.schema.json", import.meta.url);
const declarationSchemaText = readFileSync(declarationSchemaUrl, "utf8");
const validateDeclaration = compileOnce(declarationSchemaText, JSON.parse(declarationSchemaText) as Record<string, unknown>);

/** Validates every declaration and lets later layers replace earlier ones; problems go to `errors`. */
export function buildRegistry(found: FoundElement[], errors: ElementError[]): Map<string, ElementRecord> {
  const registry = new Map<string, ElementRecord>();
  for (const element of found) {
    if (!validateDeclaration(element.raw)) {
      const problems = toFieldProblems(validateDeclaration.errors ?? []);
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
    const earlier = registry.get(element.fullName);
    registry.set(element.fullName, {
      fullName: element.fullName,
      category: element.category,
      name: element.name,
      kind: declaration.kind ?? "Instance",
      declaration,
      dir: element.dir,
      file: element.file,
      layer: element.layer,
      indexFile: element.indexFile,
      shadows: earlier === undefined ? [] : [...earlier.shadows, earlier.file],
    });
  }
  return registry;
}

/** Follows every element's `type` to its Meta; unknown names, cycles and wrong kinds go to `errors`. */
export function resolveChains(registry: Map<string, ElementRecord>, errors: ElementError[]): Map<string, ChainedElement> {
  const chained = new Map<string, ChainedElement>();
  const cycles = new Set<string>();
  for (const record of registry.values()) {
    const chain = chainOf(record, registry, cycles);
    if (chain instanceof ElementError) errors.push(chain);
    else if (chain !== undefined) chained.set(record.fullName, Object.assign(record, { chain })); // the same object as its chain links, so maps keyed by record agree
  }
  return chained;
}

function chainOf(start: ElementRecord, registry: Map<string, ElementRecord>, cycles: Set<string>): ElementRecord[] | ElementError | undefined {
  const chain = [start];
  let current = start;
  while (current.kind !== "Meta") {
    const typeName = current.declaration.type!;
    const next = registry.get(typeName);
    const about = { element: start.fullName, file: current.file, problems: [{ pointer: "/type", keyword: "type", message: "" }] };
    if (next === undefined) {
      const hint = didYouMean(typeName, registry.keys());
      about.problems[0]!.message = `names no element`;
      return new ElementError(
        "TYPE_UNKNOWN",
        `${current.fullName}: ${displayPath(current.file)} has type "${typeName}", but the app has no element of that name.${hint || " Declare it, or fix the name."}`,
        about,
      );
    }
    if (chain.includes(next)) {
      // One error per cycle, however many elements run into it.
      const members = chain.slice(chain.indexOf(next));
      const key = members.map((e) => e.fullName).sort().join(" ");
      if (cycles.has(key)) return undefined;
      cycles.add(key);
      const loop = [...members, next].map((e) => e.fullName).join(" → ");
      about.problems[0]!.message = "makes a cycle";
      return new ElementError(
        "TYPE_CYCLE",
        `${current.fullName}: its types go round in a cycle (${loop}); a chain must end at a Meta. Fix "type" in ${displayPath(current.file)}.`,
        { ...about, element: current.fullName },
      );
    }
    const wrongKind = kindProblem(current, next);
    if (wrongKind !== undefined) {
      about.problems[0]!.message = wrongKind;
      return new ElementError("TYPE_KIND", `${current.fullName}: ${displayPath(current.file)} has type "${typeName}", which ${wrongKind}.`, about);
    }
    chain.push(next);
    current = next;
  }
  return chain;
}

function kindProblem(element: ElementRecord, target: ElementRecord): string | undefined {
  if (target.kind === "Instance") {
    return `is an instance, not a Type. A type must name a Type (kind "Type") or a Meta`;
  }
  if (element.kind === "Instance" && target.kind === "Meta") {
    return `is a Meta: an instance needs one of its Types (an element of kind "Type"), which supplies the code and the config schema`;
  }
  if (target.category !== element.category) {
    return `belongs to the category "${target.category}", not "${element.category}": move the element to ${target.category}/ or pick a ${element.category} Type`;
  }
  return undefined;
}
