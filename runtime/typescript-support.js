// Lets plain `node` import the TypeScript sources of the runtime and of element bundles, through tsx.
// Under tsx, vitest or any other TypeScript-aware loader this does nothing, so each module is loaded once,
// by one loader, and a class imported by app code is the very class the runtime uses.
import { register } from "tsx/esm/api";

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
    register();
  }
}
