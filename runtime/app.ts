// An app: its elements resolved at load; instances made on first getElement and kept until close().
import type { ConfigObject } from "./config.ts";
import type { ElementKind } from "./discovery.ts";
import type { ElementClass } from "./bundles.ts";
import type { CategoryMap, ElementMap } from "./index.ts";
import { ElementError } from "./errors.ts";
import { didYouMean } from "./closest-names.ts";

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
}

/** Everything `App` needs to make one instance, prepared at load. */
export interface Blueprint {
  info: ElementInfo;
  elementClass?: ElementClass;
  config?: ConfigObject;
}

type Category<Name extends string> = Name extends `${infer C}.${string}` ? C : never;

/** A loaded app. Made by `loadApp`. */
export class App {
  /** The app's folder. */
  readonly dir: string;
  readonly #blueprints: ReadonlyMap<string, Blueprint>;
  readonly #instances = new Map<string, object>();

  /** @internal Use `loadApp`. */
  constructor(dir: string, blueprints: ReadonlyMap<string, Blueprint>) {
    this.dir = dir;
    this.#blueprints = blueprints;
  }

  /** The instance element `fullName`, made on first use and the same object after. */
  getElement<Name extends keyof ElementMap & string>(fullName: Name): ElementMap[Name];
  getElement<Name extends `${keyof CategoryMap & string}.${string}`>(fullName: Name): CategoryMap[Category<Name> & keyof CategoryMap];
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
      throw new ElementError("ELEMENT_FAILED", `${fullName} could not be made: ${message}`, { element: fullName, file: info.bundle, cause: error });
    }
    this.#instances.set(fullName, instance);
    return instance;
  }
}
