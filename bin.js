#!/usr/bin/env node
// The jit-elements command as the package ships it: the runtime's CLI (which knows no category) composed with the
// commands the official elements add, as index.ts composes the runtime with their classes.
import { ensureTypeScript } from "./runtime/typescript-support.js";

await ensureTypeScript();
const { runCli } = await import("./runtime/cli.ts");
const { storageCommand } = await import("./elements/storages/services/StorageSvc/cli.ts");
process.exitCode = await runCli(process.argv.slice(2), undefined, undefined, { storage: storageCommand });
