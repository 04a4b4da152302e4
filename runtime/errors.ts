// Every error a user can cause while declaring elements: one class, a stable code, and what it is about.
import { inspect } from "node:util";
import { relative, isAbsolute } from "node:path";

export type ElementErrorCode =
  /** More than one problem: each is in `errors`. */
  | "APP_INVALID"
  /** The app folder, or a parent named in app.json, does not exist. */
  | "APP_NOT_FOUND"
  /** A JSON file could not be parsed: `line` and `column` say where. */
  | "JSON_INVALID"
  /** An e.json does not match the declaration schema: `problems` has a JSON pointer for each field. */
  | "DECLARATION_INVALID"
  /** A business config does not match its Types' schemas: `problems` has a JSON pointer for each field. */
  | "CONFIG_INVALID"
  /** A Type's config.schema.json is not a schema ajv can compile. */
  | "SCHEMA_INVALID"
  /** A `${VAR}` in a config names an environment variable that is not set and has no default. */
  | "ENV_MISSING"
  /** A `type` names no element. */
  | "TYPE_UNKNOWN"
  /** Following `type` comes back to an element already on the chain. */
  | "TYPE_CYCLE"
  /** A `type` names a Type of another category. */
  | "TYPE_KIND"
  /** An e.json's `kind` disagrees with what its types make it (type "" is a Meta; a Type is named or names a Meta). */
  | "KIND_MISMATCH"
  /** An e.json is in a folder whose path cannot be a fullName (a bad folder name, or not inside a category). */
  | "ELEMENT_PATH_INVALID"
  /** A later layer declares the fullName of an element an earlier layer made "protected". */
  | "ELEMENT_PROTECTED"
  /** The code of an element could not be used: missing, outside its folder, not a class, failed to load. */
  | "BUNDLE_INVALID"
  /** `getElement` was asked for a name the app does not have. */
  | "ELEMENT_NOT_FOUND"
  /** `getElement` was asked for a Meta or a Type: only instances are made. */
  | "ELEMENT_KIND"
  /** The element's class threw while it was being made, or its `onLoad()` failed. */
  | "ELEMENT_FAILED"
  /** `app.defaultElement(name)` of a setting that is not set or names no instance. */
  | "SETTING_INVALID";

/** One failing field, in the shape ajv gives it, with a sentence for people. */
export interface FieldProblem {
  /** JSON pointer of the field (`/bucketName`); a missing required field points at where it should be. */
  pointer: string;
  /** The schema keyword that failed (`required`, `type`, `pattern`, …). */
  keyword: string;
  /** What was expected, in words. */
  message: string;
}

export interface ElementErrorDetails {
  /** fullName of the element the error is about, when there is one. */
  element?: string;
  /** The file to fix. */
  file?: string;
  line?: number;
  column?: number;
  problems?: FieldProblem[];
  errors?: ElementError[];
  cause?: unknown;
}

/** A problem with an app's element declarations, configs or code: `code` says which kind. */
export class ElementError extends Error {
  override readonly name = "ElementError";
  readonly code: ElementErrorCode;
  readonly element: string | undefined;
  readonly file: string | undefined;
  readonly line: number | undefined;
  readonly column: number | undefined;
  /** For schema problems: every failing field, all at once. */
  readonly problems: readonly FieldProblem[];
  /** For APP_INVALID: every problem found, each an ElementError of its own. */
  readonly errors: readonly ElementError[];

  constructor(code: ElementErrorCode, message: string, details: ElementErrorDetails = {}) {
    super(message, details.cause === undefined ? undefined : { cause: details.cause });
    this.code = code;
    this.element = details.element;
    this.file = details.file;
    this.line = details.line;
    this.column = details.column;
    this.problems = details.problems ?? [];
    this.errors = details.errors ?? [];
  }

  /** Several problems as one error, or the only one as itself. */
  static combine(errors: ElementError[]): ElementError {
    if (errors.length === 1) return errors[0]!;
    const list = errors.map((e, i) => `  ${i + 1}. [${e.code}] ${e.message}`).join("\n");
    return new ElementError("APP_INVALID", `The app has ${errors.length} problems:\n${list}`, { errors });
  }

  toJSON(): Record<string, unknown> {
    return {
      name: this.name,
      code: this.code,
      message: this.message,
      element: this.element,
      file: this.file,
      line: this.line,
      column: this.column,
      problems: this.problems.length > 0 ? this.problems : undefined,
      errors: this.errors.length > 0 ? this.errors.map((e) => e.toJSON()) : undefined,
    };
  }

  // The cause may be a user's module error; show the message and our own fields, not a dump of internals.
  [inspect.custom](): string {
    return `${this.name} [${this.code}]: ${this.message}`;
  }
}

/** A path as a user reads it in a message: relative to where they ran the command when it is below it. */
export function displayPath(file: string): string {
  if (!isAbsolute(file)) return file;
  const rel = relative(process.cwd(), file);
  return rel !== "" && !rel.startsWith("..") && !isAbsolute(rel) ? rel : file;
}
