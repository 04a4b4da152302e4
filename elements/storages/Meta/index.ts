// The category's base class: every storage Type's class must extend it.
export { Storage as default } from "../../../runtime/storage/index.ts";
