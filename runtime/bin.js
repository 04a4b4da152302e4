#!/usr/bin/env node
// The jit-elements command, runnable with plain node: TypeScript support first, then the CLI's sources.
import { ensureTypeScript } from "./typescript-support.js";

await ensureTypeScript();
const { runCli } = await import("./cli.ts");
process.exitCode = await runCli(process.argv.slice(2));
