// storages.DiskType: objects as files under a folder, for development, tests and single-machine deployments. The
// same methods, results and error codes as every storage; writes land whole or not at all (a file under partial/,
// renamed into place); names stay inside the folder; signed URLs are served by a request handler of its own.
import type { BigIntStats } from "node:fs";
import { closeSync, constants, fstatSync, linkSync, openSync, realpathSync, renameSync, unlinkSync } from "node:fs";
import { link, lstat, mkdir, open, realpath, rename, rm, unlink } from "node:fs/promises";
import type { RequestListener } from "node:http";
import { basename, dirname, join, resolve } from "node:path";
import { Readable } from "node:stream";
import { pathToFileURL } from "node:url";
import { Storage, NO_SUCH_KEY, StorageFailure, explain, objectNameProblem } from "../Meta/index.ts";
import type { ByteRange, FailureFacts, ListEntry, ListPage, ObjectInfo, PutRequest, UploadBody } from "../Meta/index.ts";
import type { ElementContext } from "../../../runtime/index.ts";
import { encodeName, parseBaseUrl, type BaseUrl, type DiskConfig } from "./config.ts";
import { createRequestListener, startServer, type DiskServer, type OpenedObject, type ServeOptions } from "./handler.ts";
import { Layout, diskNameProblem } from "./layout.ts";
import { decodeCursor, encodeCursor, listNames } from "./listing.ts";
import { KeyedLock } from "./locks.ts";
import { Reclaimer } from "./reclaim.ts";
import { fingerprintOf, readSidecar, versionEtag, writeSidecar, writeSidecarNow, type Sidecar } from "./sidecar.ts";
import { NO_FOLLOW, isLinkError, realPathOf, realPathOfNow, reopenablePath } from "./confine.ts";
import { signedQuery } from "./signing.ts";
import { QUICK_BYTES, copyInto, fileChunks, fileStream, md5Of, readInto, writeBufferNow, writeFileFrom, type FileHandle, type Written } from "./files.ts";

export type { DiskConfig } from "./config.ts";
export type { DiskServer, ServeOptions } from "./handler.ts";

const DEFAULT_CONTENT_TYPE = "application/octet-stream";
// Opening a FIFO or device that someone put into the folder must not block a thread of the pool.
// The path opened is already resolved: a link that appears there since is refused, not followed.
const READ_FLAGS = constants.O_RDONLY | (constants.O_NONBLOCK ?? 0) | NO_FOLLOW;
/** Unfinished files of a live process (or of one that cannot be told) are removed at start after this long. */
const DEFAULT_PARTIAL_TIMEOUT_SECONDS = 3600;

/** Disk storage (`storages.DiskType`): objects as files under `directory`. A custom Type extends it and adds methods. */
export default class DiskStorage<Config extends DiskConfig = DiskConfig> extends Storage<Config> {
  /** The storage's folder, absolute: `directory` resolved against the app's folder. */
  readonly directory: string;
  readonly #base: BaseUrl | undefined;
  readonly #locks = new KeyedLock();
  readonly #reclaimer = new Reclaimer();
  readonly #servers = new Set<DiskServer>();
  #layout: Promise<Layout> | undefined;
  #autoServed: Promise<DiskServer> | undefined;

  constructor(context: ElementContext<Config>) {
    super(context);
    this.directory = resolve(this.app.dir, this.config.directory);
    this.#base = parseBaseUrl(this.config.baseUrl);
  }

  /** A Node request listener that serves this storage's signed URLs (GET and PUT) under baseUrl's path; mount it in any server. */
  requestHandler(): RequestListener {
    return createRequestListener({
      basePath: this.#base?.path ?? "",
      signingSecret: this.config.signingSecret,
      publicRead: this.config.publicRead === true,
      open: (name) => this.#openForServing(name),
      store: async (name, body, contentType, signal) => this.upload(name, body, { contentType, signal }),
    });
  }

  /** Starts an HTTP server for `requestHandler()`, by default at baseUrl's host and port; `app.close()` stops it. */
  async serve(options: ServeOptions = {}): Promise<DiskServer> {
    const host = options.host ?? this.#base?.hostname ?? "127.0.0.1";
    const port = options.port ?? this.#base?.port ?? 0;
    let server: DiskServer;
    try {
      server = await startServer(this.requestHandler(), host, port, this.#base?.path ?? "");
    } catch (error) {
      throw this.toStorageError("serve", undefined, error);
    }
    const tracked: DiskServer = {
      url: server.url,
      close: async () => {
        this.#servers.delete(tracked);
        await server.close();
      },
    };
    this.#servers.add(tracked);
    return tracked;
  }

  /**
   * Stops the servers that `serve()` (or `"serve": true`) started, and waits until the versions that uploads
   * replaced are freed (see reclaim.ts); the storage stays usable.
   */
  override async close(): Promise<void> {
    this.#autoServed = undefined;
    await Promise.all([...[...this.#servers].map((server) => server.close()), this.#reclaimer.settled()]);
  }

  // ─── Primitives ────────────────────────────────────────────────────────────────────────────────────────────

  protected override async putObject(name: string, body: UploadBody, request: PutRequest): Promise<{ etag: string; size: number }> {
    this.#checkName(name);
    const layout = await this.#ready();
    const temporary = await layout.partialPath();
    const fsync = this.config.fsync === true;
    // A small buffer takes every step at once (see QUICK_BYTES); with fsync, the flushes would block the event loop.
    const quick = body.kind === "buffer" && body.size <= QUICK_BYTES && !fsync;
    try {
      const written =
        quick && body.kind === "buffer"
          ? writeBufferNow(body.data, temporary, { progress: request.progress, signal: request.signal, placed: placedNowIn(layout, temporary) })
          : await writeFileFrom(body, temporary, {
              progress: request.progress,
              signal: request.signal,
              fsync,
              placed: placedIn(layout, temporary),
              before: () => folderIn(layout, temporary),
            });
      // Last chance to stop: after this the object replaces the old one, and an abort changes nothing.
      request.signal?.throwIfAborted();
      const sidecar = factsOf(written, request.contentType, request.meta);
      await this.#commit(layout, name, temporary, sidecar, quick);
      return { etag: sidecar.etag, size: written.size };
    } catch (error) {
      await rm(temporary, { force: true });
      throw error;
    }
  }

  protected override async readObject(name: string, range: ByteRange | undefined): Promise<{ stream: Readable; size: number | undefined }> {
    this.#checkName(name);
    const layout = await this.#ready();
    const { handle, stats } = await this.#open(layout, name);
    const size = Number(stats.size);
    const start = range?.start ?? 0;
    const end = Math.min(range?.end ?? size - 1, size - 1);
    if (start > 0 && start >= size) {
      await handle.close();
      throw new StorageFailure("InvalidRange", `the range starts at byte ${start}, past the end of the ${size}-byte object`, { status: 416 });
    }
    if (end < start) {
      await handle.close();
      return { stream: Readable.from([]), size: 0 };
    }
    return { stream: fileStream(handle, start, end), size: end - start + 1 };
  }

  protected override async readWhole(name: string): Promise<Buffer> {
    this.#checkName(name);
    const layout = await this.#ready();
    const { fd, stats } = this.#openNow(layout, name);
    try {
      // Straight into one buffer of the file's size: no chunks to collect and copy; one trip to the thread pool.
      return stats.size === 0n ? Buffer.alloc(0) : await readInto(fd, 0, Number(stats.size) - 1);
    } finally {
      closeSync(fd);
    }
  }

  /**
   * The MD5 of the object's bytes, upper-case hex (what a service's ETag of an object stored whole is). Computed on
   * first asking and kept with the object's facts until the object changes, since a disk storage's ETag is not
   * one (see the README).
   */
  async contentMd5(name: string): Promise<string> {
    try {
      const problem = objectNameProblem(name);
      if (problem !== undefined) throw new StorageFailure("INVALID_OBJECT_NAME", problem);
      this.#checkName(name);
      const layout = await this.#ready();
      const meta = layout.metaPath(name);
      return await this.#locks.run(name, async () => {
        const { handle, stats } = await this.#open(layout, name);
        let md5: string;
        try {
          const sidecar = await readSidecar(layout, meta);
          const fits = sidecar !== undefined && sidecar.fingerprint === fingerprintOf(stats);
          if (fits && sidecar.md5 !== undefined) return sidecar.md5;
          md5 = await md5Of(fileChunks(handle));
          const after = await handle.stat({ bigint: true });
          // Kept only when the file did not change while it was read, and with facts that belong to it.
          if (fits && fingerprintOf(after) === sidecar.fingerprint) await writeSidecar(layout, meta, { ...sidecar, md5 }, { fsync: false });
        } finally {
          await handle.close();
        }
        return md5;
      });
    } catch (error) {
      throw this.toStorageError("contentMd5", name, error);
    }
  }

  protected override async statObject(name: string): Promise<ObjectInfo> {
    this.#checkName(name);
    return this.#describe(await this.#ready(), name);
  }

  protected override async removeObject(name: string): Promise<void> {
    this.#checkName(name);
    const layout = await this.#ready();
    const data = layout.dataPath(name);
    const meta = layout.metaPath(name);
    await this.#locks.run(name, async () => {
      // Both folders are checked before either file goes: unlinking through a link that leads out of the folder
      // would delete a file that is not the storage's.
      const [dataFolder, metaFolder] = await Promise.all([layout.folderOf(data), layout.folderOf(meta)]);
      if (dataFolder !== undefined) {
        const file = join(dataFolder, basename(data));
        try {
          await unlink(file);
        } catch (error) {
          // Missing, or a folder of other objects: either way there is no object of this name, which is success.
          if (!isMissing(error) && !(await isFolder(file))) throw error;
        }
      }
      if (metaFolder !== undefined) await unlink(join(metaFolder, basename(meta))).catch(ignoreMissing);
    });
    await Promise.all([layout.prune(data, layout.objects), layout.prune(meta, layout.metadata)]);
  }

  protected override async removeObjects(names: string[]): Promise<void> {
    // Refuse the whole batch before deleting any of it.
    names.forEach((name) => this.#checkName(name));
    await super.removeObjects(names);
  }

  protected override async listPage(request: { prefix: string; delimiter: string | undefined; cursor: string | undefined; pageSize: number }): Promise<ListPage> {
    const layout = await this.#ready();
    const folder = request.prefix.slice(0, request.prefix.lastIndexOf("/") + 1);
    if (folder !== "" && !(await this.#leadsInside(layout, join(layout.objects, folder)))) return { entries: [], cursor: undefined };
    const page = await listNames(layout.objects, { ...request, cursor: decodeCursor(request.cursor) });
    const entries = await mapInBatches(page.names, 16, async (listed): Promise<ListEntry | undefined> => {
      if (listed.type === "prefix") return listed;
      let info: ObjectInfo;
      try {
        info = await this.#describe(layout, listed.name);
      } catch (error) {
        // Deleted since the folder was read, or a file dropped in by hand under a name no object can have.
        if (error instanceof StorageFailure && (error.code === NO_SUCH_KEY || error.code === "INVALID_OBJECT_NAME")) return undefined;
        throw error;
      }
      return { type: "object", name: info.name, size: info.size, etag: info.etag, lastModified: info.lastModified };
    });
    return { entries: entries.filter((entry) => entry !== undefined), cursor: page.cursor === undefined ? undefined : encodeCursor(page.cursor) };
  }

  protected override async copyObject(from: string, to: string): Promise<{ etag: string }> {
    this.#checkName(from);
    this.#checkName(to, "the target name");
    const layout = await this.#ready();
    const { handle } = await this.#open(layout, from);
    const temporary = await layout.partialPath();
    try {
      const facts = factsFor(await readSidecar(layout, layout.metaPath(from)));
      const options = { progress: () => {}, signal: undefined, fsync: this.config.fsync === true, placed: placedIn(layout, temporary), before: () => folderIn(layout, temporary) };
      // The kernel copies the very file that was opened and checked (copy_file_range, or a reflink); where it
      // cannot be named again, the bytes go through this process.
      const reopened = reopenablePath(handle);
      const written =
        reopened === undefined
          ? await writeFileFrom({ kind: "chunks", chunks: fileChunks(handle) }, temporary, options)
          : await copyInto(reopened, undefined, temporary, options);
      const sidecar = factsOf(written, facts.contentType, facts.meta);
      await this.#commit(layout, to, temporary, sidecar);
      return { etag: sidecar.etag };
    } catch (error) {
      await rm(temporary, { force: true });
      throw error;
    } finally {
      await handle.close();
    }
  }

  protected override async signUrl(name: string, request: { method: "GET" | "PUT"; contentType: string; expires: number }): Promise<string> {
    const base = this.#base;
    const secret = this.config.signingSecret;
    if (base === undefined || secret === undefined) {
      const missing = [base === undefined ? "baseUrl" : undefined, secret === undefined ? "signingSecret" : undefined].filter((field) => field !== undefined);
      throw new StorageFailure(
        "CONFIG_MISSING",
        `signed URLs of a disk storage need ${missing.join(" and ")} in the business config of ${this.fullName}: ` +
          `baseUrl is where its request handler is reached (e.g. "http://localhost:9300/files", with "serve": true to start it), ` +
          `signingSecret the key that signs them (e.g. "\${DISK_SIGNING_SECRET}", at least 16 characters)`,
      );
    }
    this.#checkName(name);
    await this.#ready();
    const expires = Math.floor(Date.now() / 1000) + request.expires;
    const query = signedQuery(secret, { method: request.method, name, expires, contentType: request.contentType });
    return `${base.href}/${encodeName(name)}?${query}`;
  }

  protected override objectUrl(name: string): string {
    if (this.#base !== undefined) return `${this.#base.href}/${encodeName(name)}`;
    return pathToFileURL(join(this.directory, "objects", ...name.split("/"))).href;
  }

  protected override describeFailure(error: unknown): FailureFacts {
    const code = (error as NodeJS.ErrnoException | null)?.code;
    switch (code) {
      case "EACCES":
      case "EPERM":
        return { code, explanation: `this process may not read or write ${this.directory}: check the folder's owner and permissions` };
      case "ENOSPC":
      case "EDQUOT":
        return { code, explanation: `the disk of ${this.directory} is full (or its quota is used up); nothing was stored` };
      case "EROFS":
        return { code, explanation: `${this.directory} is on a read-only filesystem` };
      case "EMFILE":
      case "ENFILE":
        return { code, explanation: "too many files are open in this process or system: lower the number of parallel operations, or raise the limit (ulimit -n)" };
      case "EADDRINUSE": {
        const { address, port } = error as { address?: unknown; port?: unknown };
        return { code, explanation: `${String(address)}:${String(port)} is already in use: stop what listens there, or serve on another port (baseUrl: ${this.config.baseUrl ?? "none"})` };
      }
      default:
        return super.describeFailure(error);
    }
  }

  /** The signing secret; the folder and baseUrl stay readable in messages even when they came from the environment. */
  protected override secretValues(): string[] {
    return this.config.signingSecret === undefined ? [] : [this.config.signingSecret];
  }

  // ─── Helpers ───────────────────────────────────────────────────────────────────────────────────────────────

  /** The folder's layout, made on first use; with `"serve": true`, the handler's server too. */
  async #ready(): Promise<Layout> {
    const partialTimeoutMs = (this.config.partialTimeoutSeconds ?? DEFAULT_PARTIAL_TIMEOUT_SECONDS) * 1000;
    this.#layout ??= Layout.open(this.directory, { partialTimeoutMs }).catch((error: unknown) => {
      this.#layout = undefined;
      throw error;
    });
    const layout = await this.#layout;
    if (this.config.serve === true) {
      this.#autoServed ??= this.serve().catch((error: unknown) => {
        this.#autoServed = undefined;
        throw error;
      });
      await this.#autoServed;
    }
    return layout;
  }

  /** Throws INVALID_OBJECT_NAME for a name that cannot be a file under the folder. */
  #checkName(name: string, label?: string): void {
    const problem = diskNameProblem(name);
    if (problem !== undefined) throw new StorageFailure("INVALID_OBJECT_NAME", label === undefined ? problem : `${label} ${JSON.stringify(name)} is not valid: ${problem}`);
  }

  /** Opens the object file of `name` for reading: a regular file inside the folder, or NoSuchKey. */
  async #open(layout: Layout, name: string): Promise<{ handle: FileHandle; stats: BigIntStats }> {
    const path = layout.dataPath(name);
    let handle: FileHandle;
    let openedAs = path;
    try {
      // Opened as named, with no link followed in the last place; a link there (which may stay inside the
      // folder) is resolved first and the file it leads to opened the same way.
      handle = await open(path, READ_FLAGS).catch(async (error: unknown) => {
        if (!isLinkError(error)) throw error;
        const real = await realpath(path);
        layout.check(path, real);
        openedAs = real;
        return open(real, READ_FLAGS).catch((again: unknown) => {
          // A link put where the resolved file was, since it was resolved.
          throw isLinkError(again) ? layout.refusal(path) : again;
        });
      });
    } catch (error) {
      if (isMissing(error)) throw noSuchKey();
      throw error;
    }
    try {
      // Where the open file really is: a folder on the way may be a link, or have been swapped for one.
      const [opened, stats] = await Promise.all([realPathOf(handle, openedAs), handle.stat({ bigint: true })]);
      layout.check(path, opened);
      if (!stats.isFile()) throw noSuchKey();
      return { handle, stats };
    } catch (error) {
      await handle.close();
      throw error;
    }
  }

  /**
   * `#open` by synchronous calls, for reading a whole object: the open, the look at where the file really is, its
   * stats and (by the caller) the close move no bytes and take a few µs each, less than their trips to the thread
   * pool (the same trade as the small writes make, see QUICK_BYTES). The bytes themselves are read in the pool.
   */
  #openNow(layout: Layout, name: string): { fd: number; stats: BigIntStats } {
    const path = layout.dataPath(name);
    let fd: number;
    let openedAs = path;
    try {
      try {
        fd = openSync(path, READ_FLAGS);
      } catch (error) {
        if (!isLinkError(error)) throw error;
        const real = realpathSync.native(path);
        layout.check(path, real);
        openedAs = real;
        try {
          fd = openSync(real, READ_FLAGS);
        } catch (again) {
          throw isLinkError(again) ? layout.refusal(path) : again;
        }
      }
    } catch (error) {
      if (isMissing(error)) throw noSuchKey();
      throw error;
    }
    try {
      layout.check(path, realPathOfNow(fd, openedAs));
      const stats = fstatSync(fd, { bigint: true });
      if (!stats.isFile()) throw noSuchKey();
      return { fd, stats };
    } catch (error) {
      closeSync(fd);
      throw error;
    }
  }

  /** The file's stats, with the same checks as `#open`. */
  async #statFile(layout: Layout, name: string): Promise<{ stats: BigIntStats }> {
    const path = layout.dataPath(name);
    let real: string;
    let stats: BigIntStats;
    try {
      real = await realpath(path);
      layout.check(path, real);
      stats = await lstat(real, { bigint: true });
    } catch (error) {
      if (isMissing(error)) throw noSuchKey();
      throw error;
    }
    if (!stats.isFile()) throw noSuchKey();
    return { stats };
  }

  /**
   * The object's facts. Facts that do not fit the file are looked at again once writes of the name are done; a
   * file put there or changed by hand (or a crash between the rename and the facts) gets its ETag from its stats,
   * and the content type and metadata of the facts there are, which is better than none.
   */
  async #describe(layout: Layout, name: string): Promise<ObjectInfo> {
    const look = () => Promise.all([this.#statFile(layout, name), readSidecar(layout, layout.metaPath(name))]);
    const [{ stats }, sidecar] = await look();
    if (sidecar !== undefined && sidecar.fingerprint === fingerprintOf(stats)) return infoOf(name, stats, sidecar);
    return this.#locks.run(name, async () => {
      const [{ stats }, sidecar] = await look();
      if (sidecar !== undefined && sidecar.fingerprint === fingerprintOf(stats)) return infoOf(name, stats, sidecar);
      const facts = factsFor(sidecar);
      return infoOf(name, stats, { contentType: facts.contentType, meta: facts.meta, etag: versionEtag(stats, false), fingerprint: fingerprintOf(stats) });
    });
  }

  /**
   * Renames the whole file `temporary` into place as `name`, then writes its facts beside it. `quick`: the folders'
   * real paths, the rename and the facts go by synchronous calls, in less time than their trips to the thread pool
   * (a small object, no fsync); folders still to be made still go the asynchronous way.
   */
  async #commit(layout: Layout, name: string, temporary: string, sidecar: Sidecar, quick = false): Promise<void> {
    const target = layout.dataPath(name);
    const meta = layout.metaPath(name);
    // The version being replaced keeps a second name under partial/ until the new one is in place: a rename that
    // drops a file's last name frees the file inside the rename (on ext4 about 1 ms per MiB, seconds for a large
    // one), and the upload would wait for it. That name is removed after the upload returns (see reclaim.ts).
    const retired = `${temporary}.retired`;
    let retiring = false;
    const folderOf = async (path: string) => (quick ? layout.folderOfNow(path) : await layout.folderOf(path));
    await this.#reclaimer.room();
    try {
      await this.#locks.run(name, async () => {
        // The facts' folder is checked (and made) before the bytes go into place, so that an object whose facts
        // could not be written is never stored.
        const metaFolder = (await folderOf(meta)) ?? (await layout.makeFoldersOf(meta, layout.metadata));
        for (let attempt = 1; ; attempt++) {
          // The real folder, resolved now: the rename goes there, not through a link put on the way since.
          let folder = await folderOf(target);
          if (folder === undefined) {
            await this.#makeFolder(layout, name, dirname(target));
            folder = await folderOf(target);
          }
          try {
            if (folder === undefined) throw Object.assign(new Error("the object's folder is gone"), { code: "ENOENT" });
            const destination = join(folder, basename(target));
            if (quick) {
              if (!retiring) retiring = retireNow(destination, retired);
              renameSync(temporary, destination);
            } else {
              if (!retiring) retiring = await link(destination, retired).then(() => true, () => false);
              await rename(temporary, destination);
            }
            break;
          } catch (error) {
            const code = (error as NodeJS.ErrnoException).code;
            // A delete of the folder's last object may have removed the folder just now: make it again.
            if (code === "ENOENT" && attempt < 4) continue;
            if (code === "EISDIR" || code === "ENOTDIR" || code === "ENOTEMPTY" || code === "EEXIST") throw clash(name);
            throw error;
          }
        }
        if (this.config.fsync === true) await syncFolder(dirname(target));
        // Facts written after the bytes, in place: a reader that comes between sees facts that do not fit the file
        // and waits for this lock; a crash between leaves facts that do not fit, which are recovered from the bytes.
        if (quick) writeSidecarNow(layout, meta, sidecar, metaFolder);
        else await writeSidecar(layout, join(metaFolder, basename(meta)), sidecar, { fsync: this.config.fsync === true, folder: metaFolder });
      });
    } finally {
      // Once the lock is free for the next writer of the name, and without holding up this upload.
      if (retiring) this.#reclaimer.free(retired);
    }
  }

  /** Makes `folder` (the folder of `name`'s file) unless it exists, after checking that it stays inside. */
  async #makeFolder(layout: Layout, name: string, folder: string): Promise<void> {
    // Resolve the nearest folder that exists before making any: a link on the way out must not get folders made
    // outside.
    let existing = folder;
    let real: string;
    for (;;) {
      try {
        real = await realpath(existing);
        break;
      } catch (error) {
        const code = (error as NodeJS.ErrnoException).code;
        if (code === "ENOENT" && existing !== layout.objects) existing = dirname(existing);
        else if (code === "ENOTDIR") throw clash(name);
        else throw error;
      }
    }
    if (!layout.contains(real)) throw outside(name);
    if (existing === folder) return;
    try {
      await mkdir(folder, { recursive: true });
    } catch (error) {
      const code = (error as NodeJS.ErrnoException).code;
      if (code === "ENOTDIR" || code === "EEXIST") throw clash(name);
      throw error;
    }
  }

  /** Whether `path` exists and, with every link resolved, is inside the folder. */
  async #leadsInside(layout: Layout, path: string): Promise<boolean> {
    try {
      return layout.contains(await realpath(path));
    } catch {
      return false;
    }
  }

  /** The object opened for the request handler: facts and bytes, failures as StorageErrors. */
  async #openForServing(name: string): Promise<OpenedObject> {
    try {
      const problem = objectNameProblem(name);
      if (problem !== undefined) throw new StorageFailure("INVALID_OBJECT_NAME", problem);
      this.#checkName(name);
      const layout = await this.#ready();
      const { handle, stats } = await this.#open(layout, name);
      // Facts behind a link are not read: the bytes are then served without them.
      const sidecar = await readSidecar(layout, layout.metaPath(name)).catch(() => undefined);
      // Facts that do not fit the file are not served; the bytes are, as the service would serve them.
      const fits = sidecar !== undefined && sidecar.fingerprint === fingerprintOf(stats);
      return {
        size: Number(stats.size),
        etag: fits ? sidecar.etag : versionEtag(stats, false),
        contentType: fits ? sidecar.contentType : DEFAULT_CONTENT_TYPE,
        lastModified: stats.mtime,
        read: (start, end) => fileStream(handle, start, end),
        close: () => handle.close(),
      };
    } catch (error) {
      throw this.toStorageError("serve", name, error);
    }
  }
}

/** The facts of a version just written. */
function factsOf(written: Written, contentType: string, meta: Record<string, string>): Sidecar {
  return { contentType, meta, etag: versionEtag(written.stats), fingerprint: fingerprintOf(written.stats) };
}

/** Throws unless the folder of `path` (under partial/) is where it must be, before the kernel copies a file there. */
async function folderIn(layout: Layout, path: string): Promise<void> {
  await layout.folderOf(path);
}

function infoOf(name: string, stats: BigIntStats, sidecar: Sidecar): ObjectInfo {
  return { name, size: Number(stats.size), etag: sidecar.etag, contentType: sidecar.contentType, lastModified: stats.mtime, meta: { ...sidecar.meta } };
}

/** Content type and metadata from facts that may belong to an earlier version of the file: better than none. */
function factsFor(sidecar: Sidecar | undefined): { contentType: string; meta: Record<string, string> } {
  return sidecar === undefined ? { contentType: DEFAULT_CONTENT_TYPE, meta: {} } : { contentType: sidecar.contentType, meta: sidecar.meta };
}

function noSuchKey(): StorageFailure {
  // The service's code and status, so that a missing object is the same error on every Type.
  return new StorageFailure(NO_SUCH_KEY, explain(NO_SUCH_KEY), { status: 404 });
}

function outside(name: string): StorageFailure {
  return new StorageFailure("AccessDenied", `the path of ${JSON.stringify(name)} goes through a symbolic link that leads out of the storage's folder; such links are never followed`, {
    status: 403,
  });
}

function clash(name: string): StorageFailure {
  return new StorageFailure(
    "NAME_CONFLICT",
    `on disk an object and a folder cannot share a name: either a leading part of ${JSON.stringify(name)} is already an object, or other objects' names start with ${JSON.stringify(`${name}/`)}`,
    { status: 409 },
  );
}

function isMissing(error: unknown): boolean {
  const code = (error as NodeJS.ErrnoException | null)?.code;
  return code === "ENOENT" || code === "ENOTDIR";
}

function ignoreMissing(error: unknown): void {
  if (!isMissing(error)) throw error;
}

/** The check `writeFileFrom` makes of a new file under partial/: it is there, not where a link leads. */
function placedIn(layout: Layout, path: string): (handle: FileHandle) => Promise<void> {
  return async (handle) => {
    const real = await realPathOf(handle, path);
    if (real === path) return;
    // A link put in partial/'s place: the file just made there is this write's own; it goes, then the refusal.
    await unlink(real).catch(() => {});
    throw layout.refusal(path);
  };
}

/** `placedIn` at once, for `writeBufferNow`. */
function placedNowIn(layout: Layout, path: string): (fd: number) => void {
  return (fd) => {
    const real = realPathOfNow(fd, path);
    if (real === path) return;
    try {
      unlinkSync(real);
    } catch {
      // Gone already: the refusal is what matters.
    }
    throw layout.refusal(path);
  };
}

/** Gives the file at `path` the second name `retired` (see `#commit`); false when it cannot have one. */
function retireNow(path: string, retired: string): boolean {
  try {
    linkSync(path, retired);
    return true;
  } catch {
    return false;
  }
}

async function isFolder(path: string): Promise<boolean> {
  try {
    return (await lstat(path)).isDirectory();
  } catch {
    return false;
  }
}

/** Makes a rename in `folder` durable: the folder's own entry list is flushed too. */
async function syncFolder(folder: string): Promise<void> {
  const handle = await open(folder, constants.O_RDONLY);
  try {
    await handle.sync();
  } finally {
    await handle.close();
  }
}

/** `action` over `items`, at most `width` at a time, results in order. */
async function mapInBatches<T, R>(items: readonly T[], width: number, action: (item: T) => Promise<R>): Promise<R[]> {
  const results: R[] = new Array<R>(items.length);
  let next = 0;
  const worker = async () => {
    for (let i = next++; i < items.length; i = next++) results[i] = await action(items[i]!);
  };
  await Promise.all(Array.from({ length: Math.min(width, items.length) }, worker));
  return results;
}
