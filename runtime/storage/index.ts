// The storages category: its base class and errors.
export { Storage } from "./storage.ts";
