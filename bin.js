#!/usr/bin/env node
// The jit-elements command. Built (dist/bin.js, what the package's `bin` runs) it loads the compiled CLI with plain
// node; in the repository, where cli.ts sits beside it, it loads the TypeScript sources through tsx.
import { existsSync } from "node:fs";
import { ensureTypeScript } from "./runtime/typescript-support.js";

const source = new URL("./cli.ts", import.meta.url);
const fromSource = existsSync(source);
if (fromSource) await ensureTypeScript();
const { runPackageCli } = await import(fromSource ? source.href : "./cli.js");
process.exitCode = await runPackageCli(process.argv.slice(2));
