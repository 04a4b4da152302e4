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
  new <category>/Meta --kind meta      Scaffold a new category: its Meta and base class.
  emulator [options]                   Start the local OSS server in the foreground (--help for its options).

Run jit-elements <command> --help for one command's options.
`;

/** Each built-in command's own usage, printed for --help and after a mistake on its command line. */
const commandUsage = {
  check: `Usage: jit-elements check [dir] [--apps-path <root>]...

Loads the app in dir (default .) with its configs and prints every problem; exits 1 if there is any.
  --apps-path <root>   where app.json's extends { appId, version } are found (repeatable; also JIT_APPS_PATH)`,
  list: `Usage: jit-elements list [dir] [--json] [--apps-path <root>]...

Lists the app's elements with their kinds, chains, layers and files.
  --json               print JSON, for scripts
  --apps-path <root>   where app.json's extends { appId, version } are found (repeatable; also JIT_APPS_PATH)`,
  typegen: `Usage: jit-elements typegen [dir] [--out <file>]

Writes element-map.d.ts (default: in dir) so that app.getElement(...) is typed; warns if the app's tsconfig leaves it out.`,
  new: `Usage: jit-elements new <category>/<Name> --type <fullName> [--kind instance|type] [--title <text>] [--dir <app>]
       jit-elements new <category>/Meta --kind meta [--title <text>] [--dir <app>]

Scaffolds an element folder in the app (--dir, default .):
  an instance of --type (the default when --type names a Type),
  a Type built on --type (--kind type; the default when --type names a Meta),
  or a new category's Meta with its base class (--kind meta, no --type).
Deeper paths (<category>/<folder>/<Name>) make nested elements.`,
} as const;

/** A mistake on the command line (an unknown flag, a missing argument): exit 2 with the command's usage. */
class UsageError extends Error {
  override name = "UsageError";
}

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
  const extra = command === undefined ? undefined : Object.hasOwn(commands, command) ? commands[command] : undefined;
  const ownUsage = command !== undefined && Object.hasOwn(commandUsage, command) ? commandUsage[command as keyof typeof commandUsage] : extra === undefined ? undefined : `Usage:\n${extra.usage}`;
  try {
    // --help before any "--" wins over everything else on the line, as in every well-kept CLI.
    if (ownUsage !== undefined && wantsHelp(rest)) {
      out(ownUsage);
      return 0;
    }
    if (extra !== undefined) return await extra.run(rest, out, err, terminalProgress);
    switch (command) {
      case "check":
        return await check(rest, out, err);
      case "list":
        return await list(rest, out);
      case "typegen":
        return await typegen(rest, out, err);
      case "new":
        return await scaffold(rest, out);
      case "emulator": {
        const { emulatorMain } = await import("../emulator/cli.ts");
        return await emulatorMain(rest, "jit-elements emulator", out, err);
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
    const parseError = error instanceof TypeError && (error as NodeJS.ErrnoException).code?.startsWith("ERR_PARSE_ARGS") === true;
    if (parseError || error instanceof UsageError) {
      err(`jit-elements ${command ?? ""}: ${(error as Error).message}\n\n${ownUsage ?? usageText}`);
      return 2;
    }
    throw error;
  }
}

function wantsHelp(args: string[]): boolean {
  const end = args.indexOf("--");
  return (end === -1 ? args : args.slice(0, end)).some((arg) => arg === "--help" || arg === "-h");
}

/** At most one positional, the app folder. */
function appDir(positionals: string[]): string {
  if (positionals.length > 1) throw new UsageError(`takes one app folder, but got ${positionals.length}: ${positionals.join(" ")}.`);
  return positionals[0] ?? ".";
}

async function check(args: string[], out: (line: string) => void, err: (line: string) => void): Promise<number> {
  const { positionals, values } = parseArgs({ args, allowPositionals: true, options: { "apps-path": { type: "string", multiple: true } } });
  const app = await loadApp(appDir(positionals), { appsPath: values["apps-path"] });
  const instances = app.elements().filter((e) => e.kind === "Instance").length;
  // A wrong folder (a typo, the repository root) loads fine with the official elements alone: say so, or "ok" misleads.
  if (!app.elements().some((e) => e.layer !== "official" && resolve(e.layer) === resolve(app.dir))) {
    err(`warning: ${displayPath(app.dir) || "."} has no elements of its own (no <category>/<Name>/e.json under it); is it the app folder?`);
  }
  out(`ok: ${app.elements().length} elements (${instances} instances) in ${displayPath(app.dir) || "."}, no problems.`);
  return 0;
}

async function list(args: string[], out: (line: string) => void): Promise<number> {
  const { positionals, values } = parseArgs({ args, allowPositionals: true, options: { json: { type: "boolean" }, "apps-path": { type: "string", multiple: true } } });
  const app = await loadApp(appDir(positionals), { configs: false, appsPath: values["apps-path"] });
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
  const app = await loadApp(appDir(positionals), { configs: false });
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
  const [path, ...others] = positionals;
  if (path === undefined) throw new UsageError("needs the element path, e.g. storages/MyOss.");
  if (others.length > 0) throw new UsageError(`takes one element path, but got ${positionals.length}: ${positionals.join(" ")}.`);
  const kindFlag = values.kind?.toLowerCase();
  if (kindFlag !== undefined && kindFlag !== "instance" && kindFlag !== "type" && kindFlag !== "meta") {
    throw new UsageError(`--kind must be instance, type or meta, not "${values.kind}".`);
  }
  if (kindFlag === "meta" && values.type !== undefined) throw new UsageError("a Meta builds on nothing: drop --type (or pick --kind type).");
  if (kindFlag !== "meta" && values.type === undefined) throw new UsageError("needs --type <fullName>, the Type (or Meta) to build on, e.g. --type storages.OssType.");
  const app = await loadApp(values.dir, { configs: false });
  const target = app.elements().find((e) => e.fullName === values.type);
  const kind = kindFlag === "meta" ? "Meta" : kindFlag === "type" || (kindFlag === undefined && target?.kind === "Meta") ? "Type" : "Instance";
  const files = await scaffoldElement(app, { path, type: values.type ?? "", kind, title: values.title });
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
