// Where a disk storage keeps what: objects as plain files under objects/, their facts in a parallel metadata/ tree,
// unfinished writes under partial/ (same filesystem, so that a rename makes them visible at once). And which
// names can be files there at all.
import { lstat, mkdir, readdir, realpath, rmdir, unlink } from "node:fs/promises";
import { basename, dirname, isAbsolute, join, relative, sep } from "node:path";
import { StorageFailure } from "../Meta/index.ts";
import { LinkRefused, realFolder, realFolderNow } from "./confine.ts";
import { ownerOf, partialName } from "./owners.ts";

/** Longest part of a name between slashes, in bytes of UTF-8: the filesystem's NAME_MAX less the metadata suffix. */
export const MAX_PART_BYTES = 253;

// A metadata file and a metadata folder never share a name: files end in ".m", folders in ".d". Object "a" and
// object "a.m/x" can both exist as files, and their metadata must too.
const FILE_SUFFIX = ".m";
const FOLDER_SUFFIX = ".d";

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
  /** objects/: each object is the file at its name. Links inside it that stay inside it are followed. */
  readonly objects: string;
  /** metadata/: each object's facts (content type, metadata), in a JSON file. No link in it is ever followed. */
  readonly metadata: string;
  /** partial/: files being written; renamed into objects/ when whole. No link in it is ever followed. */
  readonly partial: string;

  // Every path is built on the folder's real path, so that a path under metadata/ or partial/ that resolves to
  // anything but itself went through a link.
  private constructor(realDirectory: string) {
    this.objects = join(realDirectory, "objects");
    this.metadata = join(realDirectory, "metadata");
    this.partial = join(realDirectory, "partial");
  }

  /**
   * Makes the trees when missing, refuses trees that are links, and clears unfinished files that a dead process
   * left (at once) or that are older than `partialTimeoutMs` (whoever wrote them).
   */
  static async open(directory: string, options: { partialTimeoutMs: number }): Promise<Layout> {
    await mkdir(directory, { recursive: true });
    const layout = new Layout(await realpath(directory));
    await Promise.all([layout.objects, layout.metadata, layout.partial].map((tree) => makeTree(tree)));
    await layout.#clearStalePartials(options.partialTimeoutMs);
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

  /** A fresh path under partial/ for a file being written, named for this process (see owners.ts). */
  async partialPath(): Promise<string> {
    return join(this.partial, await partialName());
  }

  /** Whether a path with every link resolved is inside objects/ (objects/ itself included). */
  contains(realPath: string): boolean {
    const rest = relative(this.objects, realPath);
    return rest === "" || (!rest.startsWith(`..${sep}`) && rest !== ".." && !isAbsolute(rest));
  }

  /**
   * The real folder of `path` (under objects/, metadata/ or partial/), checked to stay where it must: inside
   * objects/ for objects, exactly itself elsewhere. Undefined when the folder does not exist; LinkRefused when a
   * link leads elsewhere.
   */
  async folderOf(path: string): Promise<string | undefined> {
    const folder = dirname(path);
    const real = await realFolder(folder);
    if (real !== undefined) this.check(path, join(real, basename(path)));
    return real;
  }

  /** `folderOf` at once, for the small writes that do every step without a trip to the thread pool. */
  folderOfNow(path: string): string | undefined {
    const real = realFolderNow(dirname(path));
    if (real !== undefined) this.check(path, join(real, basename(path)));
    return real;
  }

  /** Throws LinkRefused unless `real` (where `path` really is) is where `path` may be. */
  check(path: string, real: string): void {
    if (path.startsWith(this.objects + sep) ? this.contains(real) : real === path) return;
    throw this.refusal(path);
  }

  /** The failure for `path`, which leads through a link it must not follow. */
  refusal(path: string): LinkRefused {
    if (path.startsWith(this.objects + sep)) {
      const name = relative(this.objects, path).split(sep).join("/");
      return new LinkRefused(`the path of ${JSON.stringify(name)} goes through a symbolic link that leads out of the storage's folder; such links are never followed`);
    }
    return new LinkRefused(
      `${this.#describe(path)} goes through a symbolic link, where the storage keeps only files and folders of its own; such links are never followed: remove the link`,
    );
  }

  /**
   * Makes the folders of `path` under metadata/ one at a time, each checked to be a real folder where it should
   * be, so that a link met on the way gets no folder made outside. Returns the (real) folder.
   */
  async makeFoldersOf(path: string, tree: string): Promise<string> {
    const folder = dirname(path);
    const parts = relative(tree, folder).split(sep).filter((part) => part !== "");
    let at = tree;
    for (const part of parts) {
      at = join(at, part);
      try {
        await mkdir(at);
      } catch (error) {
        if ((error as NodeJS.ErrnoException).code !== "EEXIST") throw error;
      }
      const stats = await lstat(at);
      if (stats.isSymbolicLink()) throw this.refusal(path);
      if (!stats.isDirectory()) throw new StorageFailure("NAME_CONFLICT", `${this.#describe(at)} is a file where the storage keeps a folder: move it away`, { status: 409 });
    }
    const real = await realpath(folder);
    if (real !== folder) throw this.refusal(path);
    return real;
  }

  /** Removes the empty folders above `file` up to (not including) `tree`, as a service has no empty folders. */
  async prune(file: string, tree: string): Promise<void> {
    for (let folder = dirname(file); folder !== tree && folder.startsWith(tree + sep); folder = dirname(folder)) {
      try {
        // rmdir never follows a link: a link there is refused (ENOTDIR) and left alone.
        await rmdir(folder);
      } catch {
        // Not empty (another object lives there, or is being written there), or already gone: stop here.
        return;
      }
    }
  }

  /** `path` for messages: relative to the storage's folder. */
  #describe(path: string): string {
    return `the storage's ${relative(dirname(this.objects), path).split(sep).join("/")}`;
  }

  async #clearStalePartials(timeoutMs: number): Promise<void> {
    const now = Date.now();
    await Promise.all(
      (await readdir(this.partial)).map(async (entry) => {
        const path = join(this.partial, entry);
        try {
          const stats = await lstat(path);
          // Only files are ours to remove; a link is removed as a link (unlink never follows it).
          if (stats.isDirectory()) return;
          if (now - stats.mtimeMs > timeoutMs || (await ownerOf(entry)) === "dead") await unlink(path);
        } catch {
          // Another process finished or removed it meanwhile.
        }
      }),
    );
  }
}

/** Makes `tree` unless it exists; refuses one that is a link or a file. */
async function makeTree(tree: string): Promise<void> {
  try {
    await mkdir(tree);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== "EEXIST") throw error;
  }
  const stats = await lstat(tree);
  if (stats.isSymbolicLink()) {
    throw new LinkRefused(`${tree} is a symbolic link; a disk storage's objects/, metadata/ and partial/ must be folders of its own (links there are never followed): replace it with a folder`);
  }
  if (!stats.isDirectory()) throw new StorageFailure("NAME_CONFLICT", `${tree} is a file where the storage keeps a folder: move it away`, { status: 409 });
}
