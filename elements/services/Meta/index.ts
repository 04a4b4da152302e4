// The services category's contract: the base class every service Type extends (the default export, which the
// runtime checks Types against). A service holds functions for app code; what it needs it reaches through `app`.
import { Element } from "../../../runtime/index.ts";

/** Base class of every service element (`services.*`, and nested ones such as `storages.services.StorageSvc`). */
export class Service<Config extends object = object> extends Element<Config> {}

export default Service;

declare module "../../../runtime/index.ts" {
  interface CategoryMap {
    services: Service;
  }
}
