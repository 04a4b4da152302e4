// Where the package's tests find the repository, and the environment of a process that sees jit-elements as users do.
import { fileURLToPath } from "node:url";

/** The repository's root folder. */
export const repoRoot = fileURLToPath(new URL("../../", import.meta.url));

/** The condition vitest.config.ts adds so that child processes run the sources; users never set it. */
export const sourceCondition = "jit-elements-source";

/** process.env without the source condition: "jit-elements" is then the build in dist/, as installed. */
export function userEnv(extra: Record<string, string> = {}): NodeJS.ProcessEnv {
  const nodeOptions = (process.env.NODE_OPTIONS ?? "").split(/\s+/).filter((option) => option !== "" && option !== `--conditions=${sourceCondition}`);
  const env: NodeJS.ProcessEnv = { ...process.env, ...extra, NODE_OPTIONS: nodeOptions.join(" ") };
  if (env.NODE_OPTIONS === "") delete env.NODE_OPTIONS;
  return env;
}
