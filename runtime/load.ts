// loadApp: layers → discovery → registry and chains → bundles → configs → an App, with every problem at once.
import { resolve } from "node:path";
import { App, type Blueprint } from "./app.ts";
import type { ElementName } from "./element-map.ts";
import { ElementError, displayPath } from "./errors.ts";
import { resolveLayers } from "./layers.ts";
import { discoverLayer } from "./discovery.ts";
import { buildRegistry, resolveChains, type ElementRecord } from "./registry.ts";
import { importBundles, locateBundles, type ElementClass } from "./bundles.ts";
import { allExtensionKeys, checkExtraKeys, readDeclarationExtensions } from "./declaration-extensions.ts";
import { buildConfig, compileSchema, readElementFiles, type ElementFiles } from "./config.ts";

export interface LoadOptions {
  /** Where `${VAR}`s are looked up; `process.env` by default. */
  env?: Readonly<Record<string, string | undefined>>;
  /**
   * false: skip business configs (no ${VAR} needed, nothing validated, no instance can be made). For tools that
   * only read the app's structure, such as `jit-elements list` and `typegen`.
   */
  configs?: boolean;
  /**
   * Folders that hold apps as JitAI's runtime lays them out (`<root>/<org>/<Name>/<version with _>`), where
   * app.json `extends` entries `{ appId, version }` are looked up; the `JIT_APPS_PATH` variable adds more.
   */
  appsPath?: string | readonly string[];
}

/** Loads the app in `dir` with the official layer and its ancestors; rejects with every problem found. */
export async function loadApp(dir: string, options: LoadOptions = {}): Promise<App> {
  const appDir = resolve(dir);
  const env = options.env ?? process.env;
  const errors: ElementError[] = [];

  const { layers, manifest, settings } = await resolveLayers(appDir, { appsPath: options.appsPath, env });
  const found = (await Promise.all(layers.map((layer) => discoverLayer(layer, errors)))).flat();
  const extensions = await readDeclarationExtensions(found, errors);
  const registry = buildRegistry(found, errors, allExtensionKeys(extensions), layers[layers.length - 1]);
  const chained = resolveChains(registry, errors);
  for (const [fullName, element] of chained) if (!checkExtraKeys(element, extensions, errors)) chained.delete(fullName);

  const located = locateBundles(chained, errors);
  // The official layer is part of this package, which is ES modules already; the apps' folders may not be.
  const bundles = await importBundles(located.values(), errors, layers.slice(1).map((layer) => layer.dir));

  // Each element's files are read once, however many instances share them.
  const filesOf = new Map<ElementRecord, ElementFiles>();
  const needed = new Set<ElementRecord>();
  for (const element of chained.values()) {
    if (element.kind === "Instance") for (const link of element.chain) needed.add(link);
    else needed.add(element);
  }
  await Promise.all([...needed].map(async (record) => filesOf.set(record, await readElementFiles(record, errors))));
  // A Type's schema is checked even when no instance uses it yet.
  for (const [record, files] of filesOf) if (files.schema !== undefined) compileSchema(files.schema, record, errors);

  const blueprints = new Map<string, Blueprint>();
  for (const element of chained.values()) {
    const bundle = located.get(element.fullName);
    const elementClass = bundle === undefined ? undefined : bundles.get(bundle.file)?.elementClass;
    if (bundle !== undefined && elementClass === undefined) continue; // its bundle failed: already reported
    if (elementClass !== undefined && !extendsMetaClass(elementClass, element.chain, located, bundles, errors, bundle!.owner)) continue;
    const config = element.kind === "Instance" && options.configs !== false ? buildConfig(element, (r) => filesOf.get(r) ?? {}, env, errors) : undefined;
    blueprints.set(element.fullName, {
      info: {
        fullName: element.fullName,
        kind: element.kind,
        title: element.declaration.title,
        chain: element.chain.map((link) => link.fullName),
        layer: element.layer.label,
        file: element.file,
        shadows: element.shadows,
        bundle: bundle?.file,
        backendLoadTime: element.declaration.backendLoadTime,
        accessModifier: element.declaration.accessModifier ?? "public",
      },
      elementClass,
      config,
    });
  }

  if (errors.length > 0) throw ElementError.combine(dedupeErrors(errors));
  const app = new App(appDir, blueprints, { manifest, settings });
  if (options.configs !== false) await makeEarlyInstances(app, blueprints);
  return app;
}

/**
 * `backendLoadTime: "afterAppInit"`: the instance is made during loadApp and its `onLoad()` awaited, so that a
 * failure fails the load, naming the element, instead of surfacing on first use.
 */
async function makeEarlyInstances(app: App, blueprints: Map<string, Blueprint>): Promise<void> {
  const failures: ElementError[] = [];
  for (const { info } of blueprints.values()) {
    if (info.kind !== "Instance" || info.backendLoadTime !== "afterAppInit") continue;
    try {
      const instance = app.getElement(info.fullName as ElementName) as { onLoad?: unknown };
      if (typeof instance.onLoad === "function") await (instance.onLoad as () => unknown).call(instance);
    } catch (error) {
      const message = error instanceof Error ? error.message : String(error);
      failures.push(
        error instanceof ElementError
          ? error
          : new ElementError("ELEMENT_FAILED", `${info.fullName}: its onLoad() failed while the app loaded (backendLoadTime "afterAppInit" in ${displayPath(info.file)}): ${message.replace(/\.$/, "")}.`, {
              element: info.fullName,
              file: info.file,
              cause: error,
            }),
      );
    }
  }
  if (failures.length === 0) return;
  await app.close().catch(() => undefined); // what was made is released; the load's failure is what matters
  throw ElementError.combine(failures);
}

/** A Meta with code defines the category's base class; every Type's class must extend it. */
function extendsMetaClass(
  elementClass: ElementClass,
  chain: ElementRecord[],
  located: ReturnType<typeof locateBundles>,
  bundles: Awaited<ReturnType<typeof importBundles>>,
  errors: ElementError[],
  owner: ElementRecord,
): boolean {
  const meta = chain[chain.length - 1]!;
  if (owner === meta) return true;
  const metaBundle = located.get(meta.fullName);
  const metaClass = metaBundle === undefined ? undefined : bundles.get(metaBundle.file)?.elementClass;
  if (metaClass === undefined || elementClass === metaClass || elementClass.prototype instanceof metaClass) return true;
  if (!errors.some((e) => e.code === "BUNDLE_INVALID" && e.element === owner.fullName)) {
    // The likely cause when the names match: the class came from a second copy of the runtime, not this one.
    const twin = ancestorsOf(elementClass).some((ancestor) => ancestor !== metaClass && ancestor.name === metaClass.name);
    const ancestors = ancestorsOf(elementClass).filter((ancestor) => ancestor !== Function.prototype);
    const extended = ancestors[0];
    const why = twin
      ? `; it extends a ${metaClass.name} from another copy of jit-elements, so import the base class from "jit-elements" (which element code resolves to the runtime loading it), not from a path into a copy`
      : extended === undefined
        ? `; it extends nothing: write \`export default class ${elementClass.name || "…"} extends ${metaClass.name}\``
        : `; it extends ${extended.name || "an anonymous class"} instead${ancestors.length > 1 ? ` (${ancestors.map((a) => a.name || "anonymous").join(" → ")})` : ""}`;
    errors.push(
      new ElementError(
        "BUNDLE_INVALID",
        `${owner.fullName}: the class in ${displayPath(located.get(owner.fullName)?.file ?? owner.file)} must extend ${metaClass.name}, the base class of ${meta.fullName}${why}.`,
        { element: owner.fullName, file: located.get(owner.fullName)?.file ?? owner.file },
      ),
    );
  }
  return false;
}

function ancestorsOf(elementClass: ElementClass): Array<{ name: string }> {
  const ancestors: Array<{ name: string }> = [];
  for (let proto: unknown = Object.getPrototypeOf(elementClass); typeof proto === "function"; proto = Object.getPrototypeOf(proto)) ancestors.push(proto as { name: string });
  return ancestors;
}

function dedupeErrors(errors: ElementError[]): ElementError[] {
  const seen = new Set<string>();
  return errors.filter((e) => {
    const key = `${e.code}|${e.file}|${e.message}`;
    if (seen.has(key)) return false;
    seen.add(key);
    return true;
  });
}
