// Module hooks for element code, run by Node in its loader thread (see element-modules.ts).
// Element folders are ES modules wherever the app lives (JitAI apps have app.json, not package.json), and
// `jit-elements` imported from them is the runtime that loads them, whatever node_modules holds.
import { fileURLToPath } from "node:url";
import { sep } from "node:path";

let runtimeUrl;
const roots = [];
const moduleFile = /\.(?:[cm]?[jt]sx?)$/;
const commonJsFile = /\.c[jt]s$/;

export function initialize({ port, runtime }) {
  runtimeUrl = runtime;
  port.on("message", ({ id, dirs }) => {
    for (const dir of dirs) roots.push(dir.endsWith(sep) ? dir : dir + sep);
    port.postMessage({ ack: id });
  });
}

function isElementCode(url) {
  if (typeof url !== "string" || !url.startsWith("file:")) return false;
  const path = fileURLToPath(url);
  // An app installed as a package is a layer too; the packages its code imports keep their own module format.
  return roots.some((root) => path.startsWith(root) && !path.slice(root.length).split(sep).includes("node_modules"));
}

export async function resolve(specifier, context, nextResolve) {
  if ((specifier === "jit-elements" || specifier === "jit-elements/") && isElementCode(context.parentURL)) {
    return { url: runtimeUrl, format: "module", shortCircuit: true };
  }
  const resolved = await nextResolve(specifier, context);
  if (isElementCode(resolved.url) && moduleFile.test(new URL(resolved.url).pathname) && !commonJsFile.test(new URL(resolved.url).pathname)) {
    return { ...resolved, format: "module" };
  }
  return resolved;
}

export async function load(url, context, nextLoad) {
  if (isElementCode(url) && moduleFile.test(new URL(url).pathname) && !commonJsFile.test(new URL(url).pathname)) {
    return nextLoad(url, { ...context, format: "module" });
  }
  return nextLoad(url, context);
}
