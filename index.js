// Entry for plain `node`: teaches it TypeScript (through tsx) first, then re-exports the package's sources.
// Under tsx or vitest the same index.ts module is loaded, so classes are shared with app code either way.
import { ensureTypeScript } from "./runtime/typescript-support.js";

await ensureTypeScript();
const runtime = await import("./index.ts");

export const { loadApp, App, Element, ElementError, REDACTED, Storage, StorageError, StorageFailure, NO_SUCH_KEY, OssStorage, DiskStorage, Service, NormalService, StorageSvc, FALLBACK_STORAGE } = runtime;
