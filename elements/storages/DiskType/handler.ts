// The HTTP side of a disk storage: a Node request listener that serves signed GETs and takes signed PUTs, so that
// URLs from getSignUrl work as they do on a service; and a small server for it. Errors are answered with the
// service's XML error document and codes, so that clients written for the service read them unchanged.
import { createServer, type IncomingMessage, type RequestListener, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import type { Readable } from "node:stream";
import { pipeline } from "node:stream/promises";
import { StorageError } from "../Meta/index.ts";
import { checkSignature } from "./signing.ts";

/** An object opened for serving: its facts, and its bytes on demand. */
export interface OpenedObject {
  size: number;
  etag: string | undefined;
  /** The stored Content-Type (served for public reads; a signed GET serves the signed one). */
  contentType: string;
  lastModified: Date;
  /** Bytes `start` to `end`, both included; the file is closed when the stream ends or is destroyed. */
  read(start: number, end: number): Readable;
  /** Closes the file without reading it. */
  close(): Promise<void>;
}

/** What the handler needs of its storage. Failures are StorageErrors. */
export interface HandlerBackend {
  /** The URL path that object names follow (`/files`), or "". */
  basePath: string;
  signingSecret: string | undefined;
  publicRead: boolean;
  open(name: string): Promise<OpenedObject>;
  store(name: string, body: Readable, contentType: string, signal: AbortSignal): Promise<{ etag: string }>;
}

/** Options of `serve()`. */
export interface ServeOptions {
  /** Port to listen on; by default baseUrl's port (0, any free port, when baseUrl names none). */
  port?: number;
  /** Interface to listen on; by default baseUrl's host. */
  host?: string;
}

/** A running server for a storage's handler. */
export interface DiskServer {
  /** Where it answers, with the base path: `http://127.0.0.1:9300/files`. */
  url: string;
  /** Stops listening and ends open connections. */
  close(): Promise<void>;
}

/** A request listener for `backend`: signed GET and PUT of objects under its base path. */
export function createRequestListener(backend: HandlerBackend): RequestListener {
  return (request, response) => {
    handle(backend, request, response).catch((error: unknown) => {
      // Only a failure while streaming a response that has already started gets here: cut the connection, so that
      // the client sees a broken transfer rather than a short file.
      response.destroy(error instanceof Error ? error : undefined);
    });
  };
}

/** Starts an HTTP server for `listener` on `host`:`port`; `path` is the base path reported in `url`. */
export async function startServer(listener: RequestListener, host: string, port: number, path: string): Promise<DiskServer> {
  const server = createServer(listener);
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(port, host, () => {
      server.off("error", reject);
      resolve();
    });
  });
  const address = server.address() as AddressInfo;
  const shownHost = address.family === "IPv6" ? `[${address.address}]` : address.address;
  return {
    url: `http://${host === "localhost" ? "localhost" : shownHost}:${address.port}${path}`,
    close: () =>
      new Promise<void>((resolve, reject) => {
        server.close((error) => (error === undefined ? resolve() : reject(error)));
        server.closeAllConnections();
      }),
  };
}

async function handle(backend: HandlerBackend, request: IncomingMessage, response: ServerResponse): Promise<void> {
  // Express and similar routers strip their mount path from `url` and keep the original.
  const raw = (request as IncomingMessage & { originalUrl?: string }).originalUrl ?? request.url ?? "/";
  const queryAt = raw.indexOf("?");
  const path = queryAt < 0 ? raw : raw.slice(0, queryAt);
  const query = new URLSearchParams(queryAt < 0 ? "" : raw.slice(queryAt + 1));
  const method = request.method ?? "GET";

  if (!path.startsWith(`${backend.basePath}/`)) return refuse(request, response, 404, "NoSuchKey", "No object is served at this path.");
  let name: string;
  try {
    name = decodeURIComponent(path.slice(backend.basePath.length + 1));
  } catch {
    return refuse(request, response, 400, "InvalidObjectName", "The object name in the path is not valid percent-encoding.");
  }
  if (method !== "GET" && method !== "PUT") {
    response.setHeader("Allow", "GET, PUT");
    return refuse(request, response, 405, "MethodNotAllowed", "Only GET and PUT of signed URLs are served.");
  }

  const publicGet = method === "GET" && backend.publicRead && !query.has("Signature");
  if (!publicGet) {
    if (backend.signingSecret === undefined) return refuse(request, response, 403, "AccessDenied", "This storage has no signingSecret, so it serves no signed URLs.");
    const contentType = method === "GET" ? (query.get("response-content-type") ?? "") : (request.headers["content-type"] ?? "");
    const problem = checkSignature(backend.signingSecret, query, { method, name, contentType }, Math.floor(Date.now() / 1000));
    if (problem !== undefined) return refuse(request, response, 403, problem.code, problem.message);
  }

  if (method === "PUT") return put(backend, name, request, response);
  return get(backend, name, publicGet ? undefined : (query.get("response-content-type") ?? undefined), request, response);
}

async function get(backend: HandlerBackend, name: string, signedType: string | undefined, request: IncomingMessage, response: ServerResponse): Promise<void> {
  let opened: OpenedObject;
  try {
    opened = await backend.open(name);
  } catch (error) {
    return refuseFor(request, response, error);
  }
  const range = parseRange(request.headers.range, opened.size);
  if (range === "unsatisfiable") {
    await opened.close();
    response.setHeader("Content-Range", `bytes */${opened.size}`);
    return refuse(request, response, 416, "InvalidRange", "The requested range cannot be satisfied.");
  }
  const { start, end } = range ?? { start: 0, end: opened.size - 1 };
  response.statusCode = range === undefined ? 200 : 206;
  response.setHeader("Content-Type", signedType ?? opened.contentType);
  response.setHeader("Content-Length", String(end - start + 1));
  response.setHeader("Accept-Ranges", "bytes");
  response.setHeader("Last-Modified", opened.lastModified.toUTCString());
  if (opened.etag !== undefined) response.setHeader("ETag", `"${opened.etag}"`);
  if (range !== undefined) response.setHeader("Content-Range", `bytes ${start}-${end}/${opened.size}`);
  if (opened.size === 0) {
    await opened.close();
    response.end();
    return;
  }
  await pipeline(opened.read(start, end), response);
}

async function put(backend: HandlerBackend, name: string, request: IncomingMessage, response: ServerResponse): Promise<void> {
  // A client that goes away mid-upload aborts it: nothing is stored.
  const abort = new AbortController();
  const onClose = () => {
    if (!request.complete) abort.abort();
  };
  request.once("close", onClose);
  try {
    const { etag } = await backend.store(name, request, request.headers["content-type"] ?? "", abort.signal);
    response.statusCode = 200;
    response.setHeader("ETag", `"${etag}"`);
    response.setHeader("Content-Length", "0");
    response.end();
  } catch (error) {
    if (!abort.signal.aborted) refuseFor(request, response, error);
  } finally {
    request.off("close", onClose);
  }
}

/** A single `bytes=` range of an object of `size` bytes; undefined to send it whole (no range, or one ignored). */
function parseRange(header: string | undefined, size: number): { start: number; end: number } | "unsatisfiable" | undefined {
  if (header === undefined) return undefined;
  const match = /^bytes=(\d*)-(\d*)$/.exec(header.trim());
  // Malformed and multi-part ranges are ignored, as the service does: the whole object.
  if (match === null || (match[1] === "" && match[2] === "")) return undefined;
  if (match[1] === "") {
    const suffix = Number(match[2]);
    if (suffix === 0 || size === 0) return "unsatisfiable";
    return { start: Math.max(0, size - suffix), end: size - 1 };
  }
  const start = Number(match[1]);
  const end = match[2] === "" ? size - 1 : Math.min(Number(match[2]), size - 1);
  if (start >= size) return "unsatisfiable";
  if (end < start) return undefined;
  return { start, end };
}

function refuseFor(request: IncomingMessage, response: ServerResponse, error: unknown): void {
  if (error instanceof StorageError) {
    const status = error.status ?? (error.code === "INVALID_OBJECT_NAME" || error.code === "INVALID_ARGUMENT" ? 400 : 500);
    // The message names the element and the object, never a secret (the facade scrubs it).
    return refuse(request, response, status, status === 500 ? "InternalError" : error.code, error.message);
  }
  return refuse(request, response, 500, "InternalError", "The storage failed to answer.");
}

function refuse(request: IncomingMessage, response: ServerResponse, status: number, code: string, message: string): void {
  // Read what the client is still sending, so that it gets to see this answer.
  request.resume();
  if (response.headersSent) {
    response.destroy();
    return;
  }
  const body = `<?xml version="1.0" encoding="UTF-8"?>\n<Error>\n  <Code>${escapeXml(code)}</Code>\n  <Message>${escapeXml(message)}</Message>\n</Error>\n`;
  response.statusCode = status;
  response.setHeader("Content-Type", "application/xml");
  response.setHeader("Content-Length", String(Buffer.byteLength(body)));
  response.end(body);
}

function escapeXml(text: string): string {
  return text.replace(/[<>&"']/g, (c) => `&#${c.charCodeAt(0)};`);
}
