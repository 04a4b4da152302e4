// StorageError: every failure of every storage method, named by element, Type, operation, object and cause.
import { inspect } from "node:util";

/** The code of a missing object, whatever the Type: test `error.code === NO_SUCH_KEY`, never the message. */
export const NO_SUCH_KEY = "NoSuchKey";

/**
 * Codes the storages category itself gives. Failures the service reports keep the service's code
 * (`NoSuchKey`, `AccessDenied`, `SignatureDoesNotMatch`, `NoSuchBucket`, …).
 */
export type StorageErrorCode =
  /** The object does not exist (the service's code, the same for every Type). */
  | typeof NO_SUCH_KEY
  /** An object name that no storage accepts: checked before any request. */
  | "INVALID_OBJECT_NAME"
  /** An argument other than the name is wrong (a negative range, an expiry out of bounds, …). */
  | "INVALID_ARGUMENT"
  /** An `AbortSignal` stopped the operation. */
  | "ABORTED"
  /** The service could not be reached, or the connection broke, on every attempt. */
  | "NETWORK_ERROR"
  /** No answer within the deadline, on every attempt. */
  | "TIMEOUT"
  /** The storage was closed while the operation ran. */
  | "CLOSED"
  /** The bytes that arrived are not the bytes that were sent or announced. */
  | "INTEGRITY_ERROR"
  | (string & {});

export interface StorageErrorDetails {
  /** fullName of the instance, e.g. `storages.MyOss`. */
  element: string;
  /** fullName of its Type, e.g. `storages.OssType`. */
  storageType: string;
  /** The method that failed, e.g. `download`. */
  operation: string;
  /** The object it was about, when there is one. */
  objectName?: string;
  code: StorageErrorCode;
  status?: number;
  requestId?: string;
  /** What went wrong, in words: the end of the message. */
  explanation?: string;
  attempts?: number;
  /** For an upload: whether the object was stored despite the failure (see StorageError.stored). */
  stored?: boolean;
  /** The stored object's ETag, when `stored` is true. */
  etag?: string;
  /** The original failure, already stripped of secrets. */
  cause?: unknown;
}

/** A storage operation failed: `code` says why (`NoSuchKey`, `AccessDenied`, …), `operation` what was being done. */
export class StorageError extends Error {
  override readonly name = "StorageError";
  readonly code: StorageErrorCode;
  readonly element: string;
  readonly storageType: string;
  readonly operation: string;
  readonly objectName: string | undefined;
  /** The HTTP status the service answered with, when there was an answer. */
  readonly status: number | undefined;
  /** The service's request id, to quote to its support. */
  readonly requestId: string | undefined;
  /** How many attempts were made before giving up (1 when the failure was not worth retrying). */
  readonly attempts: number;
  /**
   * For an upload that failed or was aborted, what became of the object: `false` nothing was stored, `true` it was
   * stored all the same (an abort that came while the service was already completing it), with its `etag`;
   * undefined when the failure does not say.
   */
  readonly stored: boolean | undefined;
  /** The ETag of the object stored all the same, when `stored` is true. */
  readonly etag: string | undefined;

  constructor(details: StorageErrorDetails) {
    super(describe(details), details.cause === undefined ? undefined : { cause: details.cause });
    this.code = details.code;
    this.element = details.element;
    this.storageType = details.storageType;
    this.operation = details.operation;
    this.objectName = details.objectName;
    this.status = details.status;
    this.requestId = details.requestId;
    this.attempts = details.attempts ?? 1;
    this.stored = details.stored;
    this.etag = details.etag;
  }

  toJSON(): Record<string, unknown> {
    return {
      name: this.name,
      code: this.code,
      message: this.message,
      element: this.element,
      storageType: this.storageType,
      operation: this.operation,
      objectName: this.objectName,
      status: this.status,
      requestId: this.requestId,
      attempts: this.attempts,
      ...(this.stored === undefined ? {} : { stored: this.stored }),
      ...(this.etag === undefined ? {} : { etag: this.etag }),
    };
  }

  // The fields a user acts on; the cause stays reachable as `error.cause` but is not dumped into logs.
  [inspect.custom](): string {
    const facts = [this.requestId === undefined ? undefined : `requestId ${this.requestId}`, this.attempts > 1 ? `${this.attempts} attempts` : undefined]
      .filter((f) => f !== undefined)
      .join(", ");
    return `${this.name} [${this.code}]: ${this.message}${facts === "" ? "" : ` (${facts})`}`;
  }
}

/** The one-sentence message: `storages.MyOss (storages.OssType): download of "a.pdf" failed: NoSuchKey (404), …`. */
function describe(details: StorageErrorDetails): string {
  const about = details.objectName === undefined ? "" : ` of ${quoteName(details.objectName)}`;
  const status = details.status === undefined || details.status <= 0 ? "" : ` (${details.status})`;
  const explanation = details.explanation ?? explain(details.code);
  const attempts = details.attempts !== undefined && details.attempts > 1 ? ` (gave up after ${details.attempts} attempts)` : "";
  return `${details.element} (${details.storageType}): ${details.operation}${about} failed: ${details.code}${status}${explanation === "" ? "" : `, ${explanation}`}${attempts}`;
}

/** What a code means, for codes whose meaning does not depend on the Type. */
export function explain(code: string): string {
  switch (code) {
    case NO_SUCH_KEY:
      return "the object does not exist";
    case "NoSuchBucket":
      return "the bucket does not exist: check bucketName";
    case "AccessDenied":
      return "access was denied: check the key's permissions and the bucket's policy";
    case "SignatureDoesNotMatch":
      return "the service computed a different signature: check accessKeySecret";
    case "InvalidAccessKeyId":
      return "the service does not know this access key: check accessKeyId";
    case "InvalidSecurityToken":
    case "SecurityTokenExpired":
      return "the STS token is invalid or expired: get a new one";
    // S3's words for the same (its session token, sessionToken in an S3 Type's config).
    case "InvalidToken":
    case "ExpiredToken":
      return "the session token is invalid or expired: get new temporary credentials (sessionToken and its key pair)";
    case "RequestTimeTooSkewed":
      return "this machine's clock is more than 15 minutes away from the service's: fix the clock";
    case "ABORTED":
      return "it was aborted";
    case "CLOSED":
      return "the storage was closed";
    case "TIMEOUT":
      return "no answer came in time";
    case "NETWORK_ERROR":
      return "the service could not be reached or the connection broke";
    case "InternalError":
    case "ServiceUnavailable":
      return "the service had a temporary failure";
    default:
      return "";
  }
}

/** The name as the message shows it: quoted, escaped, and cut when very long. */
function quoteName(name: string): string {
  const shown = name.length > 200 ? `${name.slice(0, 200)}…` : name;
  return JSON.stringify(shown);
}

/** Values shown instead of secrets. */
const MASK = "[redacted]";

// Signatures and tokens as they appear in URLs, headers and the services' error documents: OSS's (V1, V4) and
// S3's (SigV4: X-Amz-Signature, X-Amz-Credential and X-Amz-Security-Token in presigned URLs, AWS4-HMAC-SHA256
// Authorization headers, x-amz-security-token headers).
const secretPatterns: Array<[RegExp, string]> = [
  [/((?:^|[?&\s"'])(?:Signature|x-oss-signature|security-token|x-oss-security-token|x-amz-signature|x-amz-credential|x-amz-security-token)=)[^&\s"'<>]+/gi, `$1${MASK}`],
  [/((?:OSS4|AWS4)-HMAC-SHA256\s+Credential=)[^\s"']+/g, `$1${MASK}`],
  [/(\bOSS\s+[^:\s"']+:)[A-Za-z0-9+/=]+/g, `$1${MASK}`],
  [/("?(?:authorization|x-oss-security-token|x-amz-security-token)"?\s*[:=]\s*)"[^"]*"/gi, `$1"${MASK}"`],
  [/(\bx-(?:oss|amz)-security-token\s*:\s*)(?!"|\[redacted\])[^\s"',;]+/gi, `$1${MASK}`],
  [/(<(?:StringToSign|CanonicalRequest|StringToSignBytes|CanonicalRequestBytes|SignatureProvided)>)[\s\S]*?(<\/)/g, `$1${MASK}$2`],
];

/** `text` without any of `secrets` and without anything shaped like a signature or token. */
export function scrub(text: string, secrets: readonly string[]): string {
  let result = text;
  for (const secret of secrets) if (secret.length >= 4) result = result.split(secret).join(MASK);
  for (const [pattern, replacement] of secretPatterns) result = result.replace(pattern, replacement);
  return result;
}

// Scalar facts of an error that are safe to keep once scrubbed; everything else (request params, headers, bodies,
// sockets, clients) is dropped.
const keptFields = ["code", "status", "requestId", "hostId", "ecCode", "errno", "syscall"] as const;

/**
 * A copy of `error` that is safe to log: name, message, stack and a few scalar fields, scrubbed of `secrets` and of
 * signatures; its own `cause` sanitised the same way. Non-errors become an Error with their scrubbed text.
 */
export function sanitizeError(error: unknown, secrets: readonly string[], depth = 0): Error {
  if (!(error instanceof Error)) return new Error(scrub(String(error), secrets));
  if (error instanceof StorageError) return error;
  const copy = new Error(scrub(error.message, secrets));
  Object.defineProperty(copy, "name", { value: error.name, enumerable: false, writable: true, configurable: true });
  copy.stack = error.stack === undefined ? undefined : scrub(error.stack, secrets);
  const source = error as unknown as Record<string, unknown>;
  const target = copy as unknown as Record<string, unknown>;
  for (const field of keptFields) {
    const value = source[field];
    if (typeof value === "string") target[field] = scrub(value, secrets);
    else if (typeof value === "number" || typeof value === "boolean") target[field] = value;
  }
  if (error.cause !== undefined && depth < 4) copy.cause = sanitizeError(error.cause, secrets, depth + 1);
  return copy;
}

/**
 * A failure that the facade or a Type detects itself (a bad argument, an abort, bytes that do not add up): its
 * code and the words for the message. The facade turns it into a StorageError.
 */
export class StorageFailure extends Error {
  override readonly name = "StorageFailure";
  readonly code: StorageErrorCode;
  /** The end of the message: what is wrong and, if possible, what to do. Must hold no secret. */
  readonly explanation: string;
  readonly status: number | undefined;
  /** For an upload: whether the object was stored despite this failure; undefined when it does not say. */
  readonly stored: boolean | undefined;
  /** The stored object's ETag, when `stored` is true. */
  readonly etag: string | undefined;

  constructor(code: StorageErrorCode, explanation: string, options: { cause?: unknown; status?: number; stored?: boolean; etag?: string } = {}) {
    super(explanation, options.cause === undefined ? undefined : { cause: options.cause });
    this.code = code;
    this.explanation = explanation;
    this.status = options.status;
    this.stored = options.stored;
    this.etag = options.etag;
  }
}
