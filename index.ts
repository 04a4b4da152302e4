// The package's public entry: the element runtime, composed with the official elements' classes. runtime/ knows
// no category, and each category's contract lives in its Meta's folder; only this module puts the two together.
export * from "./runtime/index.ts";
export {
  Storage,
  StorageError,
  StorageFailure,
  NO_SUCH_KEY,
  type StorageErrorCode,
  type StorageErrorDetails,
  type RetryPolicy,
  type ByteRange,
  type CopyResult,
  type DeleteManyResult,
  type DeleteResult,
  type DownloadOptions,
  type DownloadToFileResult,
  type FailureFacts,
  type ListEntry,
  type ListOptions,
  type ListPage,
  type ObjectInfo,
  type PutRequest,
  type SignUrlOptions,
  type UploadBody,
  type UploadOptions,
  type UploadProgress,
  type UploadResult,
  type UploadSource,
} from "./elements/storages/Meta/index.ts";
export { default as OssStorage, type OssConfig } from "./elements/storages/OssType/index.ts";
export { default as DiskStorage, type DiskConfig, type DiskServer, type ServeOptions } from "./elements/storages/DiskType/index.ts";
export { default as S3Storage, type S3Config, type S3Target } from "./elements/storages/S3Type/index.ts";
export { Service } from "./elements/services/Meta/index.ts";
export { default as NormalService } from "./elements/services/NormalType/index.ts";
export {
  default as StorageSvc,
  FALLBACK_STORAGE,
  type FileRecord,
  type FileRequest,
  type FileResponse,
  type ServiceSignUrlOptions,
  type StorageSvcSettings,
  type SweepOptions,
  type SweepResult,
} from "./elements/storages/services/StorageSvc/index.ts";
