// The `jit-elements` command: check, list, typegen, new, emulator.
import { parseArgs } from "node:util";
import { relative, resolve } from "node:path";
import { loadApp } from "./load.ts";
import { ElementError, displayPath } from "./errors.ts";
import { mapOutsideTsconfig, writeElementMap } from "./typegen.ts";
import { scaffoldElement } from "./scaffold.ts";

const usage = `Usage: jit-elements <command> [options]

Commands:
  check [dir]                          Load the app in dir (default .) and print every problem; exit 1 if any.
  list [dir] [--json]                  List the app's elements with their kinds, chains, layers and files.
      --apps-path <root>               (check, list) where extends { appId, version } are found; also JIT_APPS_PATH.
  typegen [dir] [--out file]           Write element-map.d.ts so app.getElement(...) is typed.
  new <category>/<Name> --type <name>  Scaffold an element folder in the app (--dir, default .); deeper paths
                                       (<category>/<folder>/<Name>) make nested elements.
      [--kind instance|type] [--title text]
  emulator [options]                   Start the local OSS server in the foreground (--help for its options).
`;

/**
 * A command that an element family adds to the CLI (the runtime knows no category: the package's bin passes them in).
 * `progress` rewrites one status line on a terminal and is silent elsewhere.
 */
export interface CliCommand {
  /** Its lines in the usage text, e.g. `  storage sweep <dir> …  What it does.` */
  usage: string;
  run(args: string[], out: (line: string) => void, err: (line: string) => void, progress: (line: string) => void): Promise<number>;
}

/** Runs the CLI with `argv` (without node and script); returns the exit code. `commands` are the elements' own. */
export async function runCli(
  argv: string[],
  out: (line: string) => void = console.log,
  err: (line: string) => void = console.error,
  commands: Readonly<Record<string, CliCommand>> = {},
): Promise<number> {
  const [command, ...rest] = argv;
  const usageText = usage + Object.values(commands).map((c) => `${c.usage}\n`).join("");
  try {
    const extra = command === undefined ? undefined : Object.hasOwn(commands, command) ? commands[command] : undefined;
    if (extra !== undefined) return await extra.run(rest, out, err, terminalProgress);
    switch (command) {
      case "check":
        return await check(rest, out);
      case "list":
        return await list(rest, out);
      case "typegen":
        return await typegen(rest, out, err);
      case "new":
        return await scaffold(rest, out);
      case "emulator": {
        const { runEmulatorCli } = await import("../emulator/cli.ts");
        await runEmulatorCli(rest);
        return 0;
      }
      case undefined:
      case "help":
      case "--help":
      case "-h":
        out(usageText);
        return command === undefined ? 1 : 0;
      default:
        err(`Unknown command "${command}".\n\n${usageText}`);
        return 2;
    }
  } catch (error) {
    if (error instanceof ElementError) {
      err(describe(error));
      return 1;
    }
    if (error instanceof TypeError && (error as NodeJS.ErrnoException).code?.startsWith("ERR_PARSE_ARGS")) {
      err(`${error.message}\n\n${usageText}`);
      return 2;
    }
    throw error;
  }
}

async function check(args: string[], out: (line: string) => void): Promise<number> {
  const { positionals, values } = parseArgs({ args, allowPositionals: true, options: { "apps-path": { type: "string", multiple: true } } });
  const app = await loadApp(positionals[0] ?? ".", { appsPath: values["apps-path"] });
  const instances = app.elements().filter((e) => e.kind === "Instance").length;
  out(`ok: ${app.elements().length} elements (${instances} instances) in ${displayPath(app.dir) || "."}, no problems.`);
  return 0;
}

async function list(args: string[], out: (line: string) => void): Promise<number> {
  const { positionals, values } = parseArgs({ args, allowPositionals: true, options: { json: { type: "boolean" }, "apps-path": { type: "string", multiple: true } } });
  const app = await loadApp(positionals[0] ?? ".", { configs: false, appsPath: values["apps-path"] });
  const elements = app.elements();
  if (values.json) {
    out(JSON.stringify(elements, null, 2));
    return 0;
  }
  for (const e of elements) {
    const layer = e.layer === "official" ? "official" : displayPath(e.layer);
    out(`${e.fullName.padEnd(28)} ${e.kind.padEnd(8)} ${e.chain.join(" → ")}`);
    out(`${"".padEnd(28)} ${"".padEnd(8)} ${layer}: ${displayPath(e.file)}${e.shadows.length > 0 ? ` (replaces ${e.shadows.map(displayPath).join(", ")})` : ""}`);
  }
  return 0;
}

async function typegen(args: string[], out: (line: string) => void, err: (line: string) => void): Promise<number> {
  const { positionals, values } = parseArgs({ args, allowPositionals: true, options: { out: { type: "string" } } });
  const app = await loadApp(positionals[0] ?? ".", { configs: false });
  const file = await writeElementMap(app, values.out === undefined ? undefined : resolve(values.out));
  out(`wrote ${displayPath(file)}`);
  const warning = await mapOutsideTsconfig(file, app.dir);
  if (warning !== undefined) err(`warning: ${warning}`);
  return 0;
}

async function scaffold(args: string[], out: (line: string) => void): Promise<number> {
  const { positionals, values } = parseArgs({
    args,
    allowPositionals: true,
    options: { type: { type: "string" }, dir: { type: "string", default: "." }, kind: { type: "string" }, title: { type: "string" } },
  });
  const path = positionals[0];
  if (path === undefined || values.type === undefined) {
    throw new ElementError("DECLARATION_INVALID", "Usage: jit-elements new <category>/<Name> --type <fullName>, e.g. jit-elements new storages/MyOss --type storages.OssType");
  }
  const app = await loadApp(values.dir, { configs: false });
  const target = app.elements().find((e) => e.fullName === values.type);
  const kind = values.kind?.toLowerCase() === "type" || (values.kind === undefined && target?.kind === "Meta") ? "Type" : "Instance";
  const files = await scaffoldElement(app, { path, type: values.type, kind, title: values.title });
  for (const file of files) out(`created ${relative(process.cwd(), file) || file}`);
  if (kind === "Instance") out("Fill in its config, then run `jit-elements check`.");
  return 0;
}

/** One status line, rewritten in place on a terminal (stderr, so that stdout stays for results); silent elsewhere. */
function terminalProgress(line: string): void {
  if (process.stderr.isTTY) process.stderr.write(`\r\x1b[K${line}`);
}

/** An ElementError as the CLI prints it: each problem on its own line, no stack. */
function describe(error: ElementError): string {
  const all = error.errors.length > 0 ? error.errors : [error];
  const lines = all.map((e) => `✗ [${e.code}] ${e.message}`);
  return `${lines.join("\n")}\n${all.length} problem${all.length === 1 ? "" : "s"} found.`;
}
