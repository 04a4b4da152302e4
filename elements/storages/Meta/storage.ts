// The storages category's contract: what every storage Type offers app code. The facade owns what all Types share
// (name checks, argument checks, turning sources into bodies, wrapping every failure); a Type supplies primitives.
import { createWriteStream } from "node:fs";
import { rename, rm, stat } from "node:fs/promises";
import { basename, dirname, join } from "node:path";
import { Readable } from "node:stream";
import { pipeline } from "node:stream/promises";
import { randomUUID } from "node:crypto";
import { Element, REDACTED } from "../../../runtime/index.ts";
import { NO_SUCH_KEY, StorageError, StorageFailure, explain, sanitizeError, scrub } from "./errors.ts";
import { objectNameProblem, prefixProblem } from "./names.ts";
import { ResumingRead } from "./resume.ts";
import { RetriesExhausted } from "./retry.ts";
import type {
  ByteRange,
  CopyResult,
  DeleteManyResult,
  DeleteResult,
  DownloadOptions,
  DownloadToFileResult,
  FailureFacts,
  ListEntry,
  ListOptions,
  ListPage,
  ObjectInfo,
  PutRequest,
  SignUrlOptions,
  UploadBody,
  UploadOptions,
  UploadResult,
  UploadSource,
} from "./types.ts";

/** The longest a signed URL may live: seven days, the service's bound for V4. */
export const MAX_SIGN_SECONDS = 7 * 24 * 3600;

/** Base class of every storage element (`storages.*`): the methods app code calls, the primitives a Type supplies. */
export abstract class Storage<Config extends object = object> extends Element<Config> {
  #secrets: string[] | undefined;

  /** fullName of the instance, e.g. `storages.MyOss`. */
  get element(): string {
    return this.fullName;
  }

  /** fullName of its Type, e.g. `storages.OssType`. */
  get storageType(): string {
    return this.type;
  }

  // ─── The reference's methods ───────────────────────────────────────────────────────────────────────────────

  /** Stores `data` as `name`; large data goes up in parts. */
  async uploadByFile(name: string, data: Buffer | Uint8Array, contentType = "application/octet-stream"): Promise<UploadResult> {
    return this.#run("uploadByFile", name, async () => {
      if (!(data instanceof Uint8Array)) throw new StorageFailure("INVALID_ARGUMENT", "data must be a Buffer or Uint8Array; use upload() for streams and files");
      return this.#upload(name, data, { contentType });
    });
  }

  /**
   * The plain address of `name`, the `url` its upload returns: no request is made and nothing says the object
   * exists. It serves the bytes only where the object is public (a public bucket, `publicBaseUrl`, a served
   * folder); otherwise give out getSignUrl's.
   */
  urlOf(name: string): string {
    try {
      this.#checkName(name);
      return this.objectUrl(name);
    } catch (error) {
      throw this.#wrap("urlOf", name, error);
    }
  }

  /** A presigned URL: a GET that serves `file` as `contentType`, or with `{ method: "PUT" }` an upload bound to it. */
  async getSignUrl(file: string, contentType: string, expires = 300, options: SignUrlOptions = {}): Promise<string> {
    return this.#run("getSignUrl", file, async () => {
      const method = options.method ?? "GET";
      if (method !== "GET" && method !== "PUT") throw new StorageFailure("INVALID_ARGUMENT", `method must be "GET" or "PUT", not ${JSON.stringify(method)}`);
      if (typeof contentType !== "string" || contentType === "") throw new StorageFailure("INVALID_ARGUMENT", "contentType must be a MIME type such as image/jpeg");
      if (!Number.isInteger(expires) || expires < 1 || expires > MAX_SIGN_SECONDS) {
        throw new StorageFailure("INVALID_ARGUMENT", `expires must be a whole number of seconds from 1 to ${MAX_SIGN_SECONDS}, not ${String(expires)}`);
      }
      return this.signUrl(file, { method, contentType, expires });
    });
  }

  /** The bytes of `name`. */
  async download(name: string): Promise<Buffer> {
    return this.#run("download", name, async () => {
      return this.readWhole(name);
    });
  }

  /** The object's facts (size, ETag, Content-Type, last modified, metadata), without its bytes. */
  async getObject(name: string): Promise<ObjectInfo> {
    return this.#run("getObject", name, () => this.statObject(name));
  }

  /** Deletes `name`; deleting a missing object succeeds. */
  async delete(name: string): Promise<DeleteResult> {
    return this.#run("delete", name, async () => {
      await this.removeObject(name);
      return { name, deleted: true };
    });
  }

  // ─── Beyond the reference ──────────────────────────────────────────────────────────────────────────────────

  /** Stores a Buffer, a Readable or a local file (by path) as `name`, streamed, in parts when large. */
  async upload(name: string, source: UploadSource, options: UploadOptions = {}): Promise<UploadResult> {
    return this.#run("upload", name, () => this.#upload(name, source, options), { signal: options.signal });
  }

  /** A stream of the bytes of `name` (or of `range`), that resumes by itself when the connection breaks. */
  async downloadStream(name: string, options: DownloadOptions = {}): Promise<Readable> {
    return this.#run("downloadStream", name, async () => {
      const range = checkRange(options.range);
      const { stream } = await this.readObject(name, range);
      const report = (error: unknown) => this.#wrap("downloadStream", name, error);
      // A resumable read reports its own failures as ours: no second stream for every chunk to pass through.
      return stream instanceof ResumingRead ? stream.reportFailuresAs(report) : this.#guard(stream, report);
    });
  }

  /** Writes `name` to the file `path`: whole or not at all (a temporary file beside it, renamed at the end). */
  async downloadToFile(name: string, path: string): Promise<DownloadToFileResult> {
    return this.#run("downloadToFile", name, async () => {
      if (typeof path !== "string" || path === "") throw new StorageFailure("INVALID_ARGUMENT", "path must be the path of the file to write");
      const temporary = join(dirname(path), `.${basename(path)}.${randomUUID()}.part`);
      try {
        const { stream } = await this.readObject(name, undefined);
        await pipeline(stream, createWriteStream(temporary, { flags: "wx" }));
        const { size } = await stat(temporary);
        await rename(temporary, path);
        return { name, path, size };
      } catch (error) {
        await rm(temporary, { force: true });
        throw error;
      }
    });
  }

  /** Whether `name` exists. */
  async exists(name: string): Promise<boolean> {
    return this.#run("exists", name, async () => {
      try {
        await this.statObject(name);
        return true;
      } catch (error) {
        if (this.#facts(error).code === NO_SUCH_KEY) return false;
        throw error;
      }
    });
  }

  /** Every object (and, with a delimiter, every common prefix) under `prefix`, in name order, page by page. */
  async *list(options: ListOptions = {}): AsyncGenerator<ListEntry, void, undefined> {
    const prefix = options.prefix ?? "";
    const limit = options.limit ?? Number.POSITIVE_INFINITY;
    const pageSize = options.pageSize ?? 1000;
    const problem =
      prefixProblem(prefix) ??
      (options.delimiter !== undefined && (typeof options.delimiter !== "string" || options.delimiter === "") ? "delimiter must be a non-empty string" : undefined) ??
      (limit !== Number.POSITIVE_INFINITY && (!Number.isInteger(limit) || limit < 1) ? `limit must be a whole number above 0, not ${String(limit)}` : undefined) ??
      (!Number.isInteger(pageSize) || pageSize < 1 || pageSize > 1000 ? `pageSize must be a whole number from 1 to 1000, not ${String(pageSize)}` : undefined);
    if (problem !== undefined) {
      throw this.#wrap("list", undefined, new StorageFailure(problem.startsWith("a prefix") ? "INVALID_OBJECT_NAME" : "INVALID_ARGUMENT", problem));
    }
    let cursor: string | undefined;
    let yielded = 0;
    do {
      let page: ListPage;
      try {
        page = await this.listPage({ prefix, delimiter: options.delimiter, cursor, pageSize: Math.min(pageSize, limit - yielded) });
      } catch (error) {
        throw this.#wrap("list", undefined, error);
      }
      for (const entry of page.entries) {
        yield entry;
        if (++yielded >= limit) return;
      }
      cursor = page.cursor;
    } while (cursor !== undefined);
  }

  /** Copies `from` to `to` within the storage, without moving the bytes through this process. */
  async copy(from: string, to: string): Promise<CopyResult> {
    return this.#run("copy", from, async () => {
      this.#checkName(to, "the target name");
      const { etag } = await this.copyObject(from, to);
      return { name: to, source: from, etag };
    });
  }

  /** Deletes every name (missing ones included), in batches; safe to call in parallel. */
  async deleteMany(names: readonly string[]): Promise<DeleteManyResult> {
    return this.#run(
      "deleteMany",
      undefined,
      async () => {
        if (!Array.isArray(names)) throw new StorageFailure("INVALID_ARGUMENT", "names must be an array of object names");
        names.forEach((name, i) => this.#checkName(name, `names[${i}]`));
        const unique = [...new Set(names)];
        if (unique.length > 0) await this.removeObjects(unique);
        return { deleted: unique };
      },
      { unnamed: true },
    );
  }

  // ─── What a Type supplies ──────────────────────────────────────────────────────────────────────────────────
  // Names reaching a primitive are valid; arguments are checked; any error a primitive throws becomes a
  // StorageError, so primitives throw their client's errors as they come and explain them in describeFailure.

  /** Stores `body` as `name`; reports landed bytes through `request.progress`; stops on `request.signal`. */
  protected abstract putObject(name: string, body: UploadBody, request: PutRequest): Promise<{ etag: string; size: number }>;

  /** The bytes of `name` (or `range`) as a stream, and their count when known. Rejects with a missing object's error. */
  protected abstract readObject(name: string, range: ByteRange | undefined): Promise<{ stream: Readable; size: number | undefined }>;

  /** The whole bytes of `name`; by default collected from readObject. A Type that can read a whole object faster overrides it. */
  protected async readWhole(name: string): Promise<Buffer> {
    const { stream, size } = await this.readObject(name, undefined);
    return collect(stream, size);
  }

  /** The facts of `name`. */
  protected abstract statObject(name: string): Promise<ObjectInfo>;

  /** Deletes `name`; a missing object is no error. */
  protected abstract removeObject(name: string): Promise<void>;

  /** Deletes `names` (distinct, valid); by default a few at a time with removeObject. */
  protected async removeObjects(names: string[]): Promise<void> {
    const queue = [...names];
    const worker = async () => {
      for (let name = queue.shift(); name !== undefined; name = queue.shift()) await this.removeObject(name);
    };
    await Promise.all(Array.from({ length: Math.min(8, queue.length) }, worker));
  }

  /** One page of a listing, starting at `cursor` (undefined for the first page), at most `pageSize` entries. */
  protected abstract listPage(request: { prefix: string; delimiter: string | undefined; cursor: string | undefined; pageSize: number }): Promise<ListPage>;

  /** Copies `from` to `to`. */
  protected abstract copyObject(from: string, to: string): Promise<{ etag: string }>;

  /** A presigned URL for `name`. */
  protected abstract signUrl(name: string, request: { method: "GET" | "PUT"; contentType: string; expires: number }): Promise<string>;

  /** The object's plain address, as upload results give it. */
  protected abstract objectUrl(name: string): string;

  /** Code, status, request id and words for an error a primitive threw. The default knows Node's and ours. */
  protected describeFailure(error: unknown): FailureFacts {
    if (error instanceof StorageError) return { code: error.code, status: error.status, requestId: error.requestId };
    if (error instanceof StorageFailure) return { code: error.code, status: error.status, explanation: error.explanation, stored: error.stored, etag: error.etag };
    if (error instanceof Error && error.name === "AbortError") return { code: "ABORTED" };
    const fields = (error ?? {}) as { code?: unknown; status?: unknown; requestId?: unknown };
    const code = typeof fields.code === "string" && fields.code !== "" ? fields.code : "UNEXPECTED";
    const known = explain(code);
    return {
      code,
      status: typeof fields.status === "number" ? fields.status : undefined,
      requestId: typeof fields.requestId === "string" ? fields.requestId : undefined,
      explanation: known !== "" ? known : error instanceof Error ? error.message : String(error),
    };
  }

  /**
   * Strings that must never appear in an error: by default every config value the config itself redacts (fields
   * the schemas mark secret, values from the environment under secret-looking names).
   */
  protected secretValues(): string[] {
    this.#secrets ??= redactedValues(this.config, JSON.parse(JSON.stringify(this.config)) as unknown);
    return this.#secrets;
  }

  /** A StorageError for `error`, for Types that report failures outside a facade method (e.g. in a stream). */
  protected toStorageError(operation: string, objectName: string | undefined, error: unknown): StorageError {
    return this.#wrap(operation, objectName, error);
  }

  // ─── Helpers ───────────────────────────────────────────────────────────────────────────────────────────────

  /** Checks the name (unless `unnamed`), runs `action`, and turns whatever it throws into a StorageError. */
  async #run<T>(operation: string, objectName: string | undefined, action: () => Promise<T>, options: { signal?: AbortSignal; unnamed?: boolean } = {}): Promise<T> {
    const { signal } = options;
    try {
      if (options.unnamed !== true) this.#checkName(objectName);
      return await action();
    } catch (error) {
      if (signal?.aborted === true && !["INVALID_OBJECT_NAME", "INVALID_ARGUMENT"].includes(this.#facts(error).code)) {
        // A Type's own ABORTED says what became of the object (stored, not stored, or unknown): kept as it is.
        if (error instanceof StorageFailure && error.code === "ABORTED") throw this.#wrap(operation, objectName, error);
        throw this.#wrap(operation, objectName, new StorageFailure("ABORTED", "it was aborted before it finished; nothing was stored", { cause: error, stored: false }));
      }
      throw this.#wrap(operation, objectName, error);
    }
  }

  /** Throws INVALID_OBJECT_NAME unless `name` is valid; `label` says which name when there are several. */
  #checkName(name: unknown, label?: string): void {
    const problem = objectNameProblem(name);
    if (problem !== undefined) throw new StorageFailure("INVALID_OBJECT_NAME", label === undefined ? problem : `${label} ${JSON.stringify(name) ?? String(name)} is not valid: ${problem}`);
  }

  #facts(error: unknown): FailureFacts {
    const inner = error instanceof RetriesExhausted ? error.last : error;
    const facts = this.describeFailure(inner);
    return error instanceof RetriesExhausted ? { ...facts, attempts: error.attempts } : facts;
  }

  #wrap(operation: string, objectName: string | undefined, error: unknown): StorageError {
    if (error instanceof StorageError && error.element === this.fullName) return error;
    const facts = this.#facts(error);
    const secrets = this.secretValues();
    const inner = error instanceof RetriesExhausted ? error.last : error;
    return new StorageError({
      element: this.fullName,
      storageType: this.type,
      operation,
      objectName: typeof objectName === "string" ? objectName : undefined,
      code: facts.code,
      status: facts.status,
      requestId: facts.requestId,
      explanation: facts.explanation === undefined ? undefined : scrub(facts.explanation, secrets),
      attempts: facts.attempts,
      stored: facts.stored,
      etag: facts.etag,
      cause: inner instanceof StorageFailure && inner.cause === undefined ? undefined : sanitizeError(inner instanceof StorageFailure ? inner.cause : inner, secrets),
    });
  }

  async #upload(name: string, source: UploadSource, options: UploadOptions): Promise<UploadResult> {
    options.signal?.throwIfAborted();
    const contentType = options.contentType ?? "application/octet-stream";
    if (typeof contentType !== "string" || contentType === "") throw new StorageFailure("INVALID_ARGUMENT", "contentType must be a MIME type such as text/plain");
    const meta = checkMeta(options.meta);
    const body = await toBody(source);
    const onProgress = options.onProgress;
    let reported: number | undefined;
    const progress = (loaded: number) => {
      reported = loaded;
      onProgress?.({ loaded, total: body.size });
    };
    // An abort that comes after the object has landed changes nothing: the result says what happened.
    const { etag, size } = await this.putObject(name, body, { contentType, meta, progress, signal: options.signal });
    if (reported !== size || body.size === undefined) onProgress?.({ loaded: size, total: size });
    return { url: this.objectUrl(name), name, size, etag, contentType };
  }

  /** `stream`, with its errors turned into StorageErrors by `report`. */
  #guard(stream: Readable, report: (error: unknown) => Error): Readable {
    const out = new Readable({
      highWaterMark: stream.readableHighWaterMark,
      read() {
        if (stream.isPaused()) stream.resume();
      },
      destroy(error, callback) {
        stream.destroy();
        callback(error);
      },
    });
    stream.on("data", (chunk: Buffer) => {
      if (!out.push(chunk)) stream.pause();
    });
    stream.once("end", () => out.push(null));
    stream.once("error", (error) => out.destroy(report(error)));
    return out;
  }
}

declare module "../../../runtime/index.ts" {
  interface CategoryMap {
    storages: Storage;
  }
}

/** What `upload` was given, as a body a Type can send: sizes known where they can be, nothing read yet. */
async function toBody(source: UploadSource): Promise<UploadBody> {
  if (Buffer.isBuffer(source)) return { kind: "buffer", data: source, size: source.length };
  if (source instanceof Uint8Array) {
    const data = Buffer.from(source.buffer, source.byteOffset, source.byteLength);
    return { kind: "buffer", data, size: data.length };
  }
  if (typeof source === "string") {
    let info;
    try {
      info = await stat(source);
    } catch (error) {
      const code = (error as NodeJS.ErrnoException).code ?? "UNEXPECTED";
      throw new StorageFailure(code, `the file to upload, ${source}, cannot be read (${code})`, { cause: error });
    }
    if (!info.isFile()) throw new StorageFailure("INVALID_ARGUMENT", `the path to upload, ${source}, is not a file`);
    return { kind: "file", path: source, size: info.size };
  }
  if (isReadable(source)) return { kind: "stream", stream: source, size: undefined };
  throw new StorageFailure("INVALID_ARGUMENT", "the source must be a Buffer, a Uint8Array, a Readable stream or the path of a file");
}

function isReadable(value: unknown): value is Readable {
  if (value instanceof Readable) return true;
  const candidate = value as { pipe?: unknown; on?: unknown; [Symbol.asyncIterator]?: unknown } | null;
  return typeof candidate === "object" && candidate !== null && typeof candidate.pipe === "function" && typeof candidate[Symbol.asyncIterator] === "function";
}

const META_NAME = /^[A-Za-z0-9_-]+$/;

function checkMeta(meta: Record<string, string> | undefined): Record<string, string> {
  if (meta === undefined) return {};
  if (typeof meta !== "object" || meta === null || Array.isArray(meta)) throw new StorageFailure("INVALID_ARGUMENT", "meta must be an object of string values");
  const result: Record<string, string> = {};
  for (const [key, value] of Object.entries(meta)) {
    if (!META_NAME.test(key)) throw new StorageFailure("INVALID_ARGUMENT", `the meta name ${JSON.stringify(key)} may only hold letters, digits, "-" and "_"`);
    if (typeof value !== "string" || !/^[\x20-\x7e]*$/.test(value)) {
      throw new StorageFailure("INVALID_ARGUMENT", `the meta value of ${JSON.stringify(key)} must be a string of printable ASCII (encode other text, e.g. with encodeURIComponent)`);
    }
    result[key.toLowerCase()] = value;
  }
  return result;
}

function checkRange(range: ByteRange | undefined): ByteRange | undefined {
  if (range === undefined) return undefined;
  const { start, end } = range;
  if (!Number.isInteger(start) || start < 0) throw new StorageFailure("INVALID_ARGUMENT", `range.start must be a whole number of bytes from 0, not ${String(start)}`);
  if (end !== undefined && (!Number.isInteger(end) || end < start)) {
    throw new StorageFailure("INVALID_ARGUMENT", `range.end must be a whole number not below range.start (both included), not ${String(end)}`);
  }
  return { start, end };
}

/** Reads `stream` whole; into one allocation when its size is known. */
function collect(stream: Readable, size: number | undefined): Promise<Buffer> {
  // A small body is all in memory already: taken as it is, without a listener, a tick or a copy.
  const whole = size !== undefined && stream instanceof ResumingRead ? stream.takeWhole(size) : undefined;
  if (whole !== undefined) return Promise.resolve(whole);
  return new Promise((resolve, reject) => {
    const whole = size === undefined ? undefined : Buffer.allocUnsafe(size);
    const chunks: Buffer[] = [];
    let at = 0;
    const fail = (error: unknown) => {
      stream.destroy();
      reject(error);
    };
    stream.on("data", (chunk: Buffer) => {
      if (whole === undefined) chunks.push(chunk);
      else if (at + chunk.length > whole.length) return fail(new StorageFailure("INTEGRITY_ERROR", `more bytes arrived than the ${size} announced`));
      else chunk.copy(whole, at);
      at += chunk.length;
    });
    stream.once("error", fail);
    stream.once("end", () => {
      if (whole === undefined) resolve(Buffer.concat(chunks, at));
      else if (at !== whole.length) reject(new StorageFailure("INTEGRITY_ERROR", `${at} bytes arrived of the ${size} announced`));
      else resolve(whole);
    });
  });
}

/** The values of `config` that its redacted JSON form shows as `[redacted]`. */
function redactedValues(actual: unknown, shown: unknown): string[] {
  if (typeof actual === "string") return shown === REDACTED && actual !== "" ? [actual] : [];
  if (typeof actual !== "object" || actual === null || typeof shown !== "object" || shown === null) return [];
  const found: string[] = [];
  for (const [key, value] of Object.entries(actual)) found.push(...redactedValues(value, (shown as Record<string, unknown>)[key]));
  return found;
}
