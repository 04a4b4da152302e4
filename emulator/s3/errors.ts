// Amazon S3's errors (API reference, "Error responses" and "List of error codes"): the same OssError carrier the
// OSS side throws (status, code, message, extra elements), with S3's codes, messages and element names.
import type { IncomingMessage, OutgoingHttpHeaders, ServerResponse } from "node:http";
import { drain, DRAIN_LIMIT } from "../context.ts";
import { errors as ossErrors, OssError } from "../errors.ts";
import { xmlDocument, type XmlObject } from "../xml.ts";

const e = (status: number, code: string, message: string, details: Array<[string, string]> = []) =>
  new OssError(status, code, message, details);

export const s3Errors = {
  accessDenied: (message = "Access Denied") => e(403, "AccessDenied", message),
  expired: (expires: string, expiredAt: string, serverTime: string) =>
    e(403, "AccessDenied", "Request has expired", [
      ["X-Amz-Expires", expires],
      ["Expires", expiredAt],
      ["ServerTime", serverTime],
    ]),
  notYetValid: () => e(403, "AccessDenied", "Request is not valid yet"),
  invalidAccessKeyId: (accessKeyId: string) =>
    e(403, "InvalidAccessKeyId", "The AWS Access Key Id you provided does not exist in our records.", [
      ["AWSAccessKeyId", accessKeyId],
    ]),
  invalidToken: () => e(400, "InvalidToken", "The provided token is malformed or otherwise invalid."),
  expiredToken: () => e(400, "ExpiredToken", "The provided token has expired."),
  signatureDoesNotMatch: (accessKeyId: string, stringToSign: string, signatureProvided: string, canonicalRequest?: string) =>
    e(
      403,
      "SignatureDoesNotMatch",
      "The request signature we calculated does not match the signature you provided. Check your key and signing method.",
      [
        ["AWSAccessKeyId", accessKeyId],
        ["StringToSign", stringToSign],
        ["SignatureProvided", signatureProvided],
        ...(canonicalRequest === undefined ? [] : ([["CanonicalRequest", canonicalRequest]] as Array<[string, string]>)),
      ],
    ),
  timeTooSkewed: (requestTime: string, serverTime: string) =>
    e(403, "RequestTimeTooSkewed", "The difference between the request time and the current time is too large.", [
      ["RequestTime", requestTime],
      ["ServerTime", serverTime],
      ["MaxAllowedSkewMilliseconds", "900000"],
    ]),
  headerMalformed: (message: string) => e(400, "AuthorizationHeaderMalformed", message),
  queryMalformed: (message: string) => e(400, "AuthorizationQueryParametersError", message),
  headersNotSigned: (names: string[]) =>
    e(403, "AccessDenied", "There were headers present in the request which were not signed", [
      ["HeadersNotSigned", names.join(", ")],
    ]),
  missingDate: () => e(403, "AccessDenied", "AWS authentication requires a valid Date or x-amz-date header"),
  invalidRequest: (message: string) => e(400, "InvalidRequest", message),
  invalidArgument: (message: string, name?: string, value?: string) =>
    e(400, "InvalidArgument", message, name === undefined ? [] : [["ArgumentName", name], ["ArgumentValue", value ?? ""]]),
  contentSha256Mismatch: (client: string, computed: string) =>
    e(400, "XAmzContentSHA256Mismatch", "The provided 'x-amz-content-sha256' header does not match what was computed.", [
      ["ClientComputedContentSHA256", client],
      ["S3ComputedContentSHA256", computed],
    ]),
  badDigest: (what: string) => e(400, "BadDigest", `The ${what} you specified did not match the calculated checksum.`),
  badContentMd5: () => e(400, "BadDigest", "The Content-MD5 you specified did not match what we received."),
  invalidDigest: () => e(400, "InvalidDigest", "The Content-MD5 you specified is not valid."),
  noSuchBucket: (bucket: string) => e(404, "NoSuchBucket", "The specified bucket does not exist", [["BucketName", bucket]]),
  noSuchKey: (key: string) => e(404, "NoSuchKey", "The specified key does not exist.", [["Key", key]]),
  entityTooLarge: () => e(400, "EntityTooLarge", "Your proposed upload exceeds the maximum allowed size"),
  entityTooSmall: () => e(400, "EntityTooSmall", "Your proposed upload is smaller than the minimum allowed object size."),
  invalidPart: () =>
    e(400, "InvalidPart", "One or more of the specified parts could not be found.  The part may not have been uploaded, or the specified entity tag may not match the part's entity tag."),
  invalidPartOrder: () => e(400, "InvalidPartOrder", "The list of parts was not in ascending order. The parts list must be specified in order by part number."),
  malformedXml: () =>
    e(400, "MalformedXML", "The XML you provided was not well-formed or did not validate against our published schema"),
  preconditionFailed: (condition: string) =>
    e(412, "PreconditionFailed", "At least one of the pre-conditions you specified did not hold", [["Condition", condition]]),
  incompleteBody: () => e(400, "IncompleteBody", "The request body terminated unexpectedly"),
  chunkMalformed: (message: string) => e(400, "IncompleteBody", message),
  missingContentLength: () => e(411, "MissingContentLength", "You must provide the Content-Length HTTP header."),
  invalidStorageClass: (value: string) =>
    e(400, "InvalidStorageClass", "The storage class you specified is not valid", [["StorageClassRequested", value]]),
  keyTooLong: () => e(400, "KeyTooLongError", "Your key is too long"),
  invalidObjectName: (key: string) => e(400, "InvalidArgument", "The object key is not one this server can store.", [["Key", key]]),
  copyToItself: () =>
    e(
      400,
      "InvalidRequest",
      "This copy request is illegal because it is trying to copy an object to itself without changing the object's metadata, storage class, website redirect location or encryption attributes.",
    ),
  metadataTooLarge: () => e(400, "MetadataTooLarge", "Your metadata headers exceed the maximum allowed metadata size."),
  bucketAlreadyOwnedByYou: (bucket: string) =>
    e(409, "BucketAlreadyOwnedByYou", "Your previous request to create the named bucket succeeded and you already own it.", [
      ["BucketName", bucket],
    ]),
  internal: () => e(500, "InternalError", "We encountered an internal error. Please try again."),
  slowDown: () => e(503, "SlowDown", "Please reduce your request rate."),
  methodNotAllowed: () => e(405, "MethodNotAllowed", "The specified method is not allowed against this resource."),
  notImplemented: (what: string) =>
    e(501, "NotImplemented", `${what} is not implemented by the local server's S3 dialect.`),
  invalidRange: (size: number) =>
    new OssError(416, "InvalidRange", "The requested range is not satisfiable", [["ActualObjectSize", String(size)]], {
      "Content-Range": `bytes */${size}`,
    }),
};

// Codes the shared store and body helpers throw that S3 spells differently; everything else is already S3's.
const RENAMED: Record<string, (error: OssError) => OssError> = {
  BucketAlreadyExists: (error) => s3Errors.bucketAlreadyOwnedByYou(detail(error, "BucketName")),
  InvalidObjectName: (error) => {
    const key = detail(error, "ObjectName");
    return Buffer.byteLength(key, "utf8") > 1024 ? s3Errors.keyTooLong() : s3Errors.invalidObjectName(key);
  },
  InvalidDigest: () => s3Errors.invalidDigest(),
  InvalidRange: (error) => s3Errors.invalidRange(Number(detail(error, "ActualObjectSize"))),
  FileAlreadyExists: (error) => e(412, "PreconditionFailed", "At least one of the pre-conditions you specified did not hold", [["Key", detail(error, "Key")]]),
};

/** The S3 error for anything a handler threw: S3 errors as they are, OSS ones renamed, the rest 500. */
export function toS3Error(error: unknown): OssError {
  if (!(error instanceof OssError)) return ossErrors.internalError();
  return RENAMED[error.code]?.(error) ?? error;
}

function detail(error: OssError, name: string): string {
  return error.details.find(([n]) => n === name)?.[1] ?? "";
}

/** Answers with S3's error document (no body for HEAD, as S3 does). */
export function sendS3Error(res: ServerResponse, req: IncomingMessage, error: unknown, requestId: string, resource: string): void {
  const code = error instanceof Error ? (error as NodeJS.ErrnoException).code : undefined;
  // A request destroyed mid-body lets go of its socket (`req.socket` is then null); one read to its end keeps it.
  const socket = res.socket ?? req.socket;
  if (!socket || socket.destroyed || res.destroyed || code === "ECONNRESET" || code === "ERR_STREAM_PREMATURE_CLOSE") {
    // The client went away mid-request: there is nobody to answer.
    res.destroy();
    return;
  }
  const s3Error = toS3Error(error);
  if (!(error instanceof OssError)) console.error(`oss-emulator (S3): request ${requestId} failed:`, error);
  if (res.headersSent) {
    res.destroy();
    return;
  }
  const body: XmlObject = { Code: s3Error.code, Message: s3Error.message };
  for (const [name, value] of s3Error.details) body[name] = value;
  body.Resource = resource;
  body.RequestId = requestId;
  body.HostId = Buffer.from(requestId).toString("base64");
  const text = xmlDocument("Error", body);
  const headers: OutgoingHttpHeaders = {
    ...s3Error.headers,
    "Content-Type": "application/xml",
    "Content-Length": Buffer.byteLength(text),
  };
  if (!req.complete) {
    // As the OSS side: a short rest is read and dropped (so that a client still sending sees the answer), a
    // long one, or a chunked one that runs past the limit, loses its connection.
    req.unpipe();
    const length = Number(req.headers["content-length"] ?? 0);
    if (length > DRAIN_LIMIT) headers.Connection = "close";
    else drain(req);
  }
  res.writeHead(s3Error.status, headers);
  res.end(req.method === "HEAD" ? undefined : text);
}
