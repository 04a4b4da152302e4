// The base every element class may extend: its names, its config, and a safe face for logs.
import { inspect } from "node:util";
import type { ConfigObject } from "./config.ts";
import type { App } from "./app.ts";

/** What the runtime tells an element when it makes it. */
export interface ElementContext<Config extends object = ConfigObject> {
  /** The instance's own fullName, e.g. `storages.MyOss`. */
  fullName: string;
  /** The fullName of its Type, e.g. `storages.OssType`. */
  type: string;
  /** Its business config: merged along the chain, resolved and validated. Secrets show as `[redacted]` in dumps. */
  config: Config;
  /** The app that made it, to reach other elements. */
  app: App;
}

/** Base class of element instances: names and config, a `close()` to release resources, and no secrets in dumps. */
export class Element<Config extends object = ConfigObject> {
  readonly fullName: string;
  readonly type: string;
  readonly config: Config;
  readonly #app: App;

  constructor(context: ElementContext<Config>) {
    this.fullName = context.fullName;
    this.type = context.type;
    this.config = context.config;
    this.#app = context.app;
  }

  /** The app this element belongs to. */
  get app(): App {
    return this.#app;
  }

  /** Releases what the element holds (sockets, agents); `app.close()` calls it. */
  async close(): Promise<void> {}

  toJSON(): Record<string, unknown> {
    return { element: this.fullName, type: this.type, config: this.config };
  }

  [inspect.custom](_depth: number, options: object): string {
    return `${this.constructor.name} ${inspect(this.toJSON(), options)}`;
  }
}
