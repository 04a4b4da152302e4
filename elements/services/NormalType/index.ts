// services.NormalType: JitAI's standard service. An instance with code of its own extends NormalService.
import { Service } from "../Meta/index.ts";

/** Base class of `services.NormalType` instances, as JitAI's `NormalService`. */
export default class NormalService<Config extends object = object> extends Service<Config> {}
