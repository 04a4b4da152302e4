// The storages category: its base class, its errors and shapes, and the official OSS Type for custom Types to extend.
export { Storage } from "./storage.ts";
export { StorageError, StorageFailure, NO_SUCH_KEY, type StorageErrorCode, type StorageErrorDetails } from "./errors.ts";
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
export type { RetryPolicy } from "./retry.ts";
export { default as OssStorage, type OssConfig } from "../../elements/storages/OssType/index.ts";
export { default as DiskStorage, type DiskConfig, type DiskServer, type ServeOptions } from "../../elements/storages/DiskType/index.ts";
