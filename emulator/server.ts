// The HTTP front: every request goes through the same steps, in the service's order: address, authenticate,
// name the operation, inject faults, check the bucket and the caller's rights, then the operation's handler.
import { randomBytes } from "node:crypto";
import { createServer, type IncomingMessage, type OutgoingHttpHeaders, type Server } from "node:http";
import { resolveTargets, parseRequestUrl, type Addressing } from "./addressing.ts";
import { authenticate, type AuthConfig } from "./auth.ts";
import type { ConnectionGuard, ResolvedLimits } from "./connections.ts";
import { Query, sendEmpty, sendError, waitUnlessGone, type Ctx, type EmulatorState } from "./context.ts";
import { corsHeaders, preflight, rulesFor } from "./cors.ts";
import { OssResponse } from "./response.ts";
import { anonymousDecision, policyResource } from "./policy.ts";
import { errors } from "./errors.ts";
import * as buckets from "./handlers/buckets.ts";
import * as listing from "./handlers/listing.ts";
import * as multipart from "./handlers/multipart.ts";
import * as objects from "./handlers/objects.ts";
import * as post from "./handlers/post.ts";
import { handleSubresource, SUBRESOURCE_OPERATIONS } from "./handlers/subresources.ts";
import { checkObjectName, isBucketName } from "./names.ts";
import { isObjectOperation, operationOf, READ_OPERATIONS, SELF_AUTHENTICATING, WRITE_OPERATIONS } from "./routes.ts";
import { handleS3, isS3Request } from "./s3/server.ts";
import type { BucketRecord, ObjectRecord } from "./store.ts";
import { holdAnswer } from "./faults.ts";

type Handler = (ctx: Ctx) => Promise<void>;

const HANDLERS: Record<string, Handler> = {
  PutObject: objects.putObject,
  PostObject: post.postObject,
  GetObject: objects.getObject,
  HeadObject: objects.getObject,
  GetObjectMeta: objects.getObjectMeta,
  DeleteObject: objects.deleteObject,
  DeleteMultipleObjects: objects.deleteMultipleObjects,
  CopyObject: objects.copyObject,
  AppendObject: objects.appendObject,
  RestoreObject: objects.restoreObject,
  PutObjectACL: objects.putObjectAcl,
  GetObjectACL: objects.getObjectAcl,
  PutObjectTagging: objects.putObjectTagging,
  GetObjectTagging: objects.getObjectTagging,
  DeleteObjectTagging: objects.deleteObjectTagging,
  PutSymlink: objects.putSymlink,
  GetSymlink: objects.getSymlink,
  ListObjects: listing.listObjects,
  ListObjectsV2: listing.listObjectsV2,
  ListBuckets: listing.listBuckets,
  InitiateMultipartUpload: multipart.initiateMultipartUpload,
  UploadPart: multipart.uploadPart,
  UploadPartCopy: multipart.uploadPartCopy,
  CompleteMultipartUpload: multipart.completeMultipartUpload,
  AbortMultipartUpload: multipart.abortMultipartUpload,
  ListParts: multipart.listParts,
  ListMultipartUploads: multipart.listMultipartUploads,
  PutBucket: buckets.putBucket,
  DeleteBucket: buckets.deleteBucket,
  GetBucketInfo: buckets.getBucketInfo,
  GetBucketLocation: buckets.getBucketLocation,
  PutBucketAcl: buckets.putBucketAcl,
  GetBucketAcl: buckets.getBucketAcl,
  PutBucketCors: buckets.putBucketCors,
  GetBucketCors: buckets.getBucketCors,
  DeleteBucketCors: buckets.deleteBucketCors,
  ...Object.fromEntries(SUBRESOURCE_OPERATIONS.map((name) => [name, handleSubresource])),
};

// Operations whose policy action has another name than the operation.
const POLICY_ACTIONS: Record<string, string> = { HeadObject: "GetObject", GetObjectMeta: "GetObject", ListObjectsV2: "ListObjects" };

// Operations that read a symlink's target rather than the link itself.
const FOLLOWS_SYMLINKS = new Set(["GetObject", "HeadObject"]);

// Operations with a request body, which a `reset` fault cuts off while it is arriving.
const BODY_OPERATIONS = new Set(["PutObject", "PostObject", "AppendObject", "UploadPart"]);

/** An HTTP server answering the OSS protocol for `em`, authenticating with `auth`, within `limits`. */
export function createOssServer(em: EmulatorState, auth: AuthConfig, limits: ResolvedLimits, guard: ConnectionGuard): Server {
  const addressing: Addressing = {
    ownHosts: em.ownHosts,
    defaultBucket: em.defaultBucket,
    bucketExists: (name) => em.store.bucket(name) !== undefined,
  };
  const server = createServer<typeof IncomingMessage, typeof OssResponse>(
    {
      ServerResponse: OssResponse,
      headersTimeout: limits.headersTimeoutMs,
      requestTimeout: limits.requestTimeoutMs,
      keepAliveTimeout: limits.keepAliveTimeoutMs,
      // Node checks the two timeouts above this often (30 s by default, too coarse for a 20 s limit).
      connectionsCheckingInterval: Math.max(100, Math.min(1000, Math.floor(limits.headersTimeoutMs / 4))),
      // The service takes a chunked body that also declares a Content-Length (and ignores the length); Node's
      // strict parser refuses it before any code of ours runs. The lenient parser also lets through header
      // values with control characters, which headers.ts refuses with a 400 of the service's.
      insecureHTTPParser: true,
    },
    (req, res) => {
      const socket = req.socket;
      guard.started(socket);
      res.once("close", () => guard.ended(socket));
      // A response written to a connection that broke emits an error nobody waits for: the socket is gone, and
      // there is nothing left to do about it. Without a listener it would end the process.
      res.on("error", ignore);
      em.inFlight.started();
      void serve(req, res, em, auth, addressing);
    },
  );
  // No byte either way for this long, with a request under way: the client is gone or stalled (between
  // requests, keepAliveTimeout applies instead). Node then destroys the socket, which ends the handler.
  server.timeout = limits.idleTimeoutMs;
  server.on("connection", (socket) => guard.admit(socket));
  return server;
}

function ignore(): void {}

// One request of either dialect, to its end, counted in em.inFlight; never rejects.
async function serve(req: IncomingMessage, res: OssResponse, em: EmulatorState, auth: AuthConfig, addressing: Addressing): Promise<void> {
  try {
    await (isS3Request(req.headers, req.url ?? "/") ? handleS3(req, res, em, auth) : handle(req, res, em, auth, addressing));
  } catch (error) {
    console.error("oss-emulator: a request failed after its answer was sent:", error);
    res.destroy();
  } finally {
    em.inFlight.ended();
  }
}

const REQUEST_ID_PREFIX = randomBytes(6).toString("hex").toUpperCase();
let requestCounter = 0;

/** A request id shaped like the service's: 24 upper-case hex digits, unique within this process. */
function nextRequestId(): string {
  requestCounter++;
  return REQUEST_ID_PREFIX + requestCounter.toString(16).toUpperCase().padStart(12, "0");
}

async function handle(req: IncomingMessage, res: OssResponse, em: EmulatorState, auth: AuthConfig, addressing: Addressing): Promise<void> {
  const requestId = nextRequestId();
  const common: OutgoingHttpHeaders = { "x-oss-request-id": requestId, Server: "AliyunOSS" };
  res.commonHeaders = common;
  const method = req.method ?? "GET";
  let hostId = req.headers.host ?? `oss-${em.region}.aliyuncs.com`;
  try {
    const { path, query: entries } = parseRequestUrl(req.url ?? "/");
    const query = new Query(entries);
    const targets = resolveTargets(req.headers.host ?? "", path, addressing);
    if (method === "OPTIONS") {
      const bucket = targets[0]!.bucket;
      const headers = preflight(req.headers, rulesFor(bucket === undefined ? undefined : em.store.bucket(bucket), em.cors));
      sendEmpty({ res }, 200, headers);
      return;
    }
    // CORS headers go on every answer, errors included, so that a browser can read why a request failed. Only a
    // request with an Origin gets any.
    if (req.headers.origin) {
      const corsBucket = targets[0]!.bucket === undefined ? undefined : em.store.bucket(targets[0]!.bucket);
      for (const [name, value] of Object.entries(corsHeaders(req.headers, method, rulesFor(corsBucket, em.cors)))) {
        if (value !== undefined) common[name] = value;
      }
    }
    const { principal, target } = authenticate({ method, headers: req.headers, query: entries }, targets, auth);
    hostId = target.bucket === undefined ? `oss-${em.region}.aliyuncs.com` : `${target.bucket}.oss-${em.region}.aliyuncs.com`;
    if (target.bucket !== undefined && !isBucketName(target.bucket)) throw errors.invalidBucketName(target.bucket);
    const operation = operationOf(method, target, query, req.headers);
    const bucketRecord = target.bucket === undefined ? undefined : em.store.bucket(target.bucket);

    const fault = em.faults.decide(operation);
    if (fault.delayMs > 0 && !(await waitUnlessGone(res, fault.delayMs))) {
      // The client left during the delay: nobody to answer, and its body will never come.
      res.destroy();
      return;
    }
    if (fault.kind === "status") throw fault.code === 500 ? errors.internalError() : errors.serviceUnavailable();
    let resetAfterBytes: number | undefined;
    if (fault.kind === "reset") {
      if (operation !== "GetObject") {
        await resetConnection(req, BODY_OPERATIONS.has(operation) ? (fault.afterBytes ?? 0) : 0);
        return;
      }
      // -1: half of the body, decided once its length is known.
      resetAfterBytes = fault.afterBytes ?? -1;
    }
    const held = em.faults.heldAnswer(operation);
    if (held !== undefined) holdAnswer(req, res, held);

    if (operation !== "ListBuckets" && operation !== "PutBucket" && !bucketRecord) {
      throw errors.noSuchBucket(target.bucket ?? "");
    }
    if (isObjectOperation(operation)) checkObjectName(target.key);
    if (principal.kind === "anonymous" && !SELF_AUTHENTICATING.has(operation)) {
      let object = bucketRecord && target.key !== "" ? em.store.object(bucketRecord.name, target.key) : undefined;
      // Reading through a symlink reads its target, so the target's ACL decides, as the service decides it.
      if (bucketRecord && object?.type === "Symlink" && object.symlinkTarget !== undefined && FOLLOWS_SYMLINKS.has(operation)) {
        object = em.store.object(bucketRecord.name, object.symlinkTarget) ?? object;
      }
      authorizeAnonymous(operation, bucketRecord, object, object?.key ?? target.key);
    }
    const ctx: Ctx = {
      req,
      res,
      em,
      requestId,
      hostId,
      method,
      query,
      target,
      bucket: target.bucket ?? "",
      key: target.key,
      operation,
      principal,
      ...(resetAfterBytes !== undefined ? { resetAfterBytes } : {}),
    };
    const handler = HANDLERS[operation];
    if (!handler) throw errors.notImplemented(operation);
    await handler(ctx);
  } catch (error) {
    sendError(res, req, error, requestId, hostId);
  }
}

// Anonymous callers may read what public-read opens and write what public-read-write opens; nothing else.
function authorizeAnonymous(operation: string, bucket: BucketRecord | undefined, object: ObjectRecord | undefined, key: string): void {
  if (!bucket) throw errors.accessDenied("Anonymous access is forbidden for this operation.");
  // A bucket policy's explicit Deny wins over everything, its Allow over the ACL.
  const action = `oss:${POLICY_ACTIONS[operation] ?? operation}`;
  const decision = anonymousDecision(bucket.subresources?.policy, action, policyResource(bucket.name, key));
  if (decision === "deny") throw errors.accessDenied("You have no right to access this object because of bucket policy.");
  if (decision === "allow") return;
  const acl = object && object.acl !== "default" ? object.acl : bucket.acl;
  if (READ_OPERATIONS.has(operation) && acl !== "private") return;
  if (WRITE_OPERATIONS.has(operation) && bucket.acl === "public-read-write") return;
  throw errors.accessDenied();
}

// Receives `afterBytes` of the body (or all of it, if shorter), then drops the connection with a TCP reset.
async function resetConnection(req: IncomingMessage, afterBytes: number): Promise<void> {
  if (afterBytes > 0) {
    let received = 0;
    await new Promise<void>((resolve) => {
      const onData = (chunk: Buffer) => {
        received += chunk.length;
        if (received >= afterBytes) done();
      };
      const done = () => {
        req.off("data", onData);
        req.pause();
        resolve();
      };
      req.on("data", onData);
      req.once("end", done);
      req.once("error", done);
      req.once("close", done);
    });
  }
  req.socket.resetAndDestroy();
}
