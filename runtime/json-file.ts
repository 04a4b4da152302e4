// Reads JSON files and, when one is malformed, says where without echoing its text (it may hold secrets).
import { readFile } from "node:fs/promises";
import { ElementError, displayPath } from "./errors.ts";

/** Parses `text` from `file`; a syntax error becomes JSON_INVALID with line and column. */
export function parseJsonFile(text: string, file: string, element?: string): unknown {
  text = stripBom(text);
  try {
    return JSON.parse(text);
  } catch {
    const { offset, expected } = locateJsonError(text);
    const { line, column } = lineAndColumn(text, offset);
    return throwInvalid(file, element, line, column, expected);
  }
}

/** Reads and parses a JSON file; `undefined` when it does not exist. */
export async function readJsonFile(file: string, element?: string): Promise<unknown> {
  let text: string;
  try {
    text = await readFile(file, "utf8");
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === "ENOENT") return undefined;
    throw error;
  }
  return parseJsonFile(text, file, element);
}

function stripBom(text: string): string {
  return text.charCodeAt(0) === 0xfeff ? text.slice(1) : text;
}

function throwInvalid(file: string, element: string | undefined, line: number, column: number, expected: string): never {
  throw new ElementError(
    "JSON_INVALID",
    `${element === undefined ? "" : `${element}: `}${displayPath(file)}:${line}:${column} is not valid JSON: ${expected}. Fix the file and run \`jit-elements check\`.`,
    { element, file, line, column },
  );
}

function lineAndColumn(text: string, offset: number): { line: number; column: number } {
  let line = 1;
  let lineStart = 0;
  for (let i = 0; i < offset && i < text.length; i++) {
    if (text.charCodeAt(i) === 10) {
      line++;
      lineStart = i + 1;
    }
  }
  return { line, column: offset - lineStart + 1 };
}

/**
 * Finds the first syntax error of a text JSON.parse rejected. V8's own messages quote the text around the
 * error, which may be a secret, and sometimes give no position at all, so we walk the grammar ourselves.
 */
export function locateJsonError(text: string): { offset: number; expected: string } {
  let i = 0;
  class Stop {
    constructor(readonly offset: number, readonly expected: string) {}
  }
  const fail = (expected: string): never => {
    throw new Stop(i, i >= text.length ? `the file ends early (${expected})` : `expected ${expected}`);
  };
  const space = () => {
    while (i < text.length && " \t\n\r".includes(text[i]!)) i++;
  };
  const literal = (word: string) => {
    for (const ch of word) {
      if (text[i] !== ch) fail(`"${word}"`);
      i++;
    }
  };
  const string = () => {
    if (text[i] !== '"') fail("a double-quoted string");
    i++;
    while (i < text.length && text[i] !== '"') {
      const code = text.charCodeAt(i);
      if (code < 0x20) fail("no control characters inside a string");
      if (text[i] === "\\") {
        i++;
        if (text[i] === "u") {
          i++;
          for (let k = 0; k < 4; k++, i++) if (!/[0-9a-fA-F]/.test(text[i] ?? "")) fail("four hex digits after \\u");
          continue;
        }
        if (!'"\\/bfnrt'.includes(text[i] ?? "x")) fail("a valid escape after \\");
      }
      i++;
    }
    if (i >= text.length) fail('a closing "');
    i++;
  };
  const number = () => {
    const match = /^-?(0|[1-9]\d*)(\.\d+)?([eE][+-]?\d+)?/.exec(text.slice(i, i + 400));
    if (!match || match[0] === "" || match[0] === "-") fail("a value");
    i += match![0].length;
  };
  const value = (): void => {
    space();
    const ch = text[i];
    if (ch === "{") {
      i++;
      space();
      if (text[i] === "}") return void i++;
      for (;;) {
        space();
        if (text[i] !== '"') fail('a double-quoted property name (is there a trailing comma?)');
        string();
        space();
        if (text[i] !== ":") fail('":" after the property name');
        i++;
        value();
        space();
        if (text[i] === ",") {
          i++;
          continue;
        }
        if (text[i] === "}") return void i++;
        fail('"," or "}"');
      }
    }
    if (ch === "[") {
      i++;
      space();
      if (text[i] === "]") return void i++;
      for (;;) {
        value();
        space();
        if (text[i] === ",") {
          i++;
          space();
          if (text[i] === "]") fail("a value (is there a trailing comma?)");
          continue;
        }
        if (text[i] === "]") return void i++;
        fail('"," or "]"');
      }
    }
    if (ch === '"') return string();
    if (ch === "t") return literal("true");
    if (ch === "f") return literal("false");
    if (ch === "n") return literal("null");
    if (ch === "-" || (ch !== undefined && ch >= "0" && ch <= "9")) return number();
    fail("a value");
  };
  try {
    value();
    space();
    if (i < text.length) fail("nothing after the top-level value");
  } catch (stop) {
    if (stop instanceof Stop) return { offset: stop.offset, expected: stop.expected };
    throw stop;
  }
  return { offset: 0, expected: "valid JSON" };
}
