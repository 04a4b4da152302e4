// Paths of the fixture apps, which are real folders under test/fixtures/.
import { fileURLToPath } from "node:url";

export function fixture(path: string): string {
  return fileURLToPath(new URL(`../fixtures/${path}`, import.meta.url));
}

/** The environment the fixture apps expect. */
export const fixtureEnv = { GREETER_API_KEY: "key-from-the-environment" };
