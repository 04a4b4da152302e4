// The S3 dialect's front: the OSS server hands over every request an S3 client sent (see isS3Request), and it
// goes through S3's steps: address (path style or virtual host), authenticate, name the operation, inject faults,
// check the bucket and the caller's rights, then the operation's handler, against the same store as OSS.
import { randomBytes } from "node:crypto";
import type { IncomingMessage, ServerResponse } from "node:http";
import { isIP } from "node:net";
import { hostName, parseRequestUrl, pathStyle } from "../addressing.ts";
import type { AuthConfig } from "../auth.ts";
import { Query, waitUnlessGone, type EmulatorState } from "../context.ts";
import { holdAnswer } from "../faults.ts";
import { corsHeaders, rulesFor } from "../cors.ts";
import { errors } from "../errors.ts";
import { anonymousDecision, policyResource } from "../policy.ts";
import { checkObjectName, isBucketName } from "../names.ts";
import { authenticateS3 } from "./auth.ts";
import type { S3Ctx } from "./context.ts";
import { s3Errors, sendS3Error } from "./errors.ts";
import * as buckets from "./handlers/buckets.ts";
import * as listing from "./handlers/listing.ts";
import * as multipart from "./handlers/multipart.ts";
import * as objects from "./handlers/objects.ts";
import { operationOf, READ_OPERATIONS, SERVICE_OPERATIONS, WRITE_OPERATIONS } from "./routes.ts";
import { canonicalPath } from "./sigv4.ts";

export { isS3Request } from "./auth.ts";

export { DEFAULT_S3_REGION } from "./region.ts";

type Handler = (ctx: S3Ctx) => Promise<void>;

const HANDLERS: Record<string, Handler> = {
  ListBuckets: listing.listBuckets,
  CreateBucket: buckets.createBucket,
  DeleteBucket: buckets.deleteBucket,
  HeadBucket: buckets.headBucket,
  GetBucketLocation: buckets.getBucketLocation,
  ListObjects: listing.listObjects,
  ListObjectsV2: listing.listObjectsV2,
  PutObject: objects.putObject,
  GetObject: objects.getObject,
  HeadObject: objects.getObject,
  DeleteObject: objects.deleteObject,
  DeleteObjects: objects.deleteObjects,
  CopyObject: objects.copyObject,
  CreateMultipartUpload: multipart.createMultipartUpload,
  UploadPart: multipart.uploadPart,
  UploadPartCopy: multipart.uploadPartCopy,
  CompleteMultipartUpload: multipart.completeMultipartUpload,
  AbortMultipartUpload: multipart.abortMultipartUpload,
  ListParts: multipart.listParts,
  ListMultipartUploads: multipart.listMultipartUploads,
};

const REQUEST_ID_PREFIX = randomBytes(4).toString("hex").toUpperCase();
let requestCounter = 0;

/** A request id shaped like S3's: 16 upper-case hex digits, unique within this process. */
function nextRequestId(): string {
  requestCounter++;
  return REQUEST_ID_PREFIX + requestCounter.toString(16).toUpperCase().padStart(8, "0");
}

/** Answers one S3 request; never throws (every failure becomes S3's error document). */
export async function handleS3(req: IncomingMessage, res: ServerResponse, em: EmulatorState, auth: AuthConfig): Promise<void> {
  const requestId = nextRequestId();
  res.setHeader("x-amz-request-id", requestId);
  res.setHeader("x-amz-id-2", Buffer.from(requestId).toString("base64"));
  res.setHeader("Server", "AmazonS3");
  const method = req.method ?? "GET";
  const url = req.url ?? "/";
  let resource = url.split("?")[0] ?? "/";
  try {
    const { path, query: entries } = parseRequestUrl(url);
    const query = new Query(entries);
    const { bucket, key } = addressOf(req.headers.host ?? "", path, em);
    resource = bucket === undefined ? "/" : `/${bucket}/${key}`;
    // CORS headers go on every answer, errors included, as on the OSS side (browsers upload to presigned URLs).
    const corsBucket = bucket === undefined ? undefined : em.store.bucket(bucket);
    for (const [name, value] of Object.entries(corsHeaders(req.headers, method, rulesFor(corsBucket, em.cors)))) {
      if (value !== undefined) res.setHeader(name, value);
    }
    const principal = authenticateS3({ method, headers: req.headers, query: entries, paths: canonicalPaths(url, path) }, auth);
    if (bucket !== undefined && !isBucketName(bucket)) throw errors.invalidBucketName(bucket);
    const operation = operationOf(method, bucket, key, query, req.headers);

    const fault = em.faults.decide(operation);
    if (fault.delayMs > 0 && !(await waitUnlessGone(res, fault.delayMs))) {
      // The client left during the delay: nobody to answer, and its body will never come.
      res.destroy();
      return;
    }
    if (fault.kind === "status") throw fault.code === 500 ? s3Errors.internal() : s3Errors.slowDown();
    // Unlike the OSS side, a reset comes before any of the body is read.
    if (fault.kind === "reset") {
      // A client that left during a delay has no socket left to reset.
      req.socket?.resetAndDestroy();
      return;
    }
    const held = em.faults.heldAnswer(operation);
    if (held !== undefined) holdAnswer(req, res, held);

    const bucketRecord = bucket === undefined ? undefined : em.store.bucket(bucket);
    if (!SERVICE_OPERATIONS.has(operation) && !bucketRecord) throw errors.noSuchBucket(bucket ?? "");
    if (key !== "") checkObjectName(key);
    if (principal.kind === "anonymous") authorizeAnonymous(em, operation, bucket, key);
    const ctx: S3Ctx = { req, res, em, requestId, method, query, bucket: bucket ?? "", key, operation, principal };
    const handler = HANDLERS[operation];
    if (!handler) throw s3Errors.notImplemented(operation);
    await handler(ctx);
  } catch (error) {
    try {
      sendS3Error(res, req, error, requestId, resource);
    } catch (failure) {
      // Nothing may stop the server: a request that cannot even be answered loses its connection.
      console.error(`oss-emulator (S3): request ${requestId} could not be answered:`, failure);
      res.destroy();
    }
  }
}

// Virtual host (`bucket.localhost:port`, `bucket.s3.amazonaws.com`, `bucket.s3.region.amazonaws.com`) names the
// bucket in the Host; anything else (an IP, the emulator's own name, `s3.amazonaws.com`) is path style.
function addressOf(hostHeader: string, path: string, em: EmulatorState): { bucket: string | undefined; key: string } {
  const host = hostName(hostHeader);
  const rest = path.slice(1);
  if (!isIP(host) && !em.ownHosts.has(host)) {
    const aws = /^(.+)\.s3(?:[.-][a-z0-9-]+)*\.amazonaws\.com$/.exec(host);
    if (aws && !/^s3[.-]/.test(host)) return { bucket: aws[1]!, key: rest };
    for (const own of em.ownHosts) {
      if (host.endsWith(`.${own}`)) {
        const label = host.slice(0, host.length - own.length - 1);
        if (!label.includes(".")) return { bucket: label, key: rest };
      }
    }
  }
  return pathStyle(rest);
}

// The canonical URI is the path encoded as S3 encodes it; a client that escapes differently (leaves `~` or `'`
// as they are, say) signed the path exactly as it sent it, so that reading is tried too.
function canonicalPaths(url: string, decodedPath: string): string[] {
  const raw = url.split("?")[0] ?? "/";
  const encoded = canonicalPath(decodedPath);
  return raw === encoded ? [encoded] : [encoded, raw];
}

// The OSS action a bucket policy names for an S3 operation whose name differs (policies are the OSS side's).
const POLICY_ACTIONS: Record<string, string> = {
  HeadObject: "GetObject",
  ListObjectsV2: "ListObjects",
  DeleteObjects: "DeleteMultipleObjects",
  CreateMultipartUpload: "InitiateMultipartUpload",
};

// As on the OSS side: a bucket policy's explicit Deny wins, its Allow opens what the ACL closes; otherwise
// anonymous callers may read what public-read opens and write what public-read-write opens. A read through a
// symlink is decided by its target's ACL, so that a link cannot open a private object.
function authorizeAnonymous(em: EmulatorState, operation: string, bucket: string | undefined, key: string): void {
  const record = bucket === undefined ? undefined : em.store.bucket(bucket);
  if (!record) throw s3Errors.accessDenied();
  const decision = anonymousDecision(record.subresources?.policy, `oss:${POLICY_ACTIONS[operation] ?? operation}`, policyResource(record.name, key));
  if (decision === "deny") throw s3Errors.accessDenied();
  if (decision === "allow") return;
  let object = key === "" ? undefined : em.store.object(record.name, key);
  if (object?.type === "Symlink" && object.symlinkTarget !== undefined && (operation === "GetObject" || operation === "HeadObject")) {
    object = em.store.object(record.name, object.symlinkTarget) ?? object;
  }
  const acl = object && object.acl !== "default" ? object.acl : record.acl;
  if (READ_OPERATIONS.has(operation) && acl !== "private") return;
  if (WRITE_OPERATIONS.has(operation) && record.acl === "public-read-write") return;
  throw s3Errors.accessDenied();
}
