// The storages category's contract: what every storage Type offers app code. (Fleshed out by the storage issue.)
import { Element } from "../element.ts";
import type { ConfigObject } from "../config.ts";

/** Base class of every storage element (`storages.*`). */
export abstract class Storage<Config extends object = ConfigObject> extends Element<Config> {
  /** fullName of the instance, e.g. `storages.MyOss`. */
  get element(): string {
    return this.fullName;
  }

  /** fullName of its Type, e.g. `storages.OssType`. */
  get storageType(): string {
    return this.type;
  }
}

declare module "../index.ts" {
  interface CategoryMap {
    storages: Storage;
  }
}
