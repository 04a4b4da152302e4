// Lets plain `node` import TypeScript through tsx: an app's element bundles, and in this repository the runtime's
// own sources (the built runtime in dist/ is JavaScript and needs none of it). Kept as plain JavaScript, copied
// into dist/ as it is, with the probe beside it still a .ts file. Under tsx, vitest or any other TypeScript-aware
// loader this does nothing, so each module is loaded once, by one loader, and a class imported by app code is the
// very class the runtime uses.
let ready;

/** Makes sure `import("./x.ts")` works in this process. */
export function ensureTypeScript() {
  ready ??= probe();
  return ready;
}

async function probe() {
  try {
    await import("./typescript-probe.ts");
  } catch {
    // tsx itself is loaded only now, when element code is about to be imported: never to load the runtime.
    const { register } = await import("tsx/esm/api");
    register();
  }
}
