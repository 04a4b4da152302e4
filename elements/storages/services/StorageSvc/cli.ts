// `jit-elements storage sweep <dir>`: the service's sweep from the command line, for cron jobs and operators.
// The runtime's CLI knows no category; the package's bin hands it this command.
import { parseArgs } from "node:util";
import { loadApp, type App } from "../../../../runtime/index.ts";
import type { CliCommand } from "../../../../runtime/cli.ts";
import { StorageError } from "../../Meta/index.ts";
import StorageSvc from "./index.ts";

const usage = `  storage sweep [dir] [--storage <fullName>] [--prefix <p>] [--dry-run]
                                       Delete the expired files of a storage (default: the app's default storage);
                                       --dry-run lists them and deletes nothing.`;

/** The `storage` command group. */
export const storageCommand: CliCommand = {
  usage,
  async run(args, out, err, progress) {
    const [sub, ...rest] = args;
    if (sub !== "sweep") {
      err(`Unknown storage command ${sub === undefined ? "(none given)" : `"${sub}"`}.\n\nUsage:\n${usage}`);
      return 2;
    }
    const { positionals, values } = parseArgs({
      args: rest,
      allowPositionals: true,
      options: { storage: { type: "string" }, prefix: { type: "string" }, "dry-run": { type: "boolean" }, "apps-path": { type: "string", multiple: true } },
    });
    const app = await loadApp(positionals[0] ?? ".", { appsPath: values["apps-path"] });
    try {
      const svc = serviceOf(app);
      const dryRun = values["dry-run"] === true;
      const target = svc.storageFor(values.storage).fullName;
      const result = await svc.sweepExpired({
        storage: target,
        prefix: values.prefix,
        dryRun,
        onProgress: ({ scanned, expired }) => progress(`${target}: ${scanned} files looked at, ${expired} expired`),
      });
      progress("");
      if (dryRun) for (const name of result.expired) out(`would delete ${name}`);
      out(`${target}: ${result.scanned} files looked at, ${result.expired.length} expired, ${dryRun ? "none deleted (dry run)" : `${result.expired.length} deleted`}.`);
      return 0;
    } catch (error) {
      progress("");
      if (!(error instanceof StorageError)) throw error;
      err(`✗ [${error.code}] ${error.message}`);
      return 1;
    } finally {
      await app.close();
    }
  },
};

function serviceOf(app: App): StorageSvc {
  const svc = app.getElement("storages.services.StorageSvc");
  if (!(svc instanceof StorageSvc)) throw new Error(`storages.services.StorageSvc of ${app.dir} is not the official StorageSvc class, so it cannot sweep`);
  return svc;
}
