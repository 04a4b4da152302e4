// What an ali-oss failure means: its code for StorageError, its words, and whether trying again can help.
import { explain, NO_SUCH_KEY } from "../Meta/index.ts";
import type { FailureFacts } from "../Meta/index.ts";

/** The fields ali-oss (and urllib under it, and Node under that) put on their errors. */
interface ClientErrorFields {
  name?: unknown;
  code?: unknown;
  status?: unknown;
  requestId?: unknown;
  message?: unknown;
}

// The client reports transport failures with status -1 (network) or -2 (timeout), or with urllib's error names.
const TIMEOUT_NAMES = new Set(["ResponseTimeoutError", "ConnectionTimeoutError", "IdleTimeout"]);
const NETWORK_NAMES = new Set(["RequestError", "ResponseError", "SocketError", "PrematureEnd", "SocketAssignTimeoutError"]);
const NETWORK_CODES = new Set(["ECONNRESET", "ECONNREFUSED", "EPIPE", "ETIMEDOUT", "ECONNABORTED", "EAI_AGAIN", "ENETUNREACH", "EHOSTUNREACH", "ERR_STREAM_PREMATURE_CLOSE"]);
// The service's codes for failures that pass: its own hiccups, and a body it waited for too long.
const TRANSIENT_CODES = new Set(["InternalError", "ServiceUnavailable", "RequestTimeout", "TIMEOUT", "NETWORK_ERROR"]);

/** Whether sending the same request again may succeed: 5xx, resets, timeouts. Never 4xx or an abort. */
export function isTransient(error: unknown): boolean {
  if (typeof error !== "object" || error === null) return false;
  const fields = error as ClientErrorFields;
  if (fields.name === "AbortError") return false;
  if (typeof fields.status === "number" && (fields.status >= 500 || fields.status === -2)) return true;
  // Status -1 is any failure without an answer: a broken connection, but also a request Node refused to send.
  if (typeof fields.name === "string" && (TIMEOUT_NAMES.has(fields.name) || NETWORK_NAMES.has(fields.name))) return true;
  if (typeof fields.code === "string" && (NETWORK_CODES.has(fields.code) || TRANSIENT_CODES.has(fields.code))) return true;
  return false;
}

/** Code, status, request id and words for a failure of the client; `where` names the endpoint for transport failures. */
export function describeClientFailure(error: unknown, where: { endpoint: string; bucket: string; timeout: number }): FailureFacts | undefined {
  if (typeof error !== "object" || error === null) return undefined;
  const fields = error as ClientErrorFields;
  const name = typeof fields.name === "string" ? fields.name : "";
  const status = typeof fields.status === "number" ? fields.status : undefined;
  const requestId = typeof fields.requestId === "string" && fields.requestId !== "" ? fields.requestId : undefined;
  const message = typeof fields.message === "string" ? firstPart(fields.message) : "";
  const code = typeof fields.code === "string" ? fields.code : undefined;

  if (TIMEOUT_NAMES.has(name) || status === -2) {
    return { code: "TIMEOUT", explanation: `no answer from ${where.endpoint} within ${where.timeout} ms (raise timeout, or lower partSize for uploads)` };
  }
  if (status === -1 && (name === "TypeError" || name === "RangeError")) {
    return { code: "INVALID_ARGUMENT", explanation: `the request could not be sent${message === "" ? "" : ` (${message})`}` };
  }
  if (status === -1 || NETWORK_NAMES.has(name) || (code !== undefined && NETWORK_CODES.has(code))) {
    return { code: "NETWORK_ERROR", explanation: `the connection to ${where.endpoint} failed${message === "" ? "" : ` (${message})`}` };
  }
  if (status !== undefined && status > 0 && code !== undefined) {
    return { code, status, requestId, explanation: explainService(code, message, where.bucket) };
  }
  if (status !== undefined && status > 0) {
    return { code: `HTTP${status}`, status, requestId, explanation: message === "" ? "the service answered with an unexpected status" : message };
  }
  return undefined;
}

function explainService(code: string, message: string, bucket: string): string {
  if (code === NO_SUCH_KEY) return explain(code);
  if (code === "NoSuchBucket") return `the bucket "${bucket}" does not exist: check bucketName`;
  if (code === "AccessDenied") return `access was denied${message === "" ? "" : ` (${message.replace(/\.$/, "")})`}: check the key's permissions, the bucket's policy, or the URL's expiry`;
  const known = explain(code);
  if (known !== "") return known;
  return message === "" ? "the service refused the request" : `the service said: ${message}`;
}

/** urllib appends the request line, socket counters and response headers to its messages; keep the cause only. */
function firstPart(message: string): string {
  return message
    .split("\n")[0]!
    .split(/,\s(?:GET|PUT|POST|DELETE|HEAD)\s/)[0]!
    .replace(/\s+\(req "error"\)$/, "")
    .trim();
}
