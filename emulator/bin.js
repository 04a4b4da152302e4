#!/usr/bin/env node
// `oss-emulator`. Built (dist/emulator/bin.js) it loads the compiled CLI with plain node; in the repository, where
// cli.ts sits beside it, it loads the TypeScript sources through tsx.
import { existsSync } from "node:fs";
import { ensureTypeScript } from "../runtime/typescript-support.js";

const source = new URL("./cli.ts", import.meta.url);
const fromSource = existsSync(source);
if (fromSource) await ensureTypeScript();
const { emulatorMain } = await import(fromSource ? source.href : "./cli.js");
process.exitCode = await emulatorMain(process.argv.slice(2));
