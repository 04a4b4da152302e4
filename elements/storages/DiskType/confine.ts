// Keeping every file operation inside the storage's folder, also when one of its subfolders is replaced by a
// symbolic link between two calls. Node has no openat(), so each operation resolves the real folder right before
// it acts, opens with O_NOFOLLOW (a link in the last place is refused, not followed), and checks after opening
// where the open file really is: a link swapped in at the last moment is then caught before a byte is written.
import type { BigIntStats } from "node:fs";
import { constants } from "node:fs";
import { fstatSync, lstatSync, readlinkSync, realpathSync } from "node:fs";
import { lstat, open, readlink, realpath } from "node:fs/promises";
import { basename, dirname, join } from "node:path";
import { StorageFailure } from "../Meta/index.ts";

export type FileHandle = Awaited<ReturnType<typeof open>>;

/** Opening a path whose last part is a symbolic link fails (ELOOP) instead of following it. */
export const NO_FOLLOW = constants.O_NOFOLLOW ?? 0;

// Linux names every open file in /proc/self/fd: one readlink says where it really is. Elsewhere the folder is
// resolved again and the file found there must be the one that is open.
let procFds = process.platform === "linux";

/** Where the file open as `handle` (opened as `path`) really is, every link resolved. */
export async function realPathOf(handle: FileHandle, path: string): Promise<string> {
  if (procFds) {
    try {
      return await readlink(`/proc/self/fd/${handle.fd}`);
    } catch {
      procFds = false;
    }
  }
  const candidate = join(await realpath(dirname(path)), basename(path));
  const [opened, found] = await Promise.all([handle.stat({ bigint: true }), lstat(candidate, { bigint: true })]);
  if (!sameFile(opened, found)) throw new LinkRefused(`${path} was replaced while it was opened`);
  return candidate;
}

/**
 * `realPathOf` at once, for a file open as the descriptor `fd`: the same answer without a trip to the thread pool,
 * for the small writes whose few quick syscalls cost less than the trips would (see `QUICK_BYTES`).
 */
export function realPathOfNow(fd: number, path: string): string {
  if (procFds) {
    try {
      return readlinkSync(`/proc/self/fd/${fd}`);
    } catch {
      procFds = false;
    }
  }
  const candidate = join(realpathSync.native(dirname(path)), basename(path));
  if (!sameFile(fstatSync(fd, { bigint: true }), lstatSync(candidate, { bigint: true }))) throw new LinkRefused(`${path} was replaced while it was opened`);
  return candidate;
}

/**
 * A path that opens the very file open as `handle` again (Linux: `/proc/self/fd/<n>`), whatever its own path leads
 * to by now; undefined where there is none.
 */
export function reopenablePath(handle: FileHandle): string | undefined {
  return procFds ? `/proc/self/fd/${handle.fd}` : undefined;
}

/** The real path of `folder`, or undefined when it does not exist (or a file stands where a folder should be). */
export async function realFolder(folder: string): Promise<string | undefined> {
  try {
    return await realpath(folder);
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code === "ENOENT" || code === "ENOTDIR") return undefined;
    throw error;
  }
}

/** `realFolder` at once (no trip to the thread pool): one realpath(3). */
export function realFolderNow(folder: string): string | undefined {
  try {
    return realpathSync.native(folder);
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code === "ENOENT" || code === "ENOTDIR") return undefined;
    throw error;
  }
}

/** Thrown where a path of the storage leads through a symbolic link it must not follow; the facade reports it as AccessDenied. */
export class LinkRefused extends StorageFailure {
  constructor(explanation: string) {
    super("AccessDenied", explanation, { status: 403 });
  }
}

/** Whether an error is the refusal of O_NOFOLLOW to open a link. */
export function isLinkError(error: unknown): boolean {
  const code = (error as NodeJS.ErrnoException | null)?.code;
  // Linux says ELOOP; the BSDs and macOS say EMLINK or EFTYPE.
  return code === "ELOOP" || code === "EMLINK" || code === "EFTYPE";
}

function sameFile(a: BigIntStats, b: BigIntStats): boolean {
  return a.ino === b.ino && a.dev === b.dev;
}
