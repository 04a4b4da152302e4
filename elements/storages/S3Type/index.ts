// storages.S3Type: every S3-compatible service through the official @aws-sdk/client-s3, loaded on first use, with
// what OssType adds on top of its client: one retry policy (ours) for 5xx, throttling and resets, multipart with a
// deadline per part, abort per upload, resumable downloads. AwsS3Type, MinioType, CloudflareR2Type, EosType and
// QiniuType are this class with their own fields and defaults; those that read their endPoint differently
// override `resolveTarget`.
import { createHash } from "node:crypto";
import { createReadStream } from "node:fs";
import type { Readable } from "node:stream";
import type { S3Client } from "@aws-sdk/client-s3";
import { Storage, StorageFailure, bufferParts, fileParts, partSizeFor, putWhole, settleBody, streamParts, resumingStream, uploadAbortError, withRetries } from "../Meta/index.ts";
import type { ByteRange, FailureFacts, ListEntry, ListPage, ObjectInfo, OpenedRead, Part, PutRequest, RetryPolicy, UploadBody } from "../Meta/index.ts";
import type { ElementContext } from "../../../runtime/index.ts";
import { makeClient, type ClientHandle } from "./client.ts";
import { escapeKey, resolveTarget, type S3Config, type S3Target } from "./config.ts";
import { describeSdkFailure, isNameless, isTransient } from "./failures.ts";
import { unquote, uploadInParts } from "./multipart.ts";
import { loadSdk, type Sdk } from "./sdk.ts";

export type { S3Config, S3Target } from "./config.ts";

/** S3-compatible storage (`storages.S3Type` and the Types built on it). A custom Type extends it and adds methods. */
export default class S3Storage<Config extends S3Config = S3Config> extends Storage<Config> {
  /** Where and how requests go, read from the config once. */
  protected readonly target: S3Target;
  #handle: Promise<{ sdk: Sdk; handle: ClientHandle }> | undefined;

  constructor(context: ElementContext<Config>) {
    super(context);
    this.target = this.resolveTarget(this.config);
  }

  /** The S3Client of this instance, made (and the SDK loaded) on first use: an escape hatch for what the facade does not offer. */
  async client(): Promise<S3Client> {
    return (await this.#clients()).handle.client;
  }

  /** Closes the client's sockets; the next call makes a new client. */
  override async close(): Promise<void> {
    const pending = this.#handle;
    this.#handle = undefined;
    if (pending !== undefined) (await pending.catch(() => undefined))?.handle.destroy();
  }

  /** Reads the endPoint, region and addressing of `config`; Types whose services name endpoints their own way override it. */
  protected resolveTarget(config: Config): S3Target {
    return resolveTarget(config);
  }

  // ─── Primitives ────────────────────────────────────────────────────────────────────────────────────────────

  protected override async putObject(name: string, body: UploadBody, request: PutRequest): Promise<{ etag: string; size: number }> {
    const { multipartThreshold, partSize } = this.config;
    // A stream that stalls before its size is settled must not hold an aborted upload.
    const dropSource = () => (body.kind === "stream" ? body.stream.destroy(uploadAbortError()) : undefined);
    request.signal?.addEventListener("abort", dropSource, { once: true });
    let settled;
    try {
      settled = await settleBody(body, multipartThreshold);
    } finally {
      request.signal?.removeEventListener("abort", dropSource);
    }
    const { sdk, handle } = await this.#clients();
    const client = handle.client;
    if (settled.kind === "large-stream") {
      return uploadInParts({
        ...this.#multipartBase(sdk, client, name, request),
        parts: streamParts(settled.head, settled.rest, partSizeFor(undefined, partSize)),
        source: settled.stream,
      });
    }
    if (settled.size > multipartThreshold) {
      const size = partSizeFor(settled.size, partSize);
      const parts: Iterable<Part> = settled.kind === "buffer" ? bufferParts(settled.data, size) : fileParts(settled.path, settled.size, size);
      return { ...(await uploadInParts({ ...this.#multipartBase(sdk, client, name, request), parts })), size: settled.size };
    }
    // A buffer carries its Content-MD5, which the service checks; its hash is made once, not per attempt.
    const contentMd5 = settled.kind === "buffer" ? createHash("md5").update(settled.data).digest("base64") : undefined;
    const bucket = this.config.bucketName;
    const etag = await putWhole(
      {
        async send() {
          const common = { Bucket: bucket, Key: name, ContentType: request.contentType, Metadata: request.meta, ContentLength: settled.size };
          if (settled.kind === "buffer") return client.send(new sdk.s3.PutObjectCommand({ ...common, Body: settled.data, ContentMD5: contentMd5 }));
          // A file is streamed, opened anew per attempt.
          const stream = createReadStream(settled.path, { highWaterMark: 1 << 20 });
          try {
            return await client.send(new sdk.s3.PutObjectCommand({ ...common, Body: stream }));
          } finally {
            if (!stream.destroyed) stream.destroy();
          }
        },
        etagOf: (answer) => unquote(answer.ETag ?? ""),
        head: async () => {
          try {
            const found = await withRetries(() => client.send(new sdk.s3.HeadObjectCommand({ Bucket: bucket, Key: name })), this.retryPolicy, isTransient);
            return { etag: unquote(found.ETag ?? ""), size: found.ContentLength ?? -1, lastModified: found.LastModified };
          } catch (error) {
            if (statusOf(error) === 404) return undefined;
            throw error;
          }
        },
        statusOf,
        sent: () => ({ size: settled.size, md5Hex: contentMd5 === undefined ? undefined : Buffer.from(contentMd5, "base64").toString("hex") }),
      },
      { signal: request.signal, policy: this.retryPolicy, isTransient },
    );
    request.progress(settled.size);
    return { etag, size: settled.size };
  }

  protected override async readObject(name: string, range: ByteRange | undefined): Promise<{ stream: Readable; size: number | undefined }> {
    const { sdk, handle } = await this.#clients();
    const start = range?.start ?? 0;
    const end = range?.end;
    const open = async (offset: number, etag: string | undefined): Promise<OpenedRead> => {
      const ranged = offset > 0 || end !== undefined ? `bytes=${offset}-${end ?? ""}` : undefined;
      const result = await handle.client.send(
        new sdk.s3.GetObjectCommand({ Bucket: this.config.bucketName, Key: name, Range: ranged, IfMatch: etag === undefined ? undefined : `"${etag}"` }),
      );
      const stream = result.Body as Readable;
      if (ranged !== undefined && result.$metadata.httpStatusCode !== 206) {
        stream.destroy();
        throw new StorageFailure("INTEGRITY_ERROR", `the service ignored the byte range ${ranged}`);
      }
      return { stream, length: result.ContentLength, etag: result.ETag === undefined ? undefined : unquote(result.ETag) };
    };
    const first = await withRetries(() => open(start, undefined), this.retryPolicy, isTransient);
    const stream = resumingStream(first, { start, open, policy: this.retryPolicy, isTransient, idleTimeoutMs: this.config.timeout });
    return { stream, size: first.length };
  }

  protected override async statObject(name: string): Promise<ObjectInfo> {
    const { sdk, handle } = await this.#clients();
    const client = handle.client;
    const bucket = this.config.bucketName;
    let result;
    try {
      result = await withRetries(() => client.send(new sdk.s3.HeadObjectCommand({ Bucket: bucket, Key: name })), this.retryPolicy, isTransient);
    } catch (error) {
      // A HEAD answer has no body, so a refusal does not say why (a wrong key id? a wrong secret? a policy?). A
      // one-byte GET gets the service's own code, so that the message can name the field to check. A 404 is
      // taken as it is: the common case, and exists() must stay one request.
      if (!isNameless(error) || (error as { $metadata?: { httpStatusCode?: number } }).$metadata?.httpStatusCode === 404) throw error;
      const probe = await client.send(new sdk.s3.GetObjectCommand({ Bucket: bucket, Key: name, Range: "bytes=0-0" })).catch((probeError: unknown) => {
        throw isNameless(probeError) ? error : probeError;
      });
      (probe.Body as Readable | undefined)?.destroy();
      throw error;
    }
    const meta: Record<string, string> = {};
    for (const [key, value] of Object.entries(result.Metadata ?? {})) meta[key.toLowerCase()] = value;
    return {
      name,
      size: result.ContentLength ?? 0,
      etag: unquote(result.ETag ?? ""),
      contentType: result.ContentType ?? "application/octet-stream",
      lastModified: result.LastModified ?? new Date(0),
      meta,
    };
  }

  protected override async removeObject(name: string): Promise<void> {
    const { sdk, handle } = await this.#clients();
    await withRetries(() => handle.client.send(new sdk.s3.DeleteObjectCommand({ Bucket: this.config.bucketName, Key: name })), this.retryPolicy, isTransient);
  }

  protected override async removeObjects(names: string[]): Promise<void> {
    const { sdk, handle } = await this.#clients();
    // The service takes at most 1,000 names per request; a few requests run at once.
    const batches: string[][] = [];
    for (let i = 0; i < names.length; i += 1000) batches.push(names.slice(i, i + 1000));
    const next = async (): Promise<void> => {
      for (let batch = batches.shift(); batch !== undefined; batch = batches.shift()) {
        const objects = batch.map((Key) => ({ Key }));
        const result = await withRetries(
          () => handle.client.send(new sdk.s3.DeleteObjectsCommand({ Bucket: this.config.bucketName, Delete: { Objects: objects, Quiet: true } })),
          this.retryPolicy,
          isTransient,
        );
        // The request succeeds as a whole even when some names could not be deleted; those come back as Errors.
        const failed = result.Errors?.[0];
        if (failed !== undefined) {
          throw new StorageFailure(failed.Code ?? "DeleteFailed", `${JSON.stringify(failed.Key ?? "")} (and ${(result.Errors?.length ?? 1) - 1} more) could not be deleted: ${failed.Message ?? failed.Code ?? "no reason given"}`);
        }
      }
    };
    await Promise.all(Array.from({ length: Math.min(4, batches.length) }, next));
  }

  protected override async listPage(request: { prefix: string; delimiter: string | undefined; cursor: string | undefined; pageSize: number }): Promise<ListPage> {
    const { sdk, handle } = await this.#clients();
    const result = await withRetries(
      () =>
        handle.client.send(
          new sdk.s3.ListObjectsV2Command({
            Bucket: this.config.bucketName,
            Prefix: request.prefix === "" ? undefined : request.prefix,
            Delimiter: request.delimiter,
            MaxKeys: request.pageSize,
            ContinuationToken: request.cursor,
          }),
        ),
      this.retryPolicy,
      isTransient,
    );
    const entries: ListEntry[] = [
      ...(result.Contents ?? []).map(
        (o): ListEntry => ({ type: "object", name: o.Key ?? "", size: o.Size ?? 0, etag: unquote(o.ETag ?? ""), lastModified: o.LastModified ?? new Date(0) }),
      ),
      ...(result.CommonPrefixes ?? []).map((p): ListEntry => ({ type: "prefix", name: p.Prefix ?? "" })),
    ];
    entries.sort((a, b) => compareNames(a.name, b.name));
    return { entries, cursor: result.IsTruncated === true && result.NextContinuationToken ? result.NextContinuationToken : undefined };
  }

  protected override async copyObject(from: string, to: string): Promise<{ etag: string }> {
    const { sdk, handle } = await this.#clients();
    const bucket = this.config.bucketName;
    const result = await withRetries(
      () => handle.client.send(new sdk.s3.CopyObjectCommand({ Bucket: bucket, Key: to, CopySource: `${bucket}/${escapeKey(from)}`, MetadataDirective: "COPY" })),
      this.retryPolicy,
      isTransient,
    );
    return { etag: unquote(result.CopyObjectResult?.ETag ?? "") };
  }

  protected override async signUrl(name: string, request: { method: "GET" | "PUT"; contentType: string; expires: number }): Promise<string> {
    const { sdk, handle } = await this.#clients();
    const { method, contentType, expires } = request;
    const Bucket = this.config.bucketName;
    // GET: the answer's Content-Type is fixed by a signed response-content-type; PUT: the request's is signed, so
    // that an upload with another type is refused.
    if (method === "PUT") {
      return sdk.presign(handle.client, new sdk.s3.PutObjectCommand({ Bucket, Key: name, ContentType: contentType }), { expiresIn: expires, signableHeaders: new Set(["content-type"]) });
    }
    return sdk.presign(handle.client, new sdk.s3.GetObjectCommand({ Bucket, Key: name, ResponseContentType: contentType }), { expiresIn: expires });
  }

  protected override objectUrl(name: string): string {
    const key = escapeKey(name);
    if (this.config.publicBaseUrl !== undefined) return `${this.config.publicBaseUrl.replace(/\/+$/, "")}/${key}`;
    const { origin, protocol, host, pathStyle } = this.target;
    if (pathStyle) return `${origin}/${this.config.bucketName}/${key}`;
    return `${protocol}//${this.config.bucketName}.${host}/${key}`;
  }

  protected override describeFailure(error: unknown): FailureFacts {
    if (error instanceof StorageFailure) return super.describeFailure(error);
    const { origin, region } = this.target;
    return describeSdkFailure(error, { endpoint: origin, bucket: this.config.bucketName, region, timeout: this.config.timeout }) ?? super.describeFailure(error);
  }

  /** The secret and the session token; ids, hosts and bucket names stay readable in messages even when they came from the environment. */
  protected override secretValues(): string[] {
    return [this.config.accessKeySecret, this.config.sessionToken ?? ""].filter((value) => value !== "");
  }

  /** Retries of idempotent requests: `retries` from the config, backoff from 100 ms up to 5 s. */
  protected get retryPolicy(): RetryPolicy {
    return { retries: this.config.retries, baseDelayMs: 100, maxDelayMs: 5_000 };
  }

  // ─── Helpers ───────────────────────────────────────────────────────────────────────────────────────────────

  #clients(): Promise<{ sdk: Sdk; handle: ClientHandle }> {
    this.#handle ??= loadSdk().then((sdk) => ({ sdk, handle: makeClient(sdk, this.config, this.target) }));
    // A failed load is tried again on the next call.
    this.#handle.catch(() => (this.#handle = undefined));
    return this.#handle;
  }

  #multipartBase(sdk: Sdk, client: S3Client, name: string, request: PutRequest) {
    return {
      sdk,
      client,
      bucket: this.config.bucketName,
      name,
      contentType: request.contentType,
      meta: request.meta,
      parallel: this.config.parallel,
      policy: this.retryPolicy,
      isTransient,
      progress: request.progress,
      signal: request.signal,
    };
  }
}

/** Names in the service's order: by UTF-8 bytes, i.e. by code point. */
function compareNames(a: string, b: string): number {
  return Buffer.compare(Buffer.from(a, "utf8"), Buffer.from(b, "utf8"));
}

/** The HTTP status of the service's answer that an SDK error carries, when there was one. */
function statusOf(error: unknown): number | undefined {
  const status = (error as { $metadata?: { httpStatusCode?: unknown } } | null)?.$metadata?.httpStatusCode;
  return typeof status === "number" ? status : undefined;
}
