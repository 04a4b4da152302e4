// One request as the handlers see it, and the ways to answer it.
import type { IncomingMessage, OutgoingHttpHeaders, ServerResponse } from "node:http";
import { setTimeout as sleep } from "node:timers/promises";
import type { AuthConfig, Principal, Target } from "./auth.ts";
import { errorXml, errors, OssError } from "./errors.ts";
import type { Faults } from "./faults.ts";
import type { Store, CorsRule } from "./store.ts";
import type { Uploads } from "./uploads.ts";
import { xmlDocument, type XmlObject } from "./xml.ts";

/** What every handler shares: the data, the faults, and the settings the emulator was started with. */
export interface EmulatorState {
  store: Store;
  uploads: Uploads;
  faults: Faults;
  region: string;
  defaultBucket: string;
  /** true: answer CORS for buckets without rules permissively; false: as the service does (403); rules: defaults. */
  cors: boolean | CorsRule[];
  /** Host names that mean the emulator itself (not a bucket sub-domain). */
  ownHosts: Set<string>;
  /** How long a RestoreObject takes before the object can be read (ms). */
  restoreDelayMs: number;
  /** The smallest part but the last an S3 client may complete a multipart upload with (bytes). */
  s3MinPartSize: number;
  /** The keys accepted, for forms that carry their own signature (PostObject). */
  auth: AuthConfig;
  /** Requests being handled: stopping waits for them before it closes the store and removes files. */
  inFlight: InFlight;
}

/** A count of the requests being handled, and a way to wait until none is. */
export class InFlight {
  private count = 0;
  private waiting: Array<() => void> = [];

  get size(): number {
    return this.count;
  }

  started(): void {
    this.count++;
  }

  ended(): void {
    this.count--;
    if (this.count > 0 || this.waiting.length === 0) return;
    const waiting = this.waiting;
    this.waiting = [];
    for (const resolve of waiting) resolve();
  }

  /** Resolves once no request is being handled. */
  idle(): Promise<void> {
    return this.count === 0 ? Promise.resolve() : new Promise((resolve) => this.waiting.push(resolve));
  }
}

/** The decoded query parameters of a request, in order. */
export class Query {
  private readonly map: Map<string, string>;
  constructor(readonly entries: Array<[string, string]>) {
    this.map = new Map(entries);
  }
  has(name: string): boolean {
    return this.map.has(name);
  }
  get(name: string): string | undefined {
    return this.map.get(name);
  }
}

export interface Ctx {
  req: IncomingMessage;
  res: ServerResponse;
  em: EmulatorState;
  requestId: string;
  /** The HostId of error documents: the Host the request was sent to. */
  hostId: string;
  method: string;
  query: Query;
  target: Target;
  /** The bucket, for anything but the service-level ListBuckets. */
  bucket: string;
  /** The object key; "" for bucket-level operations. */
  key: string;
  operation: string;
  principal: Principal;
  /** Set by a `reset` fault: reset the connection after this many bytes of the body. */
  resetAfterBytes?: number;
}

/** Answers with an XML document. */
export function sendXml(ctx: Pick<Ctx, "res" | "method">, status: number, root: string, body: XmlObject | string, headers: OutgoingHttpHeaders = {}): void {
  const text = xmlDocument(root, body);
  ctx.res.writeHead(status, {
    ...headers,
    "Content-Type": "application/xml",
    "Content-Length": Buffer.byteLength(text),
  });
  ctx.res.end(ctx.method === "HEAD" ? undefined : text);
}

/** Answers without a body. */
export function sendEmpty(ctx: Pick<Ctx, "res">, status: number, headers: OutgoingHttpHeaders = {}): void {
  ctx.res.writeHead(status, { "Content-Length": 0, ...headers });
  ctx.res.end();
}

// Reading a large body only to refuse it wastes the client's time and ours: past this, an error closes the
// connection instead of draining the rest. Below it, the rest is read and dropped, so that a client still
// sending sees the answer rather than a reset connection.
export const DRAIN_LIMIT = 8 * 1024 * 1024;

/** Answers with the service's error XML, also base64-encoded in `x-oss-err` for HEAD and streamed reads. */
export function sendError(
  res: ServerResponse,
  req: IncomingMessage,
  error: unknown,
  requestId: string,
  hostId: string,
): void {
  const code = error instanceof Error ? (error as NodeJS.ErrnoException).code : undefined;
  // A request destroyed mid-body lets go of its socket (`req.socket` is then null); one read to its end is
  // destroyed too, but keeps it.
  const socket = res.socket ?? req.socket;
  if (!socket || socket.destroyed || res.destroyed || code === "ECONNRESET" || code === "ERR_STREAM_PREMATURE_CLOSE") {
    // The client went away mid-request: there is nobody to answer, and nothing went wrong here.
    res.destroy();
    return;
  }
  const ossError = error instanceof OssError ? error : errors.internalError();
  if (!(error instanceof OssError)) console.error(`oss-emulator: request ${requestId} failed:`, error);
  if (res.headersSent) {
    // Too late for a status: the only honest signal left is a broken connection.
    res.destroy();
    return;
  }
  const text = errorXml(ossError, requestId, hostId);
  const headers: OutgoingHttpHeaders = {
    ...ossError.headers,
    "Content-Type": "application/xml",
    "Content-Length": Buffer.byteLength(text),
    "x-oss-err": Buffer.from(text).toString("base64"),
  };
  if (!req.complete) {
    const length = Number(req.headers["content-length"] ?? 0);
    if (length > DRAIN_LIMIT) headers.Connection = "close";
    else drain(req);
  }
  res.writeHead(ossError.status, headers);
  res.end(req.method === "HEAD" ? undefined : text);
}

// Reads and drops the rest of a body, up to DRAIN_LIMIT bytes; a longer one (chunked, so of no declared
// length) has its connection closed.
export function drain(req: IncomingMessage): void {
  let dropped = 0;
  req.on("data", (chunk: Buffer) => {
    dropped += chunk.length;
    if (dropped > DRAIN_LIMIT) req.socket?.destroy();
  });
  req.resume();
}

/** `"HEX"`: the ETag as the service writes it. */
export function quoteEtag(etag: string): string {
  return `"${etag}"`;
}

/**
 * A time as the service writes it in XML documents: ISO 8601 in UTC with whole seconds (`…T06:23:26.000Z`);
 * clients that parse that exact format fail on any other.
 */
export function xmlTime(ms: number): string {
  return new Date(Math.floor(ms / 1000) * 1000).toISOString();
}

/** Owner of everything in the emulator, as the service writes owners. */
export const OWNER = { ID: "1000000000000000", DisplayName: "1000000000000000" };

/** Waits `ms` (a delay fault), or less if the connection closes first; true when the client is still there. */
export async function waitUnlessGone(res: ServerResponse, ms: number): Promise<boolean> {
  if (res.closed || res.destroyed) return false;
  const gone = new AbortController();
  const onClose = () => gone.abort();
  res.once("close", onClose);
  try {
    await sleep(ms, undefined, { signal: gone.signal });
    return true;
  } catch {
    return false;
  } finally {
    res.off("close", onClose);
  }
}
