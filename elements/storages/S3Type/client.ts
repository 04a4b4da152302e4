// The S3Client of one instance: its options, its own sockets, and the one addition S3-compatible services need.
import { createHash } from "node:crypto";
import { Agent as HttpAgent } from "node:http";
import { Agent as HttpsAgent } from "node:https";
import type { S3Client } from "@aws-sdk/client-s3";
import type { S3Config, S3Target } from "./config.ts";
import type { Sdk } from "./sdk.ts";

const QUIET_LOGGER = { debug() {}, info() {}, warn() {}, error() {} };

/** A client and the sockets it owns; `destroy()` closes them. */
export interface ClientHandle {
  client: S3Client;
  destroy(): void;
}

/** One client for one instance, with agents of its own so that `close()` really releases its sockets. */
export function makeClient(sdk: Sdk, config: S3Config, target: S3Target): ClientHandle {
  const httpAgent = new HttpAgent({ keepAlive: true, scheduling: "lifo" });
  const httpsAgent = new HttpsAgent({ keepAlive: true, scheduling: "lifo" });
  const client = new sdk.s3.S3Client({
    region: target.region,
    endpoint: target.origin,
    forcePathStyle: target.pathStyle,
    credentials: { accessKeyId: config.accessKeyId, secretAccessKey: config.accessKeySecret, sessionToken: config.sessionToken },
    // Retrying is ours (withRetries, with backoff, for bodies we can read again): one policy, not two stacked.
    maxAttempts: 1,
    // Current SDKs send every upload as aws-chunked with a CRC32 trailer and ask every download for checksums.
    // Many S3-compatible services (older MinIO, Qiniu, EOS, s3rver) refuse or mangle aws-chunked bodies, so
    // checksums go only where an operation requires one (DeleteObjects); whole-object uploads carry Content-MD5,
    // which every S3-compatible service checks, and downloads are checked against their Content-Length.
    requestChecksumCalculation: "WHEN_REQUIRED",
    responseChecksumValidation: "WHEN_REQUIRED",
    // A redirect to another region is a wrong `region`, and the message says so; following it would hide it.
    followRegionRedirects: false,
    requestHandler: { httpAgent, httpsAgent, connectionTimeout: config.timeout, requestTimeout: config.timeout },
    // Without a logger of its own the SDK console.warns "An error was encountered in a non-retryable streaming
    // request." whenever an upload with a stream body fails or is aborted: the failure reaches the caller as an
    // error already, and the SDK's words must not land in the user's output.
    logger: QUIET_LOGGER,
  });
  client.middlewareStack.add(
    (next, context) => async (args) => {
      // S3 requires an integrity header on DeleteObjects; the SDK now sends a CRC32 one, which services that
      // predate flexible checksums do not know (MissingContentMD5). Content-MD5 is what all of them take.
      const request = args.request as { body?: unknown; headers?: Record<string, string> } | undefined;
      if (context.commandName === "DeleteObjectsCommand" && request?.headers !== undefined && typeof request.body === "string") {
        request.headers["content-md5"] = createHash("md5").update(request.body).digest("base64");
      }
      return next(args);
    },
    { step: "build", name: "jitDeleteObjectsContentMd5" },
  );
  return {
    client,
    destroy() {
      client.destroy();
      httpAgent.destroy();
      httpsAgent.destroy();
    },
  };
}
