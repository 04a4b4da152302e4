// An app: its elements resolved at load; instances made on first getElement and kept until close().
import type { ConfigObject } from "./config.ts";
import type { ElementKind } from "./discovery.ts";
import type { ElementClass } from "./bundles.ts";
import type { ElementName, ElementOf } from "./element-map.ts";
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
  getElement<Name extends ElementName>(fullName: Name): ElementOf<Name>;
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

  #make(fullName: string): object {
    const blueprint = this.#blueprints.get(fullName);
    if (blueprint === undefined) {
      throw new ElementError("ELEMENT_NOT_FOUND", `The app has no element "${fullName}".${didYouMean(fullName, this.#blueprints.keys()) || " Run `jit-elements list` to see what it has."}`, {
        element: fullName,
      });
    }
    const { info, elementClass, config } = blueprint;
    if (info.kind !== "Instance" || elementClass === undefined || config === undefined) {
      const why = info.kind === "Instance" ? "was loaded without its config (loadApp with configs: false)" : `is a ${info.kind}; getElement makes instances. Declare an instance whose type is ${fullName}`;
      throw new ElementError("ELEMENT_KIND", `${fullName} ${why}.`, { element: fullName, file: info.file });
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
