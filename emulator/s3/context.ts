// One S3 request as the S3 handlers see it, and S3's ways of answering: XML in S3's namespace, and S3's
// spellings of what the shared store keeps (lower-case ETags, S3 storage class names).
import type { IncomingMessage, OutgoingHttpHeaders, ServerResponse } from "node:http";
import type { EmulatorState, Query } from "../context.ts";
import { xmlDocument, type XmlObject } from "../xml.ts";
import type { S3Principal } from "./auth.ts";
import { s3Errors } from "./errors.ts";

export interface S3Ctx {
  req: IncomingMessage;
  res: ServerResponse;
  em: EmulatorState;
  requestId: string;
  method: string;
  query: Query;
  /** The bucket; "" for ListBuckets. */
  bucket: string;
  /** The object key; "" for bucket-level operations. */
  key: string;
  operation: string;
  principal: S3Principal;
}

const NAMESPACE = "http://s3.amazonaws.com/doc/2006-03-01/";

/** Answers with an XML document whose root is in S3's namespace. */
export function sendXml(ctx: Pick<S3Ctx, "res" | "method">, status: number, root: string, body: XmlObject, headers: OutgoingHttpHeaders = {}): void {
  const text = xmlDocument(root, body).replace(`<${root}>`, `<${root} xmlns="${NAMESPACE}">`);
  ctx.res.writeHead(status, { ...headers, "Content-Type": "application/xml", "Content-Length": Buffer.byteLength(text) });
  ctx.res.end(ctx.method === "HEAD" ? undefined : text);
}

export function sendEmpty(ctx: Pick<S3Ctx, "res">, status: number, headers: OutgoingHttpHeaders = {}): void {
  ctx.res.writeHead(status, { "Content-Length": 0, ...headers });
  ctx.res.end();
}

/** `"hex"`: the store keeps ETags in upper case (OSS's spelling), S3 writes them in lower case. */
export function s3Etag(etag: string): string {
  return `"${etag.toLowerCase()}"`;
}

/** An ETag a client sent back (quoted or not, any case) as the store spells it. */
export function storeEtag(etag: string): string {
  return etag.trim().replace(/^"|"$/g, "").toUpperCase();
}

// The store's storage classes (OSS's names) as S3 names their nearest kin, and the S3 classes a write may ask for.
const TO_S3: Record<string, string> = {
  Standard: "STANDARD",
  IA: "STANDARD_IA",
  Archive: "GLACIER",
  ColdArchive: "DEEP_ARCHIVE",
  DeepColdArchive: "DEEP_ARCHIVE",
};
const FROM_S3 = new Map([
  ["STANDARD", "Standard"],
  ["STANDARD_IA", "IA"],
  ["GLACIER", "Archive"],
  ["DEEP_ARCHIVE", "ColdArchive"],
]);

export function s3StorageClass(storeClass: string): string {
  return TO_S3[storeClass] ?? "STANDARD";
}

/** The store's class for `x-amz-storage-class`, or `fallback` without one; 400 InvalidStorageClass otherwise. */
export function storageClassOf(ctx: S3Ctx, fallback: string): string {
  const value = ctx.req.headers["x-amz-storage-class"];
  if (value === undefined || value === "") return fallback;
  const text = Array.isArray(value) ? value.join(",") : value;
  const store = FROM_S3.get(text);
  if (!store) throw s3Errors.invalidStorageClass(text);
  return store;
}

/** The owner of everything, as S3 writes owners. */
export const OWNER = { ID: "1000000000000000", DisplayName: "local" };

/** With `encoding-type=url`, the encoder for names in the answer; 400 for any other encoding type. */
export function encodingOf(ctx: S3Ctx): ((text: string) => string) | undefined {
  const type = ctx.query.get("encoding-type");
  if (type === undefined || type === "") return undefined;
  if (type !== "url") throw s3Errors.invalidArgument("Invalid Encoding Method specified in Request", "encoding-type", type);
  return (text) => encodeURIComponent(text).replace(/%2F/g, "/");
}

/** A positive integer parameter up to `max` (larger values are capped, as S3 does), `fallback` when absent. */
export function maxOf(ctx: S3Ctx, name: string, fallback: number, max: number): number {
  const text = ctx.query.get(name);
  if (text === undefined || text === "") return fallback;
  if (!/^\d+$/.test(text)) throw s3Errors.invalidArgument(`Provided ${name} not an integer or within integer range`, name, text);
  return Math.min(Number(text), max);
}
