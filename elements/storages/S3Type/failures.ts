// What an AWS SDK failure means: its code for StorageError, its words, and whether trying again can help.
import { explain, NO_SUCH_KEY } from "../Meta/index.ts";
import type { FailureFacts } from "../Meta/index.ts";

/** The fields the SDK (and Node under it) put on their errors. */
interface SdkErrorFields {
  name?: unknown;
  code?: unknown;
  message?: unknown;
  $metadata?: { httpStatusCode?: unknown; requestId?: unknown };
}

// Failures without an answer: the SDK's handler names its deadlines TimeoutError; ours are IdleTimeout/PrematureEnd.
const TIMEOUT_NAMES = new Set(["TimeoutError", "IdleTimeout"]);
const NETWORK_NAMES = new Set(["PrematureEnd"]);
const NETWORK_CODES = new Set(["ECONNRESET", "ECONNREFUSED", "EPIPE", "ETIMEDOUT", "ECONNABORTED", "EAI_AGAIN", "ENETUNREACH", "EHOSTUNREACH", "ERR_STREAM_PREMATURE_CLOSE"]);
// The service's codes for failures that pass: its own hiccups, throttling, and a body it waited for too long.
const TRANSIENT_CODES = new Set([
  "InternalError",
  "ServiceUnavailable",
  "SlowDown",
  "RequestTimeout",
  "RequestTimeoutException",
  "Throttling",
  "ThrottlingException",
  "TooManyRequestsException",
  "TIMEOUT",
  "NETWORK_ERROR",
]);

/** Whether sending the same request again may succeed: 5xx, 429, throttling, resets, timeouts. Never 4xx or an abort. */
export function isTransient(error: unknown): boolean {
  if (typeof error !== "object" || error === null) return false;
  const fields = error as SdkErrorFields;
  if (fields.name === "AbortError") return false;
  const status = statusOf(fields);
  if (status !== undefined && (status >= 500 || status === 429)) return true;
  if (typeof fields.name === "string" && (TIMEOUT_NAMES.has(fields.name) || NETWORK_NAMES.has(fields.name) || TRANSIENT_CODES.has(fields.name))) return true;
  if (typeof fields.code === "string" && (NETWORK_CODES.has(fields.code) || TRANSIENT_CODES.has(fields.code))) return true;
  return false;
}

/** Whether the service answered without a body that names the failure (a HEAD, or a non-XML answer). */
export function isNameless(error: unknown): boolean {
  if (typeof error !== "object" || error === null) return false;
  const fields = error as SdkErrorFields;
  const status = statusOf(fields);
  return status !== undefined && (typeof fields.name !== "string" || GENERIC_NAMES.has(fields.name) || fields.name === String(status));
}

/** Where a transport failure happened and what the config says, for the words of the message. */
export interface FailureContext {
  endpoint: string;
  bucket: string;
  region: string;
  timeout: number;
}

/** Code, status, request id and words for a failure of the SDK, or undefined when it is none of its. */
export function describeSdkFailure(error: unknown, where: FailureContext): FailureFacts | undefined {
  if (typeof error !== "object" || error === null) return undefined;
  const fields = error as SdkErrorFields;
  const name = typeof fields.name === "string" ? fields.name : "";
  const code = typeof fields.code === "string" ? fields.code : undefined;
  const status = statusOf(fields);
  const rawId = fields.$metadata?.requestId;
  const requestId = typeof rawId === "string" && rawId !== "" ? rawId : undefined;
  const message = typeof fields.message === "string" ? fields.message.split("\n")[0]!.trim() : "";

  // The SDK's handler renames a reset or a broken pipe "TimeoutError"; its code still says what happened.
  const broken = code !== undefined && NETWORK_CODES.has(code) && code !== "ETIMEDOUT";
  if (TIMEOUT_NAMES.has(name) && !broken) {
    return { code: "TIMEOUT", explanation: `no answer from ${where.endpoint} within ${where.timeout} ms (raise timeout, or lower partSize for uploads)` };
  }
  if (NETWORK_NAMES.has(name) || broken) {
    return { code: "NETWORK_ERROR", explanation: `the connection to ${where.endpoint} failed${message === "" ? "" : ` (${message})`}` };
  }
  if (status === undefined) return undefined;
  const serviceCode = isNameless(error) ? codeForStatus(status) : name;
  return { code: serviceCode, status, requestId, explanation: explainService(serviceCode, isNameless(error) ? "" : message, where) };
}

// The names the SDK gives an error whose answer named none.
const GENERIC_NAMES = new Set(["Unknown", "UnknownError", "NotFound", "Forbidden", "BadRequest", "MovedPermanently"]);

/** The service's code for a status that came without one (HEAD answers have no body). */
function codeForStatus(status: number): string {
  switch (status) {
    case 301:
      return "PermanentRedirect";
    case 400:
      return "BadRequest";
    case 403:
      return "AccessDenied";
    case 404:
      return NO_SUCH_KEY;
    case 412:
      return "PreconditionFailed";
    case 416:
      return "InvalidRange";
    case 503:
      return "ServiceUnavailable";
    default:
      return status >= 500 ? "InternalError" : `HTTP${status}`;
  }
}

function explainService(code: string, message: string, where: FailureContext): string {
  switch (code) {
    case NO_SUCH_KEY:
      return explain(code);
    case "NoSuchBucket":
      return `the bucket "${where.bucket}" does not exist: check bucketName`;
    case "AccessDenied":
      return `access was denied${message === "" ? "" : ` (${message.replace(/\.$/, "")})`}: check the key's permissions, the bucket's policy, or the URL's expiry`;
    case "PermanentRedirect":
    case "AuthorizationHeaderMalformed":
    case "IllegalLocationConstraintException":
      return `the bucket "${where.bucket}" is not in region "${where.region}" at ${where.endpoint}: check region and endPoint`;
    case "EntityTooSmall":
      return "a part is smaller than the service accepts (5 MiB on AWS S3, R2 and MinIO): raise partSize";
    case "SlowDown":
      return "the service asked to slow down (throttling)";
    default: {
      const known = explain(code);
      if (known !== "") return known;
      return message === "" ? "the service refused the request" : `the service said: ${message}`;
    }
  }
}

function statusOf(fields: SdkErrorFields): number | undefined {
  const status = fields.$metadata?.httpStatusCode;
  return typeof status === "number" && status > 0 ? status : undefined;
}
