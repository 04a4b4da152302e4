// Puts ajv's errors (data: instancePath, keyword, params) into JSON pointers and words for people.
import type { ErrorObject } from "ajv";
import type { FieldProblem } from "./errors.ts";

/** One FieldProblem per failing field, in the order ajv found them, without repeats. */
export function toFieldProblems(errors: readonly ErrorObject[]): FieldProblem[] {
  const seen = new Set<string>();
  const problems: FieldProblem[] = [];
  for (const error of errors) {
    // "if"/"then" failures repeat what the branch's own errors already say.
    if (error.keyword === "if") continue;
    const problem = describe(error);
    const key = `${problem.pointer} ${problem.message}`;
    if (seen.has(key)) continue;
    seen.add(key);
    problems.push(problem);
  }
  return problems;
}

/** `"/bucketName is required; /timeout must be an integer"` */
export function formatProblems(problems: readonly FieldProblem[]): string {
  return problems.map((p) => `${p.pointer || "(the whole file)"} ${p.message}`).join("; ");
}

function describe(error: ErrorObject): FieldProblem {
  const params = error.params as Record<string, unknown>;
  const at = error.instancePath;
  switch (error.keyword) {
    case "required":
      return { pointer: `${at}/${escapePointer(String(params.missingProperty))}`, keyword: "required", message: "is required" };
    case "additionalProperties":
      return {
        pointer: `${at}/${escapePointer(String(params.additionalProperty))}`,
        keyword: "additionalProperties",
        message: "is not a known field (check its spelling)",
      };
    case "not":
      if (error.schemaPath.endsWith("/then/not")) return { pointer: `${at}/type`, keyword: "not", message: "must not be set on a Meta, which ends the chain" };
      return { pointer: at, keyword: "not", message: "is not allowed here" };
    case "type":
      return { pointer: at, keyword: "type", message: `must be ${article(String(params.type))}` };
    case "enum":
      return { pointer: at, keyword: "enum", message: `must be one of ${(params.allowedValues as unknown[]).map((v) => JSON.stringify(v)).join(", ")}` };
    case "const":
      if (error.schemaPath.endsWith("/then/properties/type/const")) return { pointer: at, keyword: "const", message: 'must be "" on a Meta, which ends the chain' };
      return { pointer: at, keyword: "const", message: `must be ${JSON.stringify(params.allowedValue)}` };
    case "pattern":
      return { pointer: at, keyword: "pattern", message: `must match ${String(params.pattern)}` };
    case "format":
      return { pointer: at, keyword: "format", message: `must be a valid ${String(params.format)}` };
    case "minLength":
      return { pointer: at, keyword: "minLength", message: Number(params.limit) === 1 ? "must not be empty" : `must have at least ${String(params.limit)} characters` };
    default:
      return { pointer: at, keyword: error.keyword, message: error.message ?? "is invalid" };
  }
}

function article(type: string): string {
  return /^[aeiou]/.test(type) ? `an ${type}` : `a ${type}`;
}

function escapePointer(segment: string): string {
  return segment.replace(/~/g, "~0").replace(/\//g, "~1");
}
