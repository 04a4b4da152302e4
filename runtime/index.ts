// The public API of jit-elements: what app code and custom Types import, nothing more.
export { loadApp, type LoadOptions } from "./load.ts";
export { App, type ElementInfo } from "./app.ts";
export { Element, type ElementContext } from "./element.ts";
export { ElementError, type ElementErrorCode, type FieldProblem } from "./errors.ts";
export { REDACTED, type ConfigObject, type ConfigValue } from "./config.ts";
export type { ElementKind, Declaration, FunctionDeclaration } from "./discovery.ts";
export type { AppManifest, AppSettings, ParentReference } from "./layers.ts";

/**
 * fullName → instance type. Empty here; `jit-elements typegen` writes a declaration file that adds an app's
 * elements (`"storages.MyOss": OssStorage`), so that `app.getElement("storages.MyOss")` needs no cast.
 */
// eslint-disable-next-line @typescript-eslint/no-empty-interface
export interface ElementMap {}

/** Category → the interface every element of it has; a category's base module adds itself here. */
// eslint-disable-next-line @typescript-eslint/no-empty-interface
export interface CategoryMap {}

