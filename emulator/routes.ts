// Which API operation a request is, named as the service's API reference names it.
import type { IncomingHttpHeaders } from "node:http";
import type { Target } from "./auth.ts";
import type { Query } from "./context.ts";
import { errors } from "./errors.ts";
import { SUBRESOURCE_OPERATIONS, subresourceOperation } from "./handlers/subresources.ts";

// Sub-resources the service has and the emulator does not: answered 501 rather than mistaken for a listing.
const UNSUPPORTED_BUCKET = [
  "versions", "replication", "worm", "transferAcceleration", "qos", "resourceGroup",
];

/** The operation of a request; 405 or 501 when there is none the emulator answers. */
export function operationOf(method: string, target: Target, query: Query, headers: IncomingHttpHeaders): string {
  if (method === "OPTIONS") return "Options";
  if (target.bucket === undefined) {
    if (method === "GET") return "ListBuckets";
    throw errors.methodNotAllowed();
  }
  if (target.key === "") return bucketOperation(method, query);
  return objectOperation(method, query, headers);
}

function bucketOperation(method: string, query: Query): string {
  const kept = subresourceOperation(method, (name) => query.has(name));
  if (kept) return kept;
  const unsupported = UNSUPPORTED_BUCKET.find((name) => query.has(name));
  switch (method) {
    case "PUT":
      if (query.has("acl")) return "PutBucketAcl";
      if (query.has("cors")) return "PutBucketCors";
      if (unsupported) throw errors.notImplemented(`PUT ?${unsupported}`);
      return "PutBucket";
    case "GET":
      if (query.has("acl")) return "GetBucketAcl";
      if (query.has("cors")) return "GetBucketCors";
      if (query.has("bucketInfo")) return "GetBucketInfo";
      if (query.has("location")) return "GetBucketLocation";
      if (query.has("uploads")) return "ListMultipartUploads";
      if (unsupported) throw errors.notImplemented(`GET ?${unsupported}`);
      return query.get("list-type") === "2" ? "ListObjectsV2" : "ListObjects";
    case "DELETE":
      if (query.has("cors")) return "DeleteBucketCors";
      if (unsupported) throw errors.notImplemented(`DELETE ?${unsupported}`);
      return "DeleteBucket";
    case "POST":
      if (query.has("delete")) return "DeleteMultipleObjects";
      return "PostObject";
    default:
      throw errors.methodNotAllowed();
  }
}

function objectOperation(method: string, query: Query, headers: IncomingHttpHeaders): string {
  switch (method) {
    case "PUT":
      if (query.has("acl")) return "PutObjectACL";
      if (query.has("tagging")) return "PutObjectTagging";
      if (query.has("symlink")) return "PutSymlink";
      if (query.has("uploadId") || query.has("partNumber")) {
        return headers["x-oss-copy-source"] !== undefined ? "UploadPartCopy" : "UploadPart";
      }
      return headers["x-oss-copy-source"] !== undefined ? "CopyObject" : "PutObject";
    case "GET":
      if (query.has("acl")) return "GetObjectACL";
      if (query.has("tagging")) return "GetObjectTagging";
      if (query.has("symlink")) return "GetSymlink";
      if (query.has("uploadId")) return "ListParts";
      return "GetObject";
    case "HEAD":
      return query.has("objectMeta") ? "GetObjectMeta" : "HeadObject";
    case "DELETE":
      if (query.has("tagging")) return "DeleteObjectTagging";
      if (query.has("uploadId")) return "AbortMultipartUpload";
      return "DeleteObject";
    case "POST":
      if (query.has("uploads")) return "InitiateMultipartUpload";
      if (query.has("uploadId")) return "CompleteMultipartUpload";
      if (query.has("append")) return "AppendObject";
      if (query.has("restore")) return "RestoreObject";
      throw errors.methodNotAllowed();
    default:
      throw errors.methodNotAllowed();
  }
}

/** Operations that authenticate themselves in their body (a signed form), not in headers or the URL. */
export const SELF_AUTHENTICATING = new Set(["PostObject"]);

/** Operations that read an object or a listing: what public-read lets anyone do. */
export const READ_OPERATIONS = new Set([
  "GetObject", "HeadObject", "GetObjectMeta", "GetSymlink", "ListObjects", "ListObjectsV2",
]);

/** Operations that write objects: what public-read-write also lets anyone do. */
export const WRITE_OPERATIONS = new Set([
  "PutObject", "AppendObject", "DeleteObject", "DeleteMultipleObjects", "CopyObject", "PutSymlink",
  "InitiateMultipartUpload", "UploadPart", "UploadPartCopy", "CompleteMultipartUpload", "AbortMultipartUpload",
  "ListParts", "ListMultipartUploads", "RestoreObject",
]);

const BUCKET_OPERATIONS = new Set([
  "Options", "ListBuckets", "PutBucket", "DeleteBucket", "GetBucketInfo", "GetBucketLocation", "PutBucketAcl",
  "GetBucketAcl", "PutBucketCors", "GetBucketCors", "DeleteBucketCors", "ListObjects", "ListObjectsV2",
  "ListMultipartUploads", "DeleteMultipleObjects", "PostObject", ...SUBRESOURCE_OPERATIONS,
]);

/** True for operations on an object (which must have a valid name), false for bucket- and service-level ones. */
export function isObjectOperation(operation: string): boolean {
  return !BUCKET_OPERATIONS.has(operation);
}
