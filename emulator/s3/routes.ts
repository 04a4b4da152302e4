// Which S3 operation a request is, named as the Amazon S3 API reference names it.
import type { IncomingHttpHeaders } from "node:http";
import type { Query } from "../context.ts";
import { s3Errors } from "./errors.ts";

// Sub-resources S3 has and the dialect does not: answered 501 rather than mistaken for a listing or a write.
const UNSUPPORTED = [
  "acl", "tagging", "cors", "lifecycle", "logging", "website", "policy", "versioning", "versions", "encryption",
  "replication", "inventory", "notification", "accelerate", "requestPayment", "analytics", "metrics", "ownershipControls",
  "publicAccessBlock", "object-lock", "retention", "legal-hold", "restore", "select", "attributes", "torrent",
  "intelligent-tiering", "policyStatus",
];

/** The operation of a request; 405 or 501 when there is none the dialect answers. */
export function operationOf(method: string, bucket: string | undefined, key: string, query: Query, headers: IncomingHttpHeaders): string {
  if (bucket === undefined) {
    if (method === "GET") return "ListBuckets";
    throw s3Errors.methodNotAllowed();
  }
  const unsupported = UNSUPPORTED.find((name) => query.has(name));
  if (unsupported) throw s3Errors.notImplemented(`${method} ?${unsupported}`);
  return key === "" ? bucketOperation(method, query) : objectOperation(method, query, headers);
}

function bucketOperation(method: string, query: Query): string {
  switch (method) {
    case "PUT":
      return "CreateBucket";
    case "DELETE":
      return "DeleteBucket";
    case "HEAD":
      return "HeadBucket";
    case "GET":
      if (query.has("location")) return "GetBucketLocation";
      if (query.has("uploads")) return "ListMultipartUploads";
      return query.get("list-type") === "2" ? "ListObjectsV2" : "ListObjects";
    case "POST":
      if (query.has("delete")) return "DeleteObjects";
      throw s3Errors.notImplemented("PostObject (form upload)");
    default:
      throw s3Errors.methodNotAllowed();
  }
}

function objectOperation(method: string, query: Query, headers: IncomingHttpHeaders): string {
  const copy = headers["x-amz-copy-source"] !== undefined;
  switch (method) {
    case "PUT":
      if (query.has("uploadId") || query.has("partNumber")) return copy ? "UploadPartCopy" : "UploadPart";
      return copy ? "CopyObject" : "PutObject";
    case "GET":
      return query.has("uploadId") ? "ListParts" : "GetObject";
    case "HEAD":
      return "HeadObject";
    case "DELETE":
      return query.has("uploadId") ? "AbortMultipartUpload" : "DeleteObject";
    case "POST":
      if (query.has("uploads")) return "CreateMultipartUpload";
      if (query.has("uploadId")) return "CompleteMultipartUpload";
      throw s3Errors.methodNotAllowed();
    default:
      throw s3Errors.methodNotAllowed();
  }
}

/** Operations that need no bucket record: the service's own, and creating one. */
export const SERVICE_OPERATIONS = new Set(["ListBuckets", "CreateBucket"]);

/** Operations that read an object or a listing: what public-read lets anyone do. */
export const READ_OPERATIONS = new Set(["GetObject", "HeadObject", "ListObjects", "ListObjectsV2", "HeadBucket"]);

/** Operations that write objects: what public-read-write also lets anyone do. */
export const WRITE_OPERATIONS = new Set([
  "PutObject", "DeleteObject", "DeleteObjects", "CopyObject", "CreateMultipartUpload", "UploadPart", "UploadPartCopy",
  "CompleteMultipartUpload", "AbortMultipartUpload", "ListParts", "ListMultipartUploads",
]);
