// The storages category's contract, in its Meta's folder: the base class every storage Type extends (the
// default export, which the runtime checks Types against), its errors and shapes, and the pieces every Type
// shares (parts, retries, cancellation, resumable reads). Types import these from here, never by deeper paths.
export { Storage, Storage as default } from "./storage.ts";
export { StorageError, StorageFailure, NO_SUCH_KEY, explain, sanitizeError, scrub, type StorageErrorCode, type StorageErrorDetails } from "./errors.ts";
export { objectNameProblem, prefixProblem } from "./names.ts";
export { bufferParts, fileParts, partSizeFor, settleBody, streamParts, type Part } from "./parts.ts";
export { resumingStream, type OpenedRead } from "./resume.ts";
export { RequestScope } from "./cancel.ts";
export { abortedPut, putWhole, sendParts, uploadAbortError, uploadInParts, uploadStop, type MultipartProtocol, type MultipartUploadOptions, type PartDriverOptions, type SentObject, type WholePutProtocol } from "./part-driver.ts";
export { backoffDelay, withRetries, RetriesExhausted, type RetryPolicy } from "./retry.ts";
export type {
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
  UploadProgress,
  UploadResult,
  UploadSource,
} from "./types.ts";
