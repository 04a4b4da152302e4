// The service's HTTP face: routes by the last path segment (so it works wherever it is mounted), turns query
// strings into calls, failures into status codes, and streams bodies with backpressure. No request, however
// malformed, throws out of it.
import type { IncomingMessage, ServerResponse } from "node:http";
import { pipeline } from "node:stream/promises";
import { ElementError } from "../../../../runtime/index.ts";
import { NO_SUCH_KEY, StorageError } from "../../Meta/index.ts";
import type { FileRequest, FileResponse } from "./responses.ts";

/** What the handler calls: the service's responses for each route. */
export interface Routes {
  preview(file: string, storage: string | undefined, request: FileRequest): Promise<FileResponse>;
  download(file: string, storage: string | undefined, request: FileRequest): Promise<FileResponse>;
  previewThumbnail(name: string, width: number, height: number, storage: string | undefined, request: FileRequest): Promise<FileResponse>;
}

/** Answers one request; resolves when the answer is sent (or the client went away). */
export async function handleRequest(req: IncomingMessage, res: ServerResponse, routes: Routes): Promise<void> {
  try {
    const method = req.method ?? "GET";
    if (method !== "GET" && method !== "HEAD") return send(res, 405, `${method} is not served here: use GET or HEAD.`, { Allow: "GET, HEAD" });
    let url: URL;
    try {
      url = new URL(req.url ?? "/", "http://localhost");
    } catch {
      return send(res, 400, "The request URL is malformed.");
    }
    const route = url.pathname.replace(/\/+$/, "").split("/").pop() ?? "";
    const query = url.searchParams;
    const storage = query.get("storage") ?? undefined;
    const request: FileRequest = {
      method,
      range: header(req, "range"),
      ifNoneMatch: header(req, "if-none-match"),
      ifRange: header(req, "if-range"),
    };
    const file = query.get("file") ?? query.get("name");
    if (!["preview", "download", "previewThumbnail"].includes(route)) {
      return send(res, 404, `Nothing is served at ${url.pathname}: the routes are …/preview?file=…, …/download?file=… and …/previewThumbnail?name=…&width=…&height=….`);
    }
    if (file === null || file === "") return send(res, 400, `${route} needs the file's name: ?${route === "previewThumbnail" ? "name" : "file"}=….`);
    let response: FileResponse;
    if (route === "previewThumbnail") {
      const width = sideOf(query.get("width"), 120);
      const height = sideOf(query.get("height"), 120);
      if (width === undefined || height === undefined) return send(res, 400, "width and height must be whole numbers of pixels from 1 to 2048.");
      response = await routes.previewThumbnail(file, width, height, storage, request);
    } else {
      response = await routes[route as "preview" | "download"](file, storage, request);
    }
    res.writeHead(response.status, response.headers);
    if (response.body === undefined) return void res.end();
    await pipeline(response.body, res).catch(() => {
      // The client went away, or the storage broke off mid-stream: headers are sent, so the connection is cut.
      response.body?.destroy();
      res.destroy();
    });
  } catch (error) {
    if (res.headersSent) return void res.destroy();
    const [status, message] = statusOf(error);
    send(res, status, message);
  }
}

/** The status and one-line message for a failure; never a stack, never a secret (StorageErrors carry none). */
function statusOf(error: unknown): [number, string] {
  if (error instanceof StorageError) {
    if (error.code === NO_SUCH_KEY) return [404, error.message];
    if (error.code === "INVALID_OBJECT_NAME" || error.code === "INVALID_ARGUMENT") return [400, error.message];
    if (error.code === "UNSUPPORTED_MEDIA_TYPE") return [415, error.message];
    if (error.code === "IMAGE_TOO_LARGE") return [413, error.message];
    if (error.code === "AccessDenied") return [403, error.message];
    return [502, error.message];
  }
  if (error instanceof ElementError) return [400, error.message];
  return [500, "The file could not be served because of an internal error."];
}

function send(res: ServerResponse, status: number, message: string, headers: Record<string, string> = {}): void {
  const body = `${message}\n`;
  res.writeHead(status, { "Content-Type": "text/plain; charset=utf-8", "Content-Length": String(Buffer.byteLength(body)), "X-Content-Type-Options": "nosniff", ...headers });
  res.end(res.req?.method === "HEAD" ? undefined : body);
}

function header(req: IncomingMessage, name: string): string | undefined {
  const value = req.headers[name];
  return Array.isArray(value) ? value.join(", ") : value;
}

function sideOf(value: string | null, fallback: number): number | undefined {
  if (value === null || value === "") return fallback;
  if (!/^\d{1,4}$/.test(value)) return undefined;
  const side = Number(value);
  return side >= 1 && side <= 2048 ? side : undefined;
}
