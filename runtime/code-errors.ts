// Where a parser says element code is broken. tsx compiles `.ts` with esbuild, whose TransformError reaches us
// with only its message (`Transform failed with 1 error:\n<file>:<line>:<column>: ERROR: <text>`): its `errors`
// array, with the structured locations, stays behind in the loader thread. So the message is read, and the
// structured form is used when a future tsx passes it along. Under vitest (an app's own tests), vite's parser (oxc)
// reads the code instead, and says it in its own form: `[PARSE_ERROR] <text>` over a frame headed `╭─[ <file>:<line>:<column> ]`.
import { stripVTControlCharacters } from "node:util";

/** A parser's complaint about a file: 1-based line and column, as editors count them. */
export interface CodeLocation {
  file: string;
  line: number;
  column: number;
  message: string;
}

interface EsbuildMessage {
  text?: unknown;
  location?: { file?: unknown; line?: unknown; column?: unknown } | null;
}

/** The first located parser error in `error`, or undefined when it is not a parse error. */
export function syntaxErrorLocation(error: unknown): CodeLocation | undefined {
  if (!(error instanceof Error)) return undefined;
  const structured = (error as Error & { errors?: unknown }).errors;
  if (Array.isArray(structured)) {
    for (const entry of structured as EsbuildMessage[]) {
      const at = entry.location;
      // esbuild's lines are 1-based, its columns 0-based.
      if (at != null && typeof at.file === "string" && typeof at.line === "number" && typeof at.column === "number" && typeof entry.text === "string") {
        return { file: at.file, line: at.line, column: at.column + 1, message: entry.text };
      }
    }
  }
  const lines = stripVTControlCharacters(error.message).split("\n");
  for (const line of lines) {
    // esbuild's text form prints the column 0-based too (`index.ts:6:20` points at the 21st character).
    const match = /^(.+):(\d+):(\d+): ERROR: (.+)$/.exec(line);
    if (match !== null) return { file: match[1]!, line: Number(match[2]), column: Number(match[3]) + 1, message: match[4]! };
  }
  const text = lines.map((line) => /^\[PARSE_ERROR\] (.+)$/.exec(line.trim())?.[1]).find((found) => found !== undefined);
  const frame = lines.map((line) => /╭─\[ (.+):(\d+):(\d+) \]/.exec(line)).find((found) => found != null);
  // oxc counts columns from 1, as editors do.
  if (text !== undefined && frame != null) return { file: frame[1]!, line: Number(frame[2]), column: Number(frame[3]), message: text };
  return undefined;
}
