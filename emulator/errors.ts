// The service's errors: a status, a stable code, a message, and the extra elements the service adds
// (Key, BucketName, StringToSign …). Handlers throw these; the server turns them into the service's XML.
import { xmlDocument, type XmlObject } from "./xml.ts";

/** An error the service would answer with: `status`, `code` and the XML `details` it carries. */
export class OssError extends Error {
  readonly status: number;
  readonly code: string;
  /** Extra XML elements after HostId, in order (e.g. `Key`, `StringToSign`). */
  readonly details: Array<[string, string]>;
  /** Extra response headers (e.g. `x-oss-next-append-position` on PositionNotEqualToLength). */
  readonly headers: Record<string, string>;

  constructor(
    status: number,
    code: string,
    message: string,
    details: Array<[string, string]> = [],
    headers: Record<string, string> = {},
  ) {
    super(message);
    this.name = "OssError";
    this.status = status;
    this.code = code;
    this.details = details;
    this.headers = headers;
  }
}

/** The service's error document for `error`, as sent in the body and (base64) in `x-oss-err`. */
export function errorXml(error: OssError, requestId: string, hostId: string): string {
  const body: XmlObject = {
    Code: error.code,
    Message: error.message,
    RequestId: requestId,
    HostId: hostId,
  };
  for (const [name, value] of error.details) body[name] = value;
  return xmlDocument("Error", body);
}

// The errors the emulator answers with, named as the service names them. Messages follow the service's.
export const errors = {
  accessDenied: (message = "You have no right to access this object because of bucket acl.") =>
    new OssError(403, "AccessDenied", message),
  expired: (expires: string, serverTime: string) =>
    new OssError(403, "AccessDenied", "Request has expired.", [
      ["Expires", expires],
      ["ServerTime", serverTime],
    ]),
  invalidAccessKeyId: (accessKeyId: string) =>
    new OssError(403, "InvalidAccessKeyId", "The OSS Access Key Id you provided does not exist in our records.", [
      ["OSSAccessKeyId", accessKeyId],
    ]),
  invalidSecurityToken: () =>
    new OssError(403, "InvalidSecurityToken", "The security token you provided is invalid."),
  securityTokenExpired: () =>
    new OssError(403, "SecurityTokenExpired", "The security token you provided has expired."),
  signatureDoesNotMatch: (accessKeyId: string, stringToSign: string, canonicalRequest?: string) =>
    new OssError(
      403,
      "SignatureDoesNotMatch",
      "The request signature we calculated does not match the signature you provided. Check your key and signing method.",
      [
        ["OSSAccessKeyId", accessKeyId],
        ["StringToSign", stringToSign],
        ...(canonicalRequest === undefined ? [] : ([["CanonicalRequest", canonicalRequest]] as Array<[string, string]>)),
      ],
    ),
  timeTooSkewed: (requestTime: string, serverTime: string) =>
    new OssError(
      403,
      "RequestTimeTooSkewed",
      "The difference between the request time and the current time is too large.",
      [
        ["RequestTime", requestTime],
        ["ServerTime", serverTime],
        ["MaxAllowedSkewMilliseconds", "900000"],
      ],
    ),
  invalidArgument: (message: string, name?: string, value?: string) =>
    new OssError(
      400,
      "InvalidArgument",
      message,
      name === undefined ? [] : [["ArgumentName", name], ["ArgumentValue", value ?? ""]],
    ),
  invalidObjectName: (key: string) =>
    new OssError(400, "InvalidObjectName", "The specified object is not valid.", [["ObjectName", key]]),
  invalidBucketName: (bucket: string) =>
    new OssError(400, "InvalidBucketName", "The specified bucket is not valid.", [["BucketName", bucket]]),
  invalidDigest: (expected: string, calculated: string) =>
    new OssError(400, "InvalidDigest", "The Content-MD5 you specified is not valid.", [
      ["ExpectedMD5", expected],
      ["CalculatedMD5", calculated],
    ]),
  missingContentMd5: () =>
    new OssError(400, "InvalidRequest", "Missing required header for this request: Content-MD5"),
  invalidEncryptionAlgorithm: () =>
    new OssError(400, "InvalidEncryptionAlgorithmError", "The Encryption request you specified is not valid. Supported value: AES256/KMS/SM4."),
  malformedPostRequest: (message: string) => new OssError(400, "MalformedPOSTRequest", message),
  notMultipartForm: () =>
    new OssError(400, "RequestIsNotMultiPartContent", "Bucket POST must be of the enclosure-type multipart/form-data."),
  policyFailed: (message: string) => new OssError(403, "AccessDenied", `Invalid according to Policy: ${message}`),
  invalidPolicyDocument: (message: string) => new OssError(400, "InvalidPolicyDocument", message),
  invalidObjectState: (key: string) =>
    new OssError(403, "InvalidObjectState", "The operation is not valid for the object's state", [["Key", key]]),
  operationNotSupported: (message: string) => new OssError(400, "OperationNotSupported", message),
  restoreAlreadyInProgress: () =>
    new OssError(409, "RestoreAlreadyInProgress", "The restore operation is in progress."),
  malformedXml: (message = "The XML you provided was not well-formed or did not validate against our published schema.") =>
    new OssError(400, "MalformedXML", message),
  entityTooLarge: () => new OssError(400, "EntityTooLarge", "Your proposed upload exceeds the maximum allowed size."),
  entityTooSmall: () =>
    new OssError(400, "EntityTooSmall", "Your proposed upload smaller than the minimum allowed size."),
  incompleteBody: () =>
    new OssError(400, "IncompleteBody", "You did not provide the number of bytes specified by the Content-Length HTTP header."),
  missingContentLength: () =>
    new OssError(411, "MissingContentLength", "You must provide the Content-Length HTTP header."),
  noSuchBucket: (bucket: string) =>
    new OssError(404, "NoSuchBucket", "The specified bucket does not exist.", [["BucketName", bucket]]),
  noSuchKey: (key: string) => new OssError(404, "NoSuchKey", "The specified key does not exist.", [["Key", key]]),
  symlinkTargetMissing: (key: string) =>
    new OssError(404, "NoSuchKey", "The symlink target object does not exist.", [["Key", key]]),
  invalidTargetType: (key: string) =>
    new OssError(400, "InvalidTargetType", "The symlink target object type is not supported.", [["Key", key]]),
  notSymlink: () => new OssError(400, "NotSymlink", "The specified object is not a symlink."),
  fileAlreadyExists: (key: string) =>
    new OssError(409, "FileAlreadyExists", "The object you specified already exists and can not be overwritten.", [
      ["Key", key],
    ]),
  noSuchUpload: (uploadId: string) =>
    new OssError(
      404,
      "NoSuchUpload",
      "The specified upload does not exist. The upload ID may be invalid, or the upload may have been aborted or completed.",
      [["UploadId", uploadId]],
    ),
  noSuchCors: (bucket: string) =>
    new OssError(404, "NoSuchCORSConfiguration", "The CORS Configuration does not exist.", [["BucketName", bucket]]),
  bucketAlreadyExists: (bucket: string) =>
    new OssError(409, "BucketAlreadyExists", "The requested bucket name is not available.", [["BucketName", bucket]]),
  bucketNotEmpty: (bucket: string) =>
    new OssError(409, "BucketNotEmpty", "The bucket you tried to delete is not empty.", [["BucketName", bucket]]),
  objectNotAppendable: () =>
    new OssError(409, "ObjectNotAppendable", "The object is not appendable"),
  positionNotEqualToLength: (next: number) =>
    new OssError(409, "PositionNotEqualToLength", "Position is not equal to file length", [], {
      "x-oss-next-append-position": String(next),
    }),
  invalidPart: () =>
    new OssError(
      400,
      "InvalidPart",
      "One or more of the specified parts could not be found or the specified entity tag might not have matched the part's entity tag.",
    ),
  invalidPartOrder: () =>
    new OssError(400, "InvalidPartOrder", "The list of parts was not in ascending order. Parts must be ordered by part number."),
  invalidRange: (size: number) =>
    new OssError(416, "InvalidRange", "The requested range cannot be satisfied", [["ActualObjectSize", String(size)]]),
  preconditionFailed: (condition: string) =>
    new OssError(412, "PreconditionFailed", `At least one of the pre-conditions you specified did not hold. (condition: ${condition})`, [
      ["Condition", condition],
    ]),
  invalidTag: (message: string) => new OssError(400, "InvalidTag", message),
  methodNotAllowed: () =>
    new OssError(405, "MethodNotAllowed", "The specified method is not allowed against this resource."),
  notImplemented: (what: string) => new OssError(501, "NotImplemented", `${what} is not implemented by the local OSS emulator.`),
  corsForbidden: () => new OssError(403, "AccessForbidden", "CORSResponse: This CORS request is not allowed."),
  internalError: () => new OssError(500, "InternalError", "We encountered an internal error. Please try again."),
  serviceUnavailable: () => new OssError(503, "ServiceUnavailable", "Please reduce your request rate."),
};
