// Where a disk storage keeps what: objects as plain files under objects/, their facts in a parallel metadata/ tree,
// unfinished writes under partial/ (same filesystem, so that a rename makes them visible at once). And which
// names can be files there at all.
import { randomUUID } from "node:crypto";
import { mkdir, readdir, realpath, rm, rmdir, stat } from "node:fs/promises";
import { dirname, isAbsolute, join, relative, sep } from "node:path";

/** Longest part of a name between slashes, in bytes of UTF-8: the filesystem's NAME_MAX less the metadata suffix. */
export const MAX_PART_BYTES = 253;

// A metadata file and a metadata folder never share a name: files end in ".m", folders in ".d". Object "a" and
// object "a.m/x" can both exist as files, and their metadata must too.
const FILE_SUFFIX = ".m";
const FOLDER_SUFFIX = ".d";

/** Unfinished files older than this were left by a process that died; they are removed when a storage starts. */
const STALE_PARTIAL_MS = 60 * 60 * 1000;

/** Why `name` (already valid for every storage) cannot be a file under the folder, or undefined when it can. */
export function diskNameProblem(name: string): string | undefined {
  if (name.includes("\0")) return "an object name on disk may not hold the NUL character";
  if (process.platform === "win32" && /[\\:*?"<>|]/.test(name)) return 'an object name on Windows disks may not hold \\ : * ? " < > or |';
  for (const part of name.split("/")) {
    if (part === "") return 'an object name on disk may not have an empty part: no "//" and no "/" at the end';
    if (part === "." || part === "..") return 'an object name on disk may not have "." or ".." parts, which would lead out of the folder or alias another name';
    const bytes = Buffer.byteLength(part, "utf8");
    if (bytes > MAX_PART_BYTES) {
      return `each part of an object name on disk (between slashes) may have at most ${MAX_PART_BYTES} bytes of UTF-8, and one has ${bytes}`;
    }
  }
  return undefined;
}

/** The three trees of one storage folder, and the paths of one object in them. */
export class Layout {
  /** objects/: each object is the file at its name. */
  readonly objects: string;
  /** metadata/: each object's facts (content type, metadata, ETag), in a JSON file. */
  readonly metadata: string;
  /** partial/: files being written; renamed into objects/ or metadata/ when whole. */
  readonly partial: string;
  /** objects/ with every link resolved, to tell whether a path stays inside. */
  readonly realObjects: string;

  private constructor(directory: string, realObjects: string) {
    this.objects = join(directory, "objects");
    this.metadata = join(directory, "metadata");
    this.partial = join(directory, "partial");
    this.realObjects = realObjects;
  }

  /** Makes the trees when missing and clears unfinished files that a dead process left. */
  static async open(directory: string): Promise<Layout> {
    const trees = ["objects", "metadata", "partial"].map((tree) => join(directory, tree));
    await Promise.all(trees.map((tree) => mkdir(tree, { recursive: true })));
    const layout = new Layout(directory, await realpath(trees[0]!));
    await layout.#clearStalePartials();
    return layout;
  }

  /** The object file of `name` (a name diskNameProblem accepts). */
  dataPath(name: string): string {
    return join(this.objects, ...name.split("/"));
  }

  /** The metadata file of `name`. */
  metaPath(name: string): string {
    const parts = name.split("/");
    const last = parts.pop()!;
    return join(this.metadata, ...parts.map((part) => part + FOLDER_SUFFIX), last + FILE_SUFFIX);
  }

  /** A fresh path under partial/ for a file being written. */
  partialPath(): string {
    return join(this.partial, randomUUID());
  }

  /** Whether a path with every link resolved is inside objects/ (objects/ itself included). */
  contains(realPath: string): boolean {
    const rest = relative(this.realObjects, realPath);
    return rest === "" || (!rest.startsWith(`..${sep}`) && rest !== ".." && !isAbsolute(rest));
  }

  /** Removes the empty folders above `file` up to (not including) `tree`, as a service has no empty folders. */
  async prune(file: string, tree: string): Promise<void> {
    for (let folder = dirname(file); folder !== tree && folder.startsWith(tree + sep); folder = dirname(folder)) {
      try {
        await rmdir(folder);
      } catch {
        // Not empty (another object lives there, or is being written there), or already gone: stop here.
        return;
      }
    }
  }

  async #clearStalePartials(): Promise<void> {
    const now = Date.now();
    for (const entry of await readdir(this.partial)) {
      const path = join(this.partial, entry);
      try {
        if (now - (await stat(path)).mtimeMs > STALE_PARTIAL_MS) await rm(path, { force: true });
      } catch {
        // Another process finished or removed it meanwhile.
      }
    }
  }
}
