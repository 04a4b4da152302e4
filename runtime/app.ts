// An app: its elements resolved at load; instances made on first getElement and kept until close().
import type { ConfigObject } from "./config.ts";
import type { ElementKind } from "./discovery.ts";
import type { ElementClass } from "./bundles.ts";
import type { CategoryMap, ElementMap } from "./index.ts";
import { ElementError } from "./errors.ts";
import { didYouMean } from "./closest-names.ts";
import { displayPath } from "./errors.ts";
import type { AppManifest, AppSettings } from "./layers.ts";

/** What `app.elements()` tells about one element. */
export interface ElementInfo {
  fullName: string;
  kind: ElementKind;
  title: string;
  /** Itself first, its Meta last. */
  chain: string[];
  /** The layer folder it comes from ("official" for the package's own). */
  layer: string;
  /** Its e.json. */
  file: string;
  /** e.json files of earlier layers that it replaces. */
  shadows: string[];
  /** The file whose class makes its instances, if any. */
  bundle?: string;
  /** `"afterAppInit"`: made during loadApp; otherwise on first getElement. */
  backendLoadTime?: "afterAppInit" | "beforeHandleRequest";
  /** Who may see and replace it: `public` (the default), `protected`, `private`. */
  accessModifier: "public" | "protected" | "private";
}

/** Everything `App` needs to make one instance, prepared at load. */
export interface Blueprint {
  info: ElementInfo;
  elementClass?: ElementClass;
  config?: ConfigObject;
}

type Category<Name extends string> = Name extends `${infer C}.${string}` ? C : never;
/** A nested name (`storages.services.StorageSvc`) may belong to another family than its first segment says. */
type ByCategory<Name extends string> = Name extends `${string}.${string}.${string}` ? object : CategoryMap[Category<Name> & keyof CategoryMap];

/** A loaded app. Made by `loadApp`. */
export class App {
  /** The app's folder. */
  readonly dir: string;
  /** `"org.Name"` from app.json, when it says. */
  readonly appId: string | undefined;
  readonly version: string | undefined;
  readonly title: string | undefined;
  /** app.json `settings`, merged along the layers: a later app's values win, objects merged key by key. */
  readonly settings: Readonly<AppSettings>;
  readonly #blueprints: ReadonlyMap<string, Blueprint>;
  readonly #instances = new Map<string, object>();

  /** @internal Use `loadApp`. */
  constructor(dir: string, blueprints: ReadonlyMap<string, Blueprint>, about: { manifest?: AppManifest; settings?: AppSettings } = {}) {
    this.dir = dir;
    this.#blueprints = blueprints;
    this.appId = about.manifest?.appId;
    this.version = about.manifest?.version;
    this.title = about.manifest?.title;
    this.settings = deepFreeze(about.settings ?? {});
  }

  /**
   * The instance that app.json's `settings.defaultElement[role]` names, e.g. `defaultElement("defaultStorage")`.
   */
  defaultElement(role: string): object {
    const roles = this.settings.defaultElement ?? {};
    const fullName = roles[role];
    if (fullName === undefined) {
      const set = Object.keys(roles);
      throw new ElementError(
        "SETTING_INVALID",
        `The app has no settings.defaultElement.${role} in ${displayPath(`${this.dir}/app.json`)}.${didYouMean(role, set) || (set.length > 0 ? ` It sets ${set.join(", ")}.` : " Add it, e.g. \"settings\": { \"defaultElement\": { \"" + role + "\": \"storages.MyOss\" } }.")}`,
        { file: `${this.dir}/app.json` },
      );
    }
    if (!this.#blueprints.has(fullName)) {
      throw new ElementError(
        "SETTING_INVALID",
        `${displayPath(`${this.dir}/app.json`)}: /settings/defaultElement/${role} names "${fullName}", but the app has no element of that name.${didYouMean(fullName, this.#blueprints.keys()) || " Fix the setting, or declare the element."}`,
        { element: fullName, file: `${this.dir}/app.json`, problems: [{ pointer: `/settings/defaultElement/${role}`, keyword: "element", message: "names no element" }] },
      );
    }
    return this.getElement(fullName);
  }

  /**
   * Elements by JitAI's selectors: a fullName; `.storages.OssType` (every element whose chain contains it);
   * `*fullName` (its ancestors on the chain, nearest first); `fullName*` (the elements built on it); `a,b` (union).
   */
  findElements(selector: string): ElementInfo[] {
    const found: ElementInfo[] = [];
    const seen = new Set<string>();
    const add = (info: ElementInfo | undefined) => {
      if (info !== undefined && !seen.has(info.fullName)) {
        seen.add(info.fullName);
        found.push(info);
      }
    };
    const builtOn = (fullName: string) => this.elements().filter((e) => e.fullName !== fullName && e.chain.includes(fullName));
    for (const part of selector.split(",").map((p) => p.trim()).filter((p) => p !== "")) {
      if (part.startsWith(".")) builtOn(part.slice(1)).forEach(add);
      else if (part.startsWith("*")) this.#blueprints.get(part.slice(1))?.info.chain.slice(1).forEach((name) => add(this.#blueprints.get(name)?.info));
      else if (part.endsWith("*")) builtOn(part.slice(0, -1)).forEach(add);
      else add(this.#blueprints.get(part)?.info);
    }
    return found;
  }

  /** The instance element `fullName`, made on first use and the same object after. */
  getElement<Name extends keyof ElementMap & string>(fullName: Name): ElementMap[Name];
  getElement<Name extends `${keyof CategoryMap & string}.${string}`>(fullName: Name): ByCategory<Name>;
  getElement(fullName: string): object;
  getElement(fullName: string): object {
    const made = this.#instances.get(fullName);
    if (made !== undefined) return made;
    return this.#make(fullName);
  }

  /** Every element the app has, with its chain, layer and file. */
  elements(): ElementInfo[] {
    return [...this.#blueprints.values()].map((b) => b.info).sort((a, b) => a.fullName.localeCompare(b.fullName));
  }

  /** Closes every instance made so far (in reverse order of making) and forgets them. */
  async close(): Promise<void> {
    const instances = [...this.#instances.values()].reverse();
    this.#instances.clear();
    const results = await Promise.allSettled(
      instances.map(async (instance) => {
        const close = (instance as { close?: unknown }).close;
        if (typeof close === "function") await (close as () => unknown).call(instance);
      }),
    );
    const failed = results.find((r): r is PromiseRejectedResult => r.status === "rejected");
    if (failed !== undefined) throw failed.reason;
  }

  /** What to do instead of asking for a Meta or a Type: its instances if it has some, else how to declare one. */
  #whyNotAnInstance(info: ElementInfo): string {
    if (info.kind === "Instance") return "was loaded without its config (loadApp with configs: false); load the app with configs to make instances";
    const built = this.elements().filter((e) => e.kind === "Instance" && e.chain.includes(info.fullName)).map((e) => e.fullName);
    const use = built.length > 0 ? `; ask for one of its instances (${built.slice(0, 3).join(", ")}${built.length > 3 ? ", …" : ""}) instead` : "";
    if (info.kind === "Type") {
      return `is a Type, and getElement makes instances${use || `. Declare an instance whose type is ${info.fullName}: a folder ${info.fullName.split(".")[0]}/<Name>/ with an e.json {"title": "…", "type": "${info.fullName}"}`}`;
    }
    const types = this.elements().filter((e) => e.kind === "Type" && e.chain[1] === info.fullName).map((e) => e.fullName);
    const pick = types.length > 0 ? `one of its Types (${types.slice(0, 3).join(", ")})` : "a Type whose type is " + info.fullName;
    return `is a Meta, the root of a family, and getElement makes instances${use || `. Declare an instance whose type is ${pick}; an instance's type must be a Type, not the Meta`}`;
  }

  #make(fullName: string): object {
    const blueprint = this.#blueprints.get(fullName);
    if (blueprint === undefined) {
      throw new ElementError("ELEMENT_NOT_FOUND", `The app has no element "${fullName}".${didYouMean(fullName, this.#blueprints.keys()) || " Run `jit-elements list` to see what it has."}`, {
        element: fullName,
      });
    }
    const { info, elementClass, config } = blueprint;
    if (info.kind !== "Instance" || elementClass === undefined || config === undefined) {
      throw new ElementError("ELEMENT_KIND", `${fullName} ${this.#whyNotAnInstance(info)}.`, { element: fullName, file: info.file });
    }
    const Class = elementClass as unknown as new (context: object) => object;
    let instance: object;
    try {
      instance = new Class({ fullName, type: info.chain[1], config, app: this });
    } catch (error) {
      if (error instanceof ElementError) throw error;
      const message = error instanceof Error ? error.message : String(error);
      const where = info.bundle === undefined ? "" : ` (its class is in ${displayPath(info.bundle)})`;
      throw new ElementError("ELEMENT_FAILED", `${fullName} could not be made${where}: ${message.replace(/\.$/, "")}.`, { element: fullName, file: info.bundle, cause: error });
    }
    this.#instances.set(fullName, instance);
    return instance;
  }
}

function deepFreeze<T extends object>(value: T): T {
  for (const item of Object.values(value)) if (typeof item === "object" && item !== null) deepFreeze(item as object);
  return Object.freeze(value);
}
