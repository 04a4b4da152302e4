// The public API of jit-elements: what app code and custom Types import, nothing more.
export { loadApp, type LoadOptions } from "./load.ts";
export { App, type ElementInfo } from "./app.ts";
export { Element, type ElementContext } from "./element.ts";
export { ElementError, type ElementErrorCode, type FieldProblem } from "./errors.ts";
export { REDACTED, type ConfigObject, type ConfigValue } from "./config.ts";
export type { ElementKind, Declaration, FunctionDeclaration } from "./discovery.ts";
export type { AppManifest, AppSettings, ParentReference } from "./layers.ts";

export type { ElementMap, CategoryMap, OfficialElementMap, ElementName, ElementOf } from "./element-map.ts";
