// storages.services.StorageSvc: one service over every storage of the app, as JitAI's StorageSvc. Each call goes
// to the default storage or to one named per call; what it stores is recorded in the object's own metadata, files
// expire after the seconds given at upload, and previews, downloads and thumbnails are served over HTTP.
import { createHash } from "node:crypto";
import { createReadStream } from "node:fs";
import type { IncomingMessage, ServerResponse } from "node:http";
import { posix } from "node:path";
import { PassThrough, Readable } from "node:stream";
import { pipeline } from "node:stream/promises";
import { ElementError, type ElementInfo, type ElementName } from "../../../../runtime/index.ts";
import NormalService from "../../../services/NormalType/index.ts";
import { NO_SUCH_KEY, Storage, StorageError, type ObjectInfo, type SignUrlOptions, type UploadSource } from "../../Meta/index.ts";
import { isExpired, recordMeta, recordOf, type FileRecord } from "./records.ts";
import { contentTypeFor, fileNameProblem, isThumbnailOf, md5Name, thumbnailName } from "./names.ts";
import { contentDisposition, noneMatch, parseRange, rangeStillValid, type FileRequest, type FileResponse } from "./responses.ts";
import { DEFAULT_PIXEL_LIMIT, MAX_THUMBNAIL_SIDE, SIGNATURE_BYTES, ThumbnailRefused, imageFormatOf, makeThumbnail } from "./thumbnails.ts";
import { handleRequest } from "./handler.ts";

export type { FileRecord } from "./records.ts";
export type { FileRequest, FileResponse } from "./responses.ts";

/** The storage used when app.json names no default storage. */
export const FALLBACK_STORAGE = "storages.Default";

/** app.json `settings.storageSvc`: what the service does on its own. */
export interface StorageSvcSettings {
  /** Sweep expired files every this many seconds (off when not set); `app.close()` stops it. */
  sweepEvery?: number;
  /** The storages the timed sweep goes through (default: the default storage). */
  sweepStorages?: string[];
  /** The most pixels (width × height) an image may have to get a thumbnail (default 50 000 000). */
  thumbnailPixelLimit?: number;
}

export interface SweepOptions {
  /** The storage to sweep (a fullName); the default storage when not given. */
  storage?: string;
  /** Only files whose names start with this. */
  prefix?: string;
  /** Stops the sweep between files; it then rejects with code ABORTED, having deleted what it found so far. */
  signal?: AbortSignal;
  /** Find expired files but delete nothing. */
  dryRun?: boolean;
  /** Called after each page of files is looked at. */
  onProgress?: (progress: { scanned: number; expired: number }) => void;
}

export interface SweepResult {
  storage: string;
  /** How many files were looked at. */
  scanned: number;
  /** The names of the expired files found (deleted unless `dryRun`). */
  expired: string[];
  dryRun: boolean;
}

/** What `getSignUrl` takes besides the file: the Type's `expires` (seconds, default 300) and `method`. */
export interface ServiceSignUrlOptions extends SignUrlOptions {
  expires?: number;
}

/** How many files a sweep inspects at once. */
const SWEEP_PARALLEL = 8;

/** The storage service: JitAI's method names and argument order, each call with an optional `storage`. */
export default class StorageSvc extends NormalService {
  /** Where the service reads the time (ms since the epoch) to decide expiry; replace it to control the clock. */
  now: () => number = Date.now;
  #timer: NodeJS.Timeout | undefined;
  #lastSweep: Promise<Array<SweepResult | Error>> | undefined;
  readonly #thumbnailsInFlight = new Map<string, Promise<void>>();
  #elements: Map<string, ElementInfo> | undefined;

  constructor(...args: ConstructorParameters<typeof NormalService>) {
    super(...args);
    const settings = this.#settings();
    if (settings.sweepEvery !== undefined) {
      const seconds = settings.sweepEvery;
      this.#timer = setInterval(() => {
        this.#lastSweep ??= this.#timedSweep().finally(() => (this.#lastSweep = undefined));
      }, seconds * 1000);
      this.#timer.unref(); // a forgotten app.close() must not keep the process alive
    }
  }

  // ─── JitAI's methods ───────────────────────────────────────────────────────────────────────────────────────

  /**
   * Stores `data` (a Buffer, a Readable or a file path) as `file`, recorded in the object's metadata. With `md5`,
   * the stored name is `{md5}.{ext}` and the same bytes are stored once. `expires`: seconds until it expires.
   */
  async uploadByFile(file: string, data: UploadSource, md5?: string, contentType?: string, storage?: string, expires?: number): Promise<FileRecord> {
    const target = this.#storage(storage);
    this.#checkName(target, "uploadByFile", file);
    const fail = (explanation: string, code = "INVALID_ARGUMENT") => this.#error(target, "uploadByFile", file, code, explanation);
    if (md5 !== undefined && md5 !== null && (typeof md5 !== "string" || !/^[0-9a-fA-F]{32}$/.test(md5))) throw fail(`md5 must be 32 hexadecimal digits, not ${JSON.stringify(md5)}`);
    if (expires !== undefined && expires !== null && (!Number.isInteger(expires) || expires < 1)) {
      throw fail(`expires must be a positive whole number of seconds, not ${typeof expires === "number" ? String(expires) : JSON.stringify(expires)}`);
    }
    const claimed = typeof md5 === "string" ? md5.toLowerCase() : undefined;
    const type = typeof contentType === "string" && contentType !== "" ? contentType : contentTypeFor(file);
    const now = this.now();
    const expiresAt = typeof expires === "number" ? now + expires * 1000 : null;

    let digest = claimed;
    if (Buffer.isBuffer(data) || data instanceof Uint8Array) digest = md5Of(data);
    else if (typeof data === "string" && claimed !== undefined) digest = await md5OfFile(data).catch(() => claimed); // unreadable: upload() says why
    if (claimed !== undefined && digest !== claimed) throw fail(`md5 ${claimed} is not the MD5 of the data (${digest}); pass the right one, or none`);

    const name = claimed === undefined ? file : md5Name(file, claimed);
    if (claimed !== undefined) {
      const existing = await this.#stat(target, name);
      // The same bytes are there already: nothing new is stored, unless this upload must outlive that one.
      if (existing !== undefined && !isExpired(existing, now)) {
        const stored = recordOf(existing, target.fullName, this.#urlOf(target, name));
        if (stored.expires === null || (expiresAt !== null && stored.expires >= expiresAt)) return stored;
      }
    }

    const meta = recordMeta({ name, fileName: posix.basename(file), uploadTime: now, expires: expiresAt, md5: digest ?? null });
    if (claimed !== undefined && isReadable(data)) {
      // A stream's bytes are known only as they pass: hash them on the way and take the object back if they lie.
      const hash = createHash("md5");
      const counted = new PassThrough();
      counted.on("data", (chunk: Buffer) => hash.update(chunk));
      data.once("error", (error) => counted.destroy(error));
      data.pipe(counted);
      const result = await target.upload(name, counted, { contentType: type, meta });
      const actual = hash.digest("hex");
      if (actual !== claimed) {
        await target.delete(name);
        throw fail(`md5 ${claimed} is not the MD5 of the bytes that arrived (${actual}); nothing was kept`, "INTEGRITY_ERROR");
      }
      return this.#record(target, name, { ...result, meta, expiresAt, now, fileName: posix.basename(file), md5: claimed });
    }
    const result = await target.upload(name, data, { contentType: type, meta });
    return this.#record(target, name, { ...result, meta, expiresAt, now, fileName: posix.basename(file), md5: digest ?? null });
  }

  /** The bytes of `file`; a file past its expiry is deleted and is NO_SUCH_KEY. */
  async download(file: string, storage?: string): Promise<Buffer> {
    const target = this.#storage(storage);
    await this.#live(target, "download", file);
    return target.download(file);
  }

  /** A presigned URL for `file` (the storage's `getSignUrl`): a GET, or with `{ method: "PUT" }` a browser upload. */
  async getSignUrl(file: string, contentType: string, storage?: string, options: ServiceSignUrlOptions = {}): Promise<string> {
    const target = this.#storage(storage);
    const { expires = 300, ...signOptions } = options;
    if ((signOptions.method ?? "GET") === "GET") await this.#live(target, "getSignUrl", file);
    else this.#checkName(target, "getSignUrl", file);
    return target.getSignUrl(file, contentType, expires, signOptions);
  }

  /** Deletes `file` and the thumbnails made of it; deleting a missing file succeeds. */
  async delete(file: string, storage?: string): Promise<{ name: string; deleted: true }> {
    const target = this.#storage(storage);
    this.#checkName(target, "delete", file);
    await this.#remove(target, file);
    return { name: file, deleted: true };
  }

  /** The record of `file`: its uid, storage, upload time, expiry, md5, original name, url, size and type. */
  async getRecord(file: string, storage?: string): Promise<FileRecord> {
    const target = this.#storage(storage);
    const info = await this.#live(target, "getRecord", file);
    return recordOf(info, target.fullName, this.#urlOf(target, file));
  }

  /** `file` as an HTTP answer that shows it inline, with its Content-Type; ranges, ETag and HEAD honoured. */
  async preview(file: string, storage?: string, request: FileRequest = {}): Promise<FileResponse> {
    const target = this.#storage(storage);
    return this.#respond(target, file, await this.#live(target, "preview", file), request, "inline");
  }

  /**
   * A thumbnail of the image `name`, at most `width` × `height` (1–2048), as an HTTP answer. Made on first
   * request and stored beside the original as `<base>_<w>_<h>.<ext>`; served from there after.
   */
  async previewThumbnail(name: string, width = 120, height = 120, storage?: string, request: FileRequest = {}): Promise<FileResponse> {
    const target = this.#storage(storage);
    for (const [label, side] of [["width", width], ["height", height]] as const) {
      if (!Number.isInteger(side) || side < 1 || side > MAX_THUMBNAIL_SIDE) {
        throw this.#error(target, "previewThumbnail", name, "INVALID_ARGUMENT", `${label} must be a whole number of pixels from 1 to ${MAX_THUMBNAIL_SIDE}, not ${String(side)}`);
      }
    }
    const original = await this.#live(target, "previewThumbnail", name);
    const thumb = thumbnailName(name, width, height);
    let made = await this.#stat(target, thumb);
    if (made === undefined || isExpired(made, this.now())) {
      const key = `${target.fullName}\n${thumb}`;
      let pending = this.#thumbnailsInFlight.get(key);
      if (pending === undefined) {
        pending = this.#makeThumbnail(target, original, thumb, width, height).finally(() => this.#thumbnailsInFlight.delete(key));
        this.#thumbnailsInFlight.set(key, pending);
      }
      await pending;
      made = await this.#live(target, "previewThumbnail", thumb);
    }
    return this.#respond(target, thumb, made, request, "inline");
  }

  // ─── Beyond JitAI ──────────────────────────────────────────────────────────────────────────────────────────

  /** Deletes every expired file of a storage (paging through its listing); with `dryRun`, only finds them. */
  async sweepExpired(options: SweepOptions = {}): Promise<SweepResult> {
    const target = this.#storage(options.storage);
    const { signal, dryRun = false, onProgress } = options;
    const now = this.now();
    const expired: string[] = [];
    let scanned = 0;
    const aborted = () => this.#error(target, "sweepExpired", undefined, "ABORTED", `it was stopped after ${scanned} files; ${dryRun ? "nothing was deleted" : `${expired.length} expired files were deleted`}`);
    let batch: string[] = [];
    const inspect = async () => {
      const names = batch;
      batch = [];
      const found: string[] = [];
      await Promise.all(
        names.map(async (name) => {
          const info = await this.#stat(target, name);
          if (info !== undefined && isExpired(info, now)) found.push(name);
        }),
      );
      found.sort();
      if (!dryRun && found.length > 0) await target.deleteMany(found);
      expired.push(...found);
      scanned += names.length;
      onProgress?.({ scanned, expired: expired.length });
    };
    for await (const entry of target.list({ prefix: options.prefix })) {
      if (signal?.aborted === true) throw aborted();
      if (entry.type !== "object") continue;
      batch.push(entry.name);
      if (batch.length >= SWEEP_PARALLEL) await inspect();
    }
    if (signal?.aborted === true) throw aborted();
    await inspect();
    return { storage: target.fullName, scanned, expired, dryRun };
  }

  /**
   * A Node `(req, res)` listener serving `…/preview?file=…`, `…/download?file=…` (as an attachment) and
   * `…/previewThumbnail?name=…&width=…&height=…`, each with an optional `&storage=…`. Mount it in any server.
   */
  requestHandler(): (req: IncomingMessage, res: ServerResponse) => void {
    return (req, res) => {
      void handleRequest(req, res, {
        preview: (file, storage, request) => this.preview(file, storage, request),
        download: async (file, storage, request) => {
          const target = this.#storage(storage);
          return this.#respond(target, file, await this.#live(target, "download", file), request, "attachment");
        },
        previewThumbnail: (name, width, height, storage, request) => this.previewThumbnail(name, width, height, storage, request),
      });
    };
  }

  /** The timed sweep's run in progress, if one is: what it found in each storage, or why it failed there. */
  get lastSweep(): Promise<Array<SweepResult | Error>> | undefined {
    return this.#lastSweep;
  }

  /** The storage instance a call goes to: `storage` (a fullName), else the app's default storage. */
  storageFor(storage?: string): Storage {
    return this.#storage(storage);
  }

  override async close(): Promise<void> {
    if (this.#timer !== undefined) clearInterval(this.#timer);
    this.#timer = undefined;
    await this.#lastSweep;
  }

  // ─── Helpers ───────────────────────────────────────────────────────────────────────────────────────────────

  #settings(): StorageSvcSettings {
    const raw = this.app.settings.storageSvc;
    if (raw === undefined) return {};
    const file = `${this.app.dir}/app.json`;
    const problem = (pointer: string, message: string) =>
      new ElementError("SETTING_INVALID", `${this.fullName}: app.json's /settings/storageSvc${pointer} ${message}.`, {
        element: this.fullName,
        file,
        problems: [{ pointer: `/settings/storageSvc${pointer}`, keyword: "setting", message }],
      });
    if (typeof raw !== "object" || raw === null || Array.isArray(raw)) throw problem("", "must be an object, e.g. { \"sweepEvery\": 3600 }");
    const settings = raw as Record<string, unknown>;
    const known = ["sweepEvery", "sweepStorages", "thumbnailPixelLimit"];
    for (const key of Object.keys(settings)) if (!known.includes(key)) throw problem(`/${key}`, `is not a known setting (known: ${known.join(", ")})`);
    const positive = (key: string) => {
      const value = settings[key];
      if (value !== undefined && (!Number.isInteger(value) || (value as number) < 1)) throw problem(`/${key}`, `must be a positive whole number, not ${JSON.stringify(value)}`);
    };
    positive("sweepEvery");
    positive("thumbnailPixelLimit");
    const storages = settings.sweepStorages;
    if (storages !== undefined && (!Array.isArray(storages) || storages.some((s) => typeof s !== "string"))) throw problem("/sweepStorages", "must be a list of storage fullNames");
    return settings as StorageSvcSettings;
  }

  /** The storage named `storage`, or the default one; an ElementError that says what the app has otherwise. */
  #storage(storage: string | undefined): Storage {
    const file = `${this.app.dir}/app.json`;
    const storages = () => this.app.elements().filter((e) => e.kind === "Instance" && e.chain[e.chain.length - 1] === "storages.Meta").map((e) => e.fullName);
    const has = () => {
      const list = storages();
      return list.length > 0 ? `The app's storages: ${list.join(", ")}.` : "The app has no storage: declare one under storages/.";
    };
    let name = storage;
    if (name === undefined || name === null) {
      const configured = this.app.settings.defaultElement?.defaultStorage;
      if (configured !== undefined) {
        if (this.#info(configured) === undefined) {
          throw new ElementError("SETTING_INVALID", `${this.fullName}: app.json's settings.defaultElement.defaultStorage names "${configured}", but the app has no element of that name. ${has()}`, {
            element: configured,
            file,
            problems: [{ pointer: "/settings/defaultElement/defaultStorage", keyword: "element", message: "names no element" }],
          });
        }
        name = configured;
      } else if (this.#info(FALLBACK_STORAGE) !== undefined) {
        name = FALLBACK_STORAGE;
      } else {
        throw new ElementError(
          "SETTING_INVALID",
          `${this.fullName}: no storage named for this call, app.json has no settings.defaultElement.defaultStorage, and the app has no ${FALLBACK_STORAGE}. Pass a storage, or set "settings": { "defaultElement": { "defaultStorage": "storages.…" } }. ${has()}`,
          { element: this.fullName, file },
        );
      }
    }
    if (typeof name !== "string") throw new ElementError("ELEMENT_NOT_FOUND", `${this.fullName}: storage must be a storage's fullName, e.g. "storages.MyOss", not ${JSON.stringify(name)}. ${has()}`, { element: this.fullName });
    const info = this.#info(name);
    if (info === undefined) throw new ElementError("ELEMENT_NOT_FOUND", `${this.fullName}: the app has no storage "${name}". ${has()}`, { element: name });
    const what = info.kind === "Instance" ? `an instance of ${info.chain[1] ?? "?"} (${info.chain.join(" → ")})` : `a ${info.kind}`;
    if (info.kind !== "Instance" || info.chain[info.chain.length - 1] !== "storages.Meta") {
      throw new ElementError("ELEMENT_KIND", `${this.fullName}: "${name}" is not a storage: it is ${what}. ${has()}`, { element: name, file: info.file });
    }
    // A storage named at run time (a call's argument, a URL): the app's map types only the names code writes.
    const instance: object = this.app.getElement(name as ElementName);
    if (!(instance instanceof Storage)) throw new ElementError("ELEMENT_KIND", `${this.fullName}: "${name}" is not a storage: its class ${instance.constructor.name} does not extend Storage.`, { element: name, file: info.file });
    return instance;
  }

  /** The element named exactly `fullName` (not a selector: a storage name from a URL must not select several). */
  #info(fullName: string): ElementInfo | undefined {
    this.#elements ??= new Map(this.app.elements().map((e) => [e.fullName, e])); // an app's elements are fixed at load
    return this.#elements.get(fullName);
  }

  #checkName(target: Storage, operation: string, file: unknown): void {
    const problem = fileNameProblem(file);
    if (problem !== undefined) throw this.#error(target, operation, typeof file === "string" ? file : undefined, "INVALID_OBJECT_NAME", problem);
  }

  /** The facts of `file` if it is there and not expired; an expired file is deleted here, as JitAI does. */
  async #live(target: Storage, operation: string, file: string): Promise<ObjectInfo> {
    this.#checkName(target, operation, file);
    const info = await this.#stat(target, file);
    if (info === undefined) throw this.#error(target, operation, file, NO_SUCH_KEY, "the file does not exist", 404);
    if (isExpired(info, this.now())) {
      await this.#remove(target, file);
      throw this.#error(target, operation, file, NO_SUCH_KEY, "the file has expired (it has been deleted)", 404);
    }
    return info;
  }

  /** The facts of `name`, or undefined when it does not exist. */
  async #stat(target: Storage, name: string): Promise<ObjectInfo | undefined> {
    try {
      return await target.getObject(name);
    } catch (error) {
      if (error instanceof StorageError && error.code === NO_SUCH_KEY) return undefined;
      throw error;
    }
  }

  /** Deletes `name` and its thumbnails. */
  async #remove(target: Storage, name: string): Promise<void> {
    await target.delete(name);
    const { dir, name: base } = posix.parse(name);
    const thumbnails: string[] = [];
    for await (const entry of target.list({ prefix: `${dir === "" ? "" : `${dir}/`}${base}_` })) {
      if (entry.type === "object" && isThumbnailOf(entry.name, name)) thumbnails.push(entry.name);
    }
    if (thumbnails.length > 0) await target.deleteMany(thumbnails);
  }

  async #makeThumbnail(target: Storage, original: ObjectInfo, thumb: string, width: number, height: number): Promise<void> {
    // The first bytes say whether it is an image at all, before anything is decoded.
    const head = original.size === 0 ? Buffer.alloc(0) : await readHead(await target.downloadStream(original.name, { range: { start: 0, end: Math.min(SIGNATURE_BYTES, original.size) - 1 } }));
    const format = imageFormatOf(head);
    if (format === undefined) {
      throw this.#error(target, "previewThumbnail", original.name, "UNSUPPORTED_MEDIA_TYPE", `it is not a JPEG, PNG, WebP or GIF image (${original.contentType}), so it has no thumbnail`, 415);
    }
    let bytes: Buffer;
    try {
      bytes = await makeThumbnail(await target.downloadStream(original.name), format, width, height, this.#settings().thumbnailPixelLimit ?? DEFAULT_PIXEL_LIMIT);
    } catch (error) {
      if (!(error instanceof ThumbnailRefused)) throw error;
      throw error.reason === "too-large"
        ? this.#error(target, "previewThumbnail", original.name, "IMAGE_TOO_LARGE", error.message, 413)
        : this.#error(target, "previewThumbnail", original.name, "UNSUPPORTED_MEDIA_TYPE", error.message, 415);
    }
    // The thumbnail lives as long as its original: the same expiry, so sweeps and access take both.
    const expires = recordOf(original, target.fullName, "").expires;
    const meta = recordMeta({ name: thumb, fileName: posix.basename(thumb), uploadTime: this.now(), expires, md5: md5Of(bytes) });
    await target.upload(thumb, bytes, { contentType: `image/${format}`, meta });
  }

  async #respond(target: Storage, name: string, info: ObjectInfo, request: FileRequest, disposition: "inline" | "attachment"): Promise<FileResponse> {
    const record = recordOf(info, target.fullName, "");
    const headers: Record<string, string> = {
      "Content-Type": info.contentType,
      ETag: `"${info.etag}"`,
      "Last-Modified": info.lastModified.toUTCString(),
      "Accept-Ranges": "bytes",
      "Cache-Control": "no-cache", // revalidate with the ETag each time: the file may expire or be replaced
      "Content-Disposition": contentDisposition(disposition, record.fileName),
      "X-Content-Type-Options": "nosniff",
    };
    if (noneMatch(request.ifNoneMatch, info.etag)) return { status: 304, headers: withoutBodyHeaders(headers), body: undefined };
    const range = rangeStillValid(request.ifRange, info.etag) ? parseRange(request.range, info.size) : undefined;
    if (range === "unsatisfiable") {
      return { status: 416, headers: { ...withoutBodyHeaders(headers), "Content-Range": `bytes */${info.size}`, "Content-Length": "0" }, body: undefined };
    }
    const head = request.method === "HEAD";
    if (range !== undefined) {
      headers["Content-Range"] = `bytes ${range.start}-${range.end}/${info.size}`;
      headers["Content-Length"] = String(range.end - range.start + 1);
      return { status: 206, headers, body: head ? undefined : await target.downloadStream(name, { range }) };
    }
    headers["Content-Length"] = String(info.size);
    return { status: 200, headers, body: head || info.size === 0 ? (head ? undefined : Readable.from([])) : await target.downloadStream(name) };
  }

  /** The record right after an upload, from what the upload said (no extra request). */
  #record(target: Storage, name: string, facts: { url: string; size: number; etag: string; contentType: string; meta: Record<string, string>; expiresAt: number | null; now: number; fileName: string; md5: string | null }): FileRecord {
    const info: ObjectInfo = { name, size: facts.size, etag: facts.etag, contentType: facts.contentType, lastModified: new Date(facts.now), meta: facts.meta };
    return recordOf(info, target.fullName, this.#previewUrl(target, name, facts.url));
  }

  /** The url of `name` in `target`, as its uploads return it (rewritten to the preview route where it points there). */
  #urlOf(target: Storage, name: string): string {
    return this.#previewUrl(target, name, target.urlOf(name));
  }

  /**
   * JitAI's disk URLs point at this service's preview route (`…/storages/services/StorageSvc/preview?file=…`):
   * when a storage's base URL ends in `/preview`, its `<base>/<name>` becomes `<base>?file=<name>`.
   */
  #previewUrl(target: Storage, name: string, url: string): string {
    const tail = `/${name.split("/").map(encodeURIComponent).join("/")}`;
    if (!url.endsWith(tail)) return url;
    const base = url.slice(0, -tail.length);
    if (!/^https?:\/\/[^/]+\/(.*\/)?preview$/.test(base)) return url;
    const routed = this.app.settings.defaultElement?.defaultStorage ?? FALLBACK_STORAGE;
    return `${base}?file=${encodeURIComponent(name)}${target.fullName === routed ? "" : `&storage=${encodeURIComponent(target.fullName)}`}`;
  }

  #error(target: Storage, operation: string, file: string | undefined, code: string, explanation: string, status?: number): StorageError {
    return new StorageError({ element: target.fullName, storageType: target.storageType, operation, objectName: file, code, status, explanation });
  }

  async #timedSweep(): Promise<Array<SweepResult | Error>> {
    const settings = this.#settings();
    const names = settings.sweepStorages ?? [undefined];
    const results: Array<SweepResult | Error> = [];
    for (const storage of names) {
      try {
        results.push(await this.sweepExpired({ storage }));
      } catch (error) {
        // A timer has no caller to reject to: the failure is kept in lastSweep and said once, never thrown.
        const failure = error instanceof Error ? error : new Error(String(error));
        results.push(failure);
        console.warn(`${this.fullName}: the timed sweep of ${storage ?? "the default storage"} failed: ${failure.message}`);
      }
    }
    return results;
  }
}

function md5Of(data: Uint8Array): string {
  return createHash("md5").update(data).digest("hex");
}

async function md5OfFile(path: string): Promise<string> {
  const hash = createHash("md5");
  await pipeline(createReadStream(path), hash);
  return hash.digest("hex");
}

async function readHead(stream: Readable): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const chunk of stream) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks);
}

function isReadable(value: unknown): value is Readable {
  return typeof value === "object" && value !== null && typeof (value as Readable).pipe === "function" && typeof (value as Readable)[Symbol.asyncIterator] === "function";
}

function withoutBodyHeaders(headers: Record<string, string>): Record<string, string> {
  const { "Content-Type": _type, "Content-Disposition": _disposition, ...rest } = headers;
  return rest;
}

// Every app has this official instance: its type holds even where the app has no generated element map.
declare module "../../../../runtime/index.ts" {
  interface OfficialElementMap {
    "storages.services.StorageSvc": StorageSvc;
  }
}
