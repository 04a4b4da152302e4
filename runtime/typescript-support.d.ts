/** Makes sure `import("./x.ts")` works in this process. */
export function ensureTypeScript(): Promise<void>;
