// Multipart upload in OSS's words: the shared part driver (Meta) decides what is sent when, retried, abandoned or
// reported after an abort; this module says how each request goes through ali-oss.
import type OSS from "ali-oss";
import { uploadInParts as drive } from "../Meta/index.ts";
import type { MultipartProtocol, MultipartUploadOptions } from "../Meta/index.ts";

/** The upload's own facts, beside what the part driver takes (parts, parallelism, retries, progress, abort). */
export interface MultipartRequest extends Omit<MultipartUploadOptions, "protocol"> {
  client: OSS;
  name: string;
  contentType: string;
  /** `x-oss-meta-*` headers. */
  headers: Record<string, string>;
  /** Deadline of each request, each part included (milliseconds). */
  timeout: number;
}

/** Uploads `parts` as one object; resolves with its ETag and size, or rejects after aborting the upload. */
export function uploadInParts(request: MultipartRequest): Promise<{ etag: string; size: number }> {
  const { parts, parallel, policy, isTransient, progress, signal, source } = request;
  return drive({ protocol: ossProtocol(request), parts, parallel, policy, isTransient, progress, signal, source });
}

function ossProtocol(request: MultipartRequest): MultipartProtocol {
  const { client, name, timeout } = request;
  return {
    async initiate() {
      const { uploadId } = await client.initMultipartUpload(name, { mime: request.contentType, headers: request.headers, timeout });
      return uploadId;
    },
    async uploadPart(uploadId, part, body) {
      return (await client.uploadPart(name, uploadId, part.number, body, 0, part.size, { timeout })).etag;
    },
    async complete(uploadId, parts) {
      return unquote((await client.completeMultipartUpload(name, uploadId, parts, { timeout })).etag);
    },
    async head() {
      const headers = (await client.head(name, { timeout })).res.headers as Record<string, string | undefined>;
      const modified = Date.parse(headers["last-modified"] ?? "");
      return { etag: unquote(headers.etag ?? ""), size: Number(headers["content-length"]), lastModified: Number.isFinite(modified) ? new Date(modified) : undefined };
    },
    async abort(uploadId) {
      // abortMultipartUpload also sets the client's cancel flag, which only the managed multipartUpload reads; this
      // module does not use it, so other uploads on the client go on.
      await client.abortMultipartUpload(name, uploadId, { timeout });
    },
    isNoSuchUpload: (error) => (error as { code?: unknown } | null)?.code === "NoSuchUpload",
    answerOf(error) {
      const { code, status } = (error ?? {}) as { code?: unknown; status?: unknown };
      // ali-oss gives status -1 or -2 when no answer came.
      return typeof status === "number" && status > 0 ? { code: typeof code === "string" ? code : undefined, status } : undefined;
    },
    partsInEtag: true,
  };
}

/** `"ABC"` → `ABC`. */
export function unquote(etag: string): string {
  return etag.replace(/^W\//, "").replace(/^"|"$/g, "");
}
