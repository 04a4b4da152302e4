// Who is writing an unfinished file: its name under partial/ starts with the writing process's id and start time,
// so that a storage opening the folder later can tell the leftovers of a process that died (removed at once)
// from files a live process is still writing (left alone until they are older than the configured timeout).
// The start time tells a process from a later one that got the same id.
import { randomUUID } from "node:crypto";
import { readFile } from "node:fs/promises";

// <pid>-<start>-<uuid>, and for a replaced version's second name, a suffix (".retired").
const NAME = /^(\d+)-([0-9a-z]+)-[0-9a-f-]{36}(\.[a-z]+)?$/;

/** This process's start as /proc gives it (clock ticks since boot), or elsewhere its start in ms as base 36. */
let ownStart: Promise<string> | undefined;

/** A fresh name for an unfinished file of this process. */
export async function partialName(): Promise<string> {
  ownStart ??= startOf(process.pid).then((ticks) => ticks ?? `t${Math.round(performance.timeOrigin).toString(36)}`);
  return `${process.pid}-${await ownStart}-${randomUUID()}`;
}

/** What a name under partial/ says of its writer: "dead" when that process is gone, "live" or "unknown" otherwise. */
export async function ownerOf(name: string): Promise<"dead" | "live" | "unknown"> {
  const match = NAME.exec(name);
  if (match === null) return "unknown";
  const pid = Number(match[1]);
  const start = match[2]!;
  if (!isRunning(pid)) return "dead";
  if (start.startsWith("t")) return pid === process.pid ? "live" : "unknown";
  const now = await startOf(pid);
  if (now === undefined) return "unknown";
  return now === start ? "live" : "dead";
}

function isRunning(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    // EPERM: it runs, as another user.
    return (error as NodeJS.ErrnoException).code === "EPERM";
  }
}

/** Field 22 of /proc/<pid>/stat, the process's start in clock ticks since boot; undefined without /proc. */
async function startOf(pid: number): Promise<string | undefined> {
  if (process.platform !== "linux") return undefined;
  let text: string;
  try {
    text = await readFile(`/proc/${pid}/stat`, "utf8");
  } catch {
    return undefined;
  }
  // The command name (field 2) is in parentheses and may hold spaces and parentheses itself.
  const fields = text.slice(text.lastIndexOf(")") + 2).split(" ");
  const ticks = fields[19];
  return ticks !== undefined && /^\d+$/.test(ticks) ? ticks : undefined;
}
