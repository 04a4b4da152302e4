// Object names every storage accepts: checked once, in the facade, before any request.

/** Longest object name, in bytes of UTF-8. */
export const MAX_NAME_BYTES = 1023;

const LONE_SURROGATE = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/;

/** Why `name` is not a valid object name, or undefined when it is. */
export function objectNameProblem(name: unknown): string | undefined {
  if (typeof name !== "string") return `an object name must be a string, not ${name === null ? "null" : typeof name}`;
  if (name === "") return "an object name may not be empty";
  if (LONE_SURROGATE.test(name)) return "an object name must be valid UTF-8, and this one holds a lone surrogate";
  const bytes = Buffer.byteLength(name, "utf8");
  if (bytes > MAX_NAME_BYTES) return `an object name may have at most ${MAX_NAME_BYTES} bytes of UTF-8, and this one has ${bytes}`;
  if (name.startsWith("/") || name.startsWith("\\")) return 'an object name may not start with "/" or "\\"';
  return undefined;
}

/** Why `prefix` cannot start a listing, or undefined when it can (an empty prefix lists everything). */
export function prefixProblem(prefix: unknown): string | undefined {
  if (typeof prefix !== "string") return `a prefix must be a string, not ${prefix === null ? "null" : typeof prefix}`;
  if (prefix === "") return undefined;
  return objectNameProblem(prefix)?.replace("an object name", "a prefix");
}
