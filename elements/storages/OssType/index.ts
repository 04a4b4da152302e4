// storages.OssType: Aliyun OSS through the official ali-oss client, with what its users keep asking for on top:
// retries with backoff for 5xx too, multipart with a deadline per part, abort per upload, resumable downloads.
import { createHash } from "node:crypto";
import { createReadStream } from "node:fs";
import { Readable } from "node:stream";
import type OSS from "ali-oss";
import { Storage, StorageFailure, bufferParts, fileParts, partSizeFor, putWhole, settleBody, streamParts, resumingStream, uploadAbortError, withRetries } from "../Meta/index.ts";
import type { ByteRange, FailureFacts, ListEntry, ListPage, ObjectInfo, OpenedRead, Part, PutRequest, RetryPolicy, UploadBody } from "../Meta/index.ts";
import type { ElementContext } from "../../../runtime/index.ts";
import { makeClient, type ClientHandle } from "./client.ts";
import { escapeKey, resolveEndpoint, type Endpoint, type OssConfig } from "./config.ts";
import { describeClientFailure, isTransient } from "./failures.ts";
import { unquote, uploadInParts } from "./multipart.ts";

export type { OssConfig } from "./config.ts";

/** Aliyun OSS storage (`storages.OssType`). A custom Type extends it and adds methods. */
export default class OssStorage<Config extends OssConfig = OssConfig> extends Storage<Config> {
  /** Where and how requests go, read from the config once. */
  protected readonly endpoint: Endpoint;
  #handle: ClientHandle | undefined;

  constructor(context: ElementContext<Config>) {
    super(context);
    this.endpoint = resolveEndpoint(this.config);
  }

  /** The ali-oss client of this instance, made on first use: an escape hatch for what the facade does not offer. */
  get client(): OSS {
    return this.#clients().client;
  }

  /** Closes the client's sockets; the next call makes a new client. */
  override async close(): Promise<void> {
    const handle = this.#handle;
    this.#handle = undefined;
    handle?.destroy();
  }

  // ─── Primitives ────────────────────────────────────────────────────────────────────────────────────────────

  protected override async putObject(name: string, body: UploadBody, request: PutRequest): Promise<{ etag: string; size: number }> {
    const { multipartThreshold, partSize, timeout } = this.config;
    const headers = metaHeaders(request.meta);
    // A stream that stalls before its size is settled must not hold an aborted upload.
    const dropSource = () => (body.kind === "stream" ? body.stream.destroy(uploadAbortError()) : undefined);
    request.signal?.addEventListener("abort", dropSource, { once: true });
    let settled;
    try {
      settled = await settleBody(body, multipartThreshold);
    } finally {
      request.signal?.removeEventListener("abort", dropSource);
    }
    if (settled.kind === "large-stream") {
      return uploadInParts({
        ...this.#multipartBase(name, request, headers),
        parts: streamParts(settled.head, settled.rest, partSizeFor(undefined, partSize)),
        source: settled.stream,
      });
    }
    if (settled.size > multipartThreshold) {
      const size = partSizeFor(settled.size, partSize);
      const parts: Iterable<Part> = settled.kind === "buffer" ? bufferParts(settled.data, size) : fileParts(settled.path, settled.size, size);
      return { ...(await uploadInParts({ ...this.#multipartBase(name, request, headers), parts })), size: settled.size };
    }
    const client = this.client;
    const etag = await putWhole(
      {
        // A buffer goes as it is (the client adds its Content-MD5); a file is streamed, opened anew per attempt.
        async send() {
          if (settled.kind === "buffer") return client.put(name, settled.data, { mime: request.contentType, headers, timeout });
          const body = createReadStream(settled.path, { highWaterMark: 1 << 20 });
          try {
            return await client.put(name, body, { contentLength: settled.size, mime: request.contentType, headers, timeout });
          } finally {
            if (!body.destroyed) body.destroy();
          }
        },
        etagOf: (answer) => unquote(headerOf(answer.res.headers, "etag") ?? ""),
        head: async () => {
          try {
            const found = await withRetries(() => client.head(name, { timeout }), this.retryPolicy, isTransient);
            const modified = headerOf(found.res.headers, "last-modified");
            const size = Number(headerOf(found.res.headers, "content-length"));
            return { etag: unquote(headerOf(found.res.headers, "etag") ?? ""), size, lastModified: modified === undefined ? undefined : new Date(modified) };
          } catch (error) {
            if ((error as { status?: unknown }).status === 404) return undefined;
            throw error;
          }
        },
        statusOf: (error) => {
          const status = (error as { status?: unknown } | null)?.status;
          return typeof status === "number" ? status : undefined;
        },
        sent: () => ({ size: settled.size, md5Hex: settled.kind === "buffer" ? createHash("md5").update(settled.data).digest("hex") : undefined }),
      },
      { signal: request.signal, policy: this.retryPolicy, isTransient },
    );
    request.progress(settled.size);
    return { etag, size: settled.size };
  }

  protected override async readObject(name: string, range: ByteRange | undefined): Promise<{ stream: Readable; size: number | undefined }> {
    const client = this.client;
    const start = range?.start ?? 0;
    const end = range?.end;
    const open = async (offset: number, etag: string | undefined): Promise<OpenedRead> => {
      const headers: Record<string, string> = {};
      if (offset > 0 || end !== undefined) {
        headers.Range = `bytes=${offset}-${end ?? ""}`;
        // Without it the service ignores a range that runs past the end and sends the whole object; with it, the
        // range is cut at the end as HTTP says, and one that starts past the end is 416 InvalidRange.
        headers["x-oss-range-behavior"] = "standard";
      }
      if (etag !== undefined) headers["If-Match"] = `"${etag}"`;
      const result = await client.getStream(name, { headers, timeout: this.config.timeout });
      const stream = result.stream as Readable;
      if (headers.Range !== undefined && result.res.status !== 206) {
        stream.destroy();
        throw new StorageFailure("INTEGRITY_ERROR", `the service ignored the byte range ${headers.Range}`);
      }
      const length = headerOf(result.res.headers, "content-length");
      const tag = headerOf(result.res.headers, "etag");
      return { stream, length: length === undefined ? undefined : Number(length), etag: tag === undefined ? undefined : unquote(tag) };
    };
    const first = await withRetries(() => open(start, undefined), this.retryPolicy, isTransient);
    const stream = resumingStream(first, { start, open, policy: this.retryPolicy, isTransient, idleTimeoutMs: this.config.timeout });
    return { stream, size: first.length };
  }

  protected override async statObject(name: string): Promise<ObjectInfo> {
    const client = this.client;
    const result = await withRetries(() => client.head(name, { timeout: this.config.timeout }), this.retryPolicy, isTransient);
    const headers = result.res.headers;
    const meta: Record<string, string> = {};
    for (const [key, value] of Object.entries((result.meta ?? {}) as Record<string, unknown>)) {
      if (value !== undefined && value !== null) meta[key.toLowerCase()] = fromHeaderValue(String(value));
    }
    const lastModified = headerOf(headers, "last-modified");
    return {
      name,
      size: Number(headerOf(headers, "content-length") ?? 0),
      etag: unquote(headerOf(headers, "etag") ?? ""),
      contentType: headerOf(headers, "content-type") ?? "application/octet-stream",
      lastModified: lastModified === undefined ? new Date(0) : new Date(lastModified),
      meta,
    };
  }

  protected override async removeObject(name: string): Promise<void> {
    const client = this.client;
    await withRetries(() => client.delete(name, { timeout: this.config.timeout }), this.retryPolicy, isTransient);
  }

  protected override async removeObjects(names: string[]): Promise<void> {
    const client = this.client;
    // The service takes at most 1,000 names per request; a few requests run at once.
    const batches: string[][] = [];
    for (let i = 0; i < names.length; i += 1000) batches.push(names.slice(i, i + 1000));
    const next = async (): Promise<void> => {
      for (let batch = batches.shift(); batch !== undefined; batch = batches.shift()) {
        const names_ = batch;
        await withRetries(() => client.deleteMulti(names_, { quiet: true, timeout: this.config.timeout }), this.retryPolicy, isTransient);
      }
    };
    await Promise.all(Array.from({ length: Math.min(4, batches.length) }, next));
  }

  protected override async listPage(request: { prefix: string; delimiter: string | undefined; cursor: string | undefined; pageSize: number }): Promise<ListPage> {
    const client = this.client;
    const query: OSS.ListV2ObjectsQuery = { "max-keys": request.pageSize };
    if (request.prefix !== "") query.prefix = request.prefix;
    if (request.delimiter !== undefined) query.delimiter = request.delimiter;
    if (request.cursor !== undefined) query["continuation-token"] = request.cursor;
    const result = await withRetries(() => client.listV2({ ...query }, { timeout: this.config.timeout }), this.retryPolicy, isTransient);
    const entries: ListEntry[] = [
      ...(result.objects ?? []).map(
        (o): ListEntry => ({ type: "object", name: o.name, size: Number(o.size), etag: unquote(o.etag), lastModified: new Date(o.lastModified) }),
      ),
      ...(result.prefixes ?? []).map((p): ListEntry => ({ type: "prefix", name: p })),
    ];
    entries.sort((a, b) => compareNames(a.name, b.name));
    return { entries, cursor: result.isTruncated && result.nextContinuationToken ? result.nextContinuationToken : undefined };
  }

  protected override async copyObject(from: string, to: string): Promise<{ etag: string }> {
    const client = this.client;
    const result = await withRetries(() => client.copy(to, from, { timeout: this.config.timeout }), this.retryPolicy, isTransient);
    const etag = result.data?.etag ?? headerOf(result.res.headers, "etag") ?? "";
    return { etag: unquote(etag) };
  }

  protected override async signUrl(name: string, request: { method: "GET" | "PUT"; contentType: string; expires: number }): Promise<string> {
    const { signer } = this.#clients();
    const { method, contentType, expires } = request;
    let url: string;
    if (this.config.signatureVersion === "v4") {
      // GET: the answer's Content-Type is fixed by a signed response-content-type; PUT: the request's is signed.
      const signed = method === "PUT" ? { headers: { "Content-Type": contentType } } : { headers: {}, queries: { "response-content-type": contentType } };
      url = await signer.signatureUrlV4(method, expires, signed, name);
    } else {
      const options: OSS.SignatureUrlOptions =
        method === "PUT" ? { method, expires, "Content-Type": contentType } : { method, expires, response: { "content-type": contentType } };
      url = signer.signatureUrl(name, options);
    }
    if (this.endpoint.ip) {
      const signedUrl = new URL(url);
      const origin = new URL(this.endpoint.origin);
      signedUrl.protocol = origin.protocol;
      signedUrl.host = origin.host;
      url = signedUrl.toString();
    }
    return url;
  }

  protected override objectUrl(name: string): string {
    const key = escapeKey(name);
    if (this.config.publicBaseUrl !== undefined) return `${this.config.publicBaseUrl.replace(/\/+$/, "")}/${key}`;
    const { origin, protocol, host, cname, pathStyle, ip } = this.endpoint;
    if (cname) return `${origin}/${key}`;
    if (pathStyle || ip) return `${origin}/${this.config.bucketName}/${key}`;
    return `${protocol}//${this.config.bucketName}.${host}/${key}`;
  }

  protected override describeFailure(error: unknown): FailureFacts {
    if (error instanceof StorageFailure) return super.describeFailure(error);
    return (
      describeClientFailure(error, { endpoint: this.endpoint.origin, bucket: this.config.bucketName, timeout: this.config.timeout }) ??
      super.describeFailure(error)
    );
  }

  /** The secret and the STS token; ids, hosts and bucket names stay readable in messages even when they came from the environment. */
  protected override secretValues(): string[] {
    return [this.config.accessKeySecret, this.config.stsToken ?? ""].filter((value) => value !== "");
  }

  /** Retries of idempotent requests: `retries` from the config, backoff from 100 ms up to 5 s. */
  protected get retryPolicy(): RetryPolicy {
    return { retries: this.config.retries, baseDelayMs: 100, maxDelayMs: 5_000 };
  }

  // ─── Helpers ───────────────────────────────────────────────────────────────────────────────────────────────

  #clients(): ClientHandle {
    this.#handle ??= makeClient(this.config, this.endpoint);
    return this.#handle;
  }

  #multipartBase(name: string, request: PutRequest, headers: Record<string, string>) {
    return {
      client: this.client,
      name,
      contentType: request.contentType,
      headers,
      parallel: this.config.parallel,
      timeout: this.config.timeout,
      policy: this.retryPolicy,
      isTransient,
      progress: request.progress,
      signal: request.signal,
    };
  }
}

function metaHeaders(meta: Record<string, string>): Record<string, string> {
  const headers: Record<string, string> = {};
  for (const [key, value] of Object.entries(meta)) headers[`x-oss-meta-${key}`] = value;
  return headers;
}

/** A response header as a string; ali-oss types headers as `object`. */
function headerOf(headers: object, name: string): string | undefined {
  const value = (headers as Record<string, unknown>)[name];
  if (Array.isArray(value)) return value.length > 0 ? String(value[0]) : undefined;
  return value === undefined || value === null ? undefined : String(value);
}

/** The client sends header values as UTF-8 bytes; Node reads them back as Latin-1. */
function fromHeaderValue(value: string): string {
  // eslint-disable-next-line no-control-regex
  if (!/[^\u0000-\u007f]/.test(value)) return value;
  const decoded = Buffer.from(value, "latin1").toString("utf8");
  return decoded.includes("\uFFFD") ? value : decoded;
}

/** Names in the service's order: by UTF-8 bytes, i.e. by code point. */
function compareNames(a: string, b: string): number {
  const x = Buffer.from(a, "utf8");
  const y = Buffer.from(b, "utf8");
  return Buffer.compare(x, y);
}
