// The package's command: the runtime's CLI (which knows no category) composed with the commands the official
// elements add, as index.ts composes the runtime with their classes.
import { runCli, type CliCommand } from "./runtime/cli.ts";
import { storageCommand } from "./elements/storages/services/StorageSvc/cli.ts";

/** The official elements' commands, by name: `jit-elements storage sweep …`. */
export const elementCommands: Readonly<Record<string, CliCommand>> = { storage: storageCommand };

/** Runs `jit-elements` with `argv` (without node and script); returns the exit code. */
export function runPackageCli(argv: string[]): Promise<number> {
  return runCli(argv, undefined, undefined, elementCommands);
}
