// Assertions for the broken-app corpus: what an error must say, and how it must read to a user.
import { dirname, isAbsolute, relative, resolve } from "node:path";
import { inspect } from "node:util";
import { expect } from "vitest";
import { ElementError, loadApp, type ElementErrorCode } from "../../runtime/index.ts";
import { fixture } from "./fixtures.ts";

/** What one error is about. Files are relative to the case's folder under test/fixtures/broken/. */
export interface ExpectedError {
  code: ElementErrorCode;
  /** fullName of the element; leave out for an error about no element (app.json, the app folder). */
  element?: string;
  /** The file to fix, relative to the case folder (`widgets/Gizmo/e.json`); leave out when there is none. */
  file?: string;
  /** The JSON pointer of every failing field, in any order (none when left out); each is named in the message too. */
  pointers?: string[];
  line?: number;
  column?: number;
}

export type Env = Readonly<Record<string, string>>;

/** Absolute folder of a case of the corpus. */
export function brokenApp(name: string): string {
  return fixture(`broken/${name}`);
}

/** The ElementError `loadApp` rejects with for the case `name`, given `env` (nothing from process.env). */
export async function loadError(name: string, env: Env = {}): Promise<ElementError> {
  try {
    await loadApp(brokenApp(name), { env });
  } catch (error) {
    expect(error).toBeInstanceOf(ElementError);
    return error as ElementError;
  }
  throw new Error(`loadApp(${name}) loaded the app where it should have rejected`);
}

/** The ElementError that `action` throws. */
export function thrownError(action: () => unknown): ElementError {
  try {
    action();
  } catch (error) {
    expect(error).toBeInstanceOf(ElementError);
    return error as ElementError;
  }
  throw new Error("expected an ElementError to be thrown");
}

/** Loads the case and asserts its one error: code, element, file, pointers, position, and that it reads well. */
export async function expectLoadError(name: string, expected: ExpectedError, env: Env = {}): Promise<ElementError> {
  const error = await loadError(name, env);
  expectError(error, name, expected);
  return error;
}

/** Asserts `error` is about what `expected` says (files relative to the case `name`), and reads well. */
export function expectError(error: ElementError, name: string, expected: ExpectedError, readability: Readability = {}): void {
  const file = expected.file === undefined ? undefined : resolve(brokenApp(name), expected.file);
  expect(summary(error)).toEqual({
    code: expected.code,
    element: expected.element,
    file,
    ...(expected.line === undefined ? {} : { line: expected.line, column: expected.column }),
    pointers: [...(expected.pointers ?? [])].sort(),
  });
  expectReadable(error, readability);
}

/** Asserts a rejection holding exactly these errors (in any order), each about what it says and readable. */
export function expectErrors(error: ElementError, name: string, expected: ExpectedError[]): void {
  expect(error.code).toBe("APP_INVALID");
  expect(error.errors).toHaveLength(expected.length);
  for (const want of expected) {
    const found = error.errors.find((e) => e.code === want.code && e.element === want.element);
    expect(found, `an error ${want.code} about ${want.element ?? "the app"}`).toBeDefined();
    expectError(found!, name, want);
    // The combined message lists every problem.
    expect(error.message).toContain(found!.message);
  }
}

/** The error of `code` in a rejection, whether it came alone or with others. */
export function errorOf(error: ElementError, code: ElementErrorCode): ElementError {
  const all = error.code === "APP_INVALID" && error.errors.length > 0 ? error.errors : [error];
  const found = all.find((e) => e.code === code);
  expect(found, `an error with code ${code} in ${inspect(error)}`).toBeDefined();
  return found!;
}

/** What a message must name besides the element: the file to fix, unless the fix is in the caller's code. */
export interface Readability {
  /** false for getElement errors: the fix is in the code that asked, not in the element's e.json. */
  namesFile?: boolean;
}

/**
 * A message a user can act on: it names the element (as `category.Name` or its folder `category/Name/`), the file
 * (or the folder it is in), and each failing field; it is one or two sentences on one line, with no stack.
 */
export function expectReadable(error: ElementError, { namesFile = true }: Readability = {}): void {
  const { message } = error;
  if (error.element !== undefined) {
    const folder = `${error.element.replace(".", "/")}/`;
    expect(message.includes(error.element) || message.includes(folder), `names ${error.element}: ${message}`).toBe(true);
  }
  let words = message;
  if (error.file !== undefined && namesFile) {
    const file = shownPath(error.file);
    const folder = shownPath(dirname(error.file));
    expect(message.includes(file) || message.includes(folder), `names ${file}: ${message}`).toBe(true);
    words = words.split(file).join("").split(folder).join("");
  }
  for (const { pointer } of error.problems) {
    if (pointer === "") continue;
    // A top-level field may be named plainly ("has type …") rather than as a pointer.
    const field = pointer.split("/").length === 2 ? pointer.slice(1) : pointer;
    expect(words, `names the field ${pointer}`).toContain(field);
  }
  expect(message).not.toMatch(/^\s+at /m);
  expect(message).not.toContain("file://");
  expect(message).not.toContain("\n");
  const sentences = message.match(/[.?!](?=\s|$)/g) ?? [];
  expect(sentences.length, `one or two sentences: ${message}`).toBeGreaterThanOrEqual(1);
  expect(sentences.length, `one or two sentences: ${message}`).toBeLessThanOrEqual(2);
}

/** Asserts no `secrets` show in the error's message, String(), stack, util.inspect or JSON. */
export function expectNoSecrets(error: ElementError, secrets: readonly string[]): void {
  const shown = {
    message: error.message,
    string: String(error),
    stack: error.stack ?? "",
    inspect: inspect(error, { depth: Infinity }),
    inspectHidden: inspect(error, { depth: Infinity, showHidden: true }),
    json: JSON.stringify(error),
  };
  for (const [how, text] of Object.entries(shown)) {
    for (const secret of secrets) expect(text, `${how} shows a secret`).not.toContain(secret);
  }
}

function summary(error: ElementError): Record<string, unknown> {
  return {
    code: error.code,
    element: error.element,
    file: error.file,
    ...(error.line === undefined ? {} : { line: error.line, column: error.column }),
    pointers: error.problems.map((p) => p.pointer).sort(),
  };
}

/** A path as a message shows it: relative to the working folder when below it. */
function shownPath(file: string): string {
  const rel = relative(process.cwd(), file);
  return rel !== "" && !rel.startsWith("..") && !isAbsolute(rel) ? rel : file;
}
