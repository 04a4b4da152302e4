// Listing the objects of a folder tree as a service lists a bucket: every name in UTF-8 byte order, filtered by a
// prefix, grouped by a delimiter, resumed after a cursor. The tree is walked depth first with each folder's
// entries sorted as "name/" (folders) and "name" (files), which is exactly the order of the full names: every
// name below folder "a" starts with "a/", and no sibling does.
import { readdir } from "node:fs/promises";
import { join } from "node:path";

/** Where a page resumes: after an object name, or after everything under a common prefix. */
export type Cursor = { after: string; wholePrefix: boolean };

/** One listed name: an object, or a common prefix standing for every object that starts with it. */
export type Listed = { type: "object"; name: string } | { type: "prefix"; name: string };

/** The cursor as the facade carries it (an opaque string). */
export function encodeCursor(cursor: Cursor): string {
  return `${cursor.wholePrefix ? "p" : "o"}:${cursor.after}`;
}

export function decodeCursor(text: string | undefined): Cursor | undefined {
  if (text === undefined) return undefined;
  return { wholePrefix: text.startsWith("p:"), after: text.slice(2) };
}

/**
 * Up to `pageSize` names under `prefix` in `root`, after `cursor`, grouped by `delimiter`; and the cursor of the
 * next page (undefined when none can follow). Links are not followed and not listed.
 */
export async function listNames(
  root: string,
  request: { prefix: string; delimiter: string | undefined; cursor: Cursor | undefined; pageSize: number },
): Promise<{ names: Listed[]; cursor: Cursor | undefined }> {
  const { prefix, delimiter, cursor, pageSize } = request;
  // The folder to start from: the prefix up to its last slash. A prefix whose folder part no object could have
  // ("../", "a//") matches nothing.
  const start = prefix.slice(0, prefix.lastIndexOf("/") + 1);
  if (start.split("/").slice(0, -1).some((part) => part === "" || part === "." || part === "..")) return { names: [], cursor: undefined };
  const state: WalkState = { prefix, after: cursor === undefined ? undefined : bytes(cursor.after), skip: cursor?.wholePrefix ? cursor.after : undefined };
  const names: Listed[] = [];
  let last: Cursor | undefined;
  for await (const name of walk(root, start, state)) {
    const rest = name.slice(prefix.length);
    const at = delimiter === undefined ? -1 : rest.indexOf(delimiter);
    if (at >= 0) {
      const common = prefix + rest.slice(0, at + delimiter!.length);
      names.push({ type: "prefix", name: common });
      // Every other name under it follows right after this one (they share its start); skip them all.
      state.skip = common;
      last = { after: common, wholePrefix: true };
    } else {
      names.push({ type: "object", name });
      last = { after: name, wholePrefix: false };
    }
    if (names.length >= pageSize) return { names, cursor: last };
  }
  return { names, cursor: undefined };
}

interface WalkState {
  prefix: string;
  /** Only names after this (UTF-8 bytes). */
  after: Buffer | undefined;
  /** Names starting with this are passed over. */
  skip: string | undefined;
}

async function* walk(root: string, folder: string, state: WalkState): AsyncGenerator<string, void, undefined> {
  let entries;
  try {
    entries = await readdir(join(root, ...folder.split("/")), { withFileTypes: true });
  } catch {
    // The prefix's folder does not exist, or was removed while listing: no names there.
    return;
  }
  const keys = entries
    .filter((entry) => entry.isFile() || entry.isDirectory())
    .map((entry) => {
      const key = folder + entry.name + (entry.isDirectory() ? "/" : "");
      return { key, folder: entry.isDirectory(), bytes: bytes(key) };
    })
    .sort((a, b) => Buffer.compare(a.bytes, b.bytes));
  for (const entry of keys) {
    const { key } = entry;
    if (entry.folder ? !key.startsWith(state.prefix) && !state.prefix.startsWith(key) : !key.startsWith(state.prefix)) continue;
    if (state.skip !== undefined && key.startsWith(state.skip)) continue;
    if (state.after !== undefined && Buffer.compare(entry.bytes, state.after) <= 0) {
      // A folder that sorts before the cursor can still hold names after it, when the cursor is inside it.
      if (!(entry.folder && startsWithBytes(state.after, entry.bytes))) continue;
    }
    if (entry.folder) yield* walk(root, key, state);
    else yield key;
  }
}

function bytes(text: string): Buffer {
  return Buffer.from(text, "utf8");
}

function startsWithBytes(text: Buffer, start: Buffer): boolean {
  return text.length >= start.length && text.subarray(0, start.length).equals(start);
}
