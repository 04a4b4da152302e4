// The response class of the OSS server: the headers every answer to a request carries (the request id, Server,
// CORS) are given once and added where the head is written, instead of with setHeader. Node writes a head passed
// whole to writeHead in one pass; once setHeader has been called, writeHead sets and validates each of its headers
// again one by one, which for a GET's dozen headers is a measurable share of the request.
import { ServerResponse, type IncomingMessage, type OutgoingHttpHeader, type OutgoingHttpHeaders } from "node:http";

type HeadHeaders = OutgoingHttpHeaders | OutgoingHttpHeader[];

/** A response whose `commonHeaders` go out with every head, whatever writes it. */
export class OssResponse<Request extends IncomingMessage = IncomingMessage> extends ServerResponse<Request> {
  /** Headers every answer to this request carries, whatever writes its head; unset for the S3 dialect. */
  commonHeaders: OutgoingHttpHeaders | undefined;

  override writeHead(statusCode: number, message?: string | HeadHeaders, headers?: HeadHeaders): this {
    const common = this.commonHeaders;
    const given = typeof message === "string" ? headers : message;
    if (common === undefined) return typeof message === "string" ? super.writeHead(statusCode, message, headers) : super.writeHead(statusCode, given);
    if ((Array.isArray(given) && Array.isArray(given[0])) || this.getHeaderNames().length > 0) {
      // Someone used setHeader after all: Node merges on its slow path, and so do the common headers.
      for (const [name, value] of Object.entries(common)) if (value !== undefined && !this.hasHeader(name)) this.setHeader(name, value);
      return typeof message === "string" ? super.writeHead(statusCode, message, given) : super.writeHead(statusCode, given);
    }
    // As Node's flat [name, value, …] list, which it writes in a plain loop: merging into an object (a spread, or
    // adding keys) costs V8 a runtime call per header. What the caller set wins, as it did over setHeader.
    const flat: OutgoingHttpHeader[] = [];
    if (Array.isArray(given)) {
      for (const name in common) if (!namesHeader(given, name)) flat.push(name, common[name]!);
      for (const item of given) flat.push(item);
    } else {
      for (const name in common) if (given?.[name] === undefined) flat.push(name, common[name]!);
      if (given !== undefined) for (const name in given) flat.push(name, given[name]!);
    }
    return typeof message === "string" ? super.writeHead(statusCode, message, flat) : super.writeHead(statusCode, flat);
  }
}

// Whether a flat [name, value, …] list has a header `name` (spelled as given: our callers spell it one way).
function namesHeader(flat: OutgoingHttpHeader[], name: string): boolean {
  for (let i = 0; i < flat.length; i += 2) if (flat[i] === name) return true;
  return false;
}
