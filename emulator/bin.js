#!/usr/bin/env node
// `oss-emulator`: the emulator is TypeScript run through tsx, so register its loader before importing the CLI.
import { register } from "tsx/esm/api";

register();
const { runEmulatorCli } = await import("./cli.ts");
try {
  await runEmulatorCli(process.argv.slice(2));
} catch (error) {
  console.error(`oss-emulator: ${error instanceof Error ? error.message : String(error)}`);
  process.exitCode = 1;
}
