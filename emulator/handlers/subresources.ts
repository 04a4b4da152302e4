// Bucket sub-resources the emulator keeps and returns as given (lifecycle, tagging, website, referer, logging,
// encryption, policy, request payment, inventory, versioning), so that code configuring a bucket runs locally
// as against the service; GetBucketStat counts what the bucket holds. Most of what is stored here is not acted
// on (the README's server section says which); a policy is, for anonymous requests (see policy.ts), and
// lifecycle expirations are (see lifecycle.ts).
import { readSmallBody } from "../body.ts";
import { sendEmpty, sendXml, type Ctx } from "../context.ts";
import { errors, OssError } from "../errors.ts";
import { checkContentMd5 } from "../headers.ts";
import { childOf, textOf } from "../xml.ts";
import { MAX_XML_BODY, readXmlDocument } from "./objects.ts";

/** One kept sub-resource: the query name, the API's name for it, its document's root, and what GET answers without one. */
interface Subresource {
  query: string;
  name: string;
  root: string;
  /** Without a stored document: an error of the service's, or the document it answers by default. */
  missing: (bucket: string) => OssError | string;
}

const SUBRESOURCES: Subresource[] = [
  {
    query: "lifecycle",
    name: "BucketLifecycle",
    root: "LifecycleConfiguration",
    missing: (b) => new OssError(404, "NoSuchLifecycle", "No Row found in Lifecycle Table.", [["BucketName", b]]),
  },
  { query: "tagging", name: "BucketTags", root: "Tagging", missing: () => "<Tagging><TagSet></TagSet></Tagging>" },
  {
    query: "website",
    name: "BucketWebsite",
    root: "WebsiteConfiguration",
    missing: (b) => new OssError(404, "NoSuchWebsiteConfiguration", "The specified bucket does not have a website configuration.", [["BucketName", b]]),
  },
  {
    query: "referer",
    name: "BucketReferer",
    root: "RefererConfiguration",
    missing: () => "<RefererConfiguration><AllowEmptyReferer>true</AllowEmptyReferer><RefererList></RefererList></RefererConfiguration>",
  },
  { query: "logging", name: "BucketLogging", root: "BucketLoggingStatus", missing: () => "<BucketLoggingStatus></BucketLoggingStatus>" },
  {
    query: "encryption",
    name: "BucketEncryption",
    root: "ServerSideEncryptionRule",
    missing: (b) =>
      new OssError(404, "NoSuchServerSideEncryptionRule", "The server side encryption configuration was not found.", [["BucketName", b]]),
  },
  {
    query: "policy",
    name: "BucketPolicy",
    root: "",
    missing: (b) => new OssError(404, "NoSuchBucketPolicy", "The bucket policy does not exist.", [["BucketName", b]]),
  },
  {
    query: "requestPayment",
    name: "BucketRequestPayment",
    root: "RequestPaymentConfiguration",
    missing: () => "<RequestPaymentConfiguration><Payer>BucketOwner</Payer></RequestPaymentConfiguration>",
  },
  {
    query: "inventory",
    name: "BucketInventory",
    root: "InventoryConfiguration",
    missing: (b) => new OssError(404, "NoSuchInventory", "The specified inventory does not exist.", [["BucketName", b]]),
  },
  { query: "versioning", name: "BucketVersioning", root: "VersioningConfiguration", missing: () => "<VersioningConfiguration></VersioningConfiguration>" },
];

/** The operation a bucket request with one of these sub-resources is, or undefined. */
export function subresourceOperation(method: string, has: (name: string) => boolean): string | undefined {
  if (method === "GET" && has("stat")) return "GetBucketStat";
  const sub = SUBRESOURCES.find((s) => has(s.query));
  if (!sub) return undefined;
  if (sub.query === "inventory" && method === "GET" && !has("inventoryId")) return "ListBucketInventory";
  if (sub.query === "versioning" && method === "DELETE") return undefined;
  const verb = method === "PUT" ? "Put" : method === "GET" ? "Get" : method === "DELETE" ? "Delete" : undefined;
  return verb === undefined ? undefined : `${verb}${sub.name}`;
}

/** Every operation above, for routing and for the handler table. */
export const SUBRESOURCE_OPERATIONS = [
  "GetBucketStat",
  "ListBucketInventory",
  ...SUBRESOURCES.flatMap((s) => ["Put", "Get", ...(s.query === "versioning" ? [] : ["Delete"])].map((verb) => `${verb}${s.name}`)),
];

/** Handles every operation of SUBRESOURCE_OPERATIONS. */
export async function handleSubresource(ctx: Ctx): Promise<void> {
  if (ctx.operation === "GetBucketStat") return getBucketStat(ctx);
  if (ctx.operation === "ListBucketInventory") return listInventory(ctx);
  const sub = SUBRESOURCES.find((s) => ctx.operation.endsWith(s.name))!;
  const record = ctx.em.store.bucket(ctx.bucket)!;
  const slot = sub.query === "inventory" ? `inventory:${inventoryId(ctx)}` : sub.query;
  const stored = record.subresources?.[slot];
  if (ctx.method === "GET") {
    if (stored !== undefined) return sendStored(ctx, sub, stored);
    const fallback = sub.missing(ctx.bucket);
    if (fallback instanceof OssError) throw fallback;
    sendStored(ctx, sub, `<?xml version="1.0" encoding="UTF-8"?>\n${fallback}`);
    return;
  }
  if (ctx.method === "DELETE") {
    const { [slot]: _removed, ...rest } = record.subresources ?? {};
    await ctx.em.store.saveBucket({ ...record, subresources: rest });
    sendEmpty(ctx, 204);
    return;
  }
  const text = sub.root === "" ? await readPolicy(ctx) : await readDocument(ctx, sub);
  await ctx.em.store.saveBucket({ ...record, subresources: { ...record.subresources, [slot]: text } });
  sendEmpty(ctx, 200);
}

function sendStored(ctx: Ctx, sub: Subresource, text: string): void {
  const type = sub.root === "" ? "application/json" : "application/xml";
  ctx.res.writeHead(200, { "Content-Type": type, "Content-Length": Buffer.byteLength(text) });
  ctx.res.end(ctx.method === "HEAD" ? undefined : text);
}

// The document as sent, once it parses with the right root (and, for versioning, a status the service knows).
async function readDocument(ctx: Ctx, sub: Subresource): Promise<string> {
  const { document, text } = await readXmlDocument(ctx, sub.root);
  if (sub.query === "versioning") {
    const status = textOf(document, "Status")?.trim();
    if (status !== "Enabled" && status !== "Suspended") throw errors.malformedXml();
  }
  if (sub.query === "inventory" && (textOf(document, "Id") ?? "").trim() !== inventoryId(ctx)) {
    throw errors.invalidArgument("The inventory Id in the document must be the inventoryId of the request.", "inventoryId", inventoryId(ctx));
  }
  if (sub.query === "encryption" && !childOf(document, "ApplyServerSideEncryptionByDefault")) throw errors.malformedXml();
  return text;
}

async function readPolicy(ctx: Ctx): Promise<string> {
  const { text, md5 } = await readSmallBody(ctx.req, MAX_XML_BODY);
  checkContentMd5(ctx.req.headers, md5);
  try {
    const parsed: unknown = JSON.parse(text);
    if (typeof parsed !== "object" || parsed === null || !Array.isArray((parsed as { Statement?: unknown }).Statement)) throw new Error("no Statement");
  } catch {
    throw new OssError(400, "InvalidPolicyDocument", "The policy document is not valid JSON with a Statement list.");
  }
  return text;
}

async function getBucketStat(ctx: Ctx): Promise<void> {
  let storage = 0;
  let count = 0;
  const byClass = new Map<string, { size: number; count: number }>();
  let latest = 0;
  for (const record of ctx.em.store.list(ctx.bucket, "", undefined)) {
    storage += record.size;
    count++;
    latest = Math.max(latest, record.lastModified);
    const entry = byClass.get(record.storageClass) ?? { size: 0, count: 0 };
    entry.size += record.size;
    entry.count++;
    byClass.set(record.storageClass, entry);
  }
  const of = (name: string) => byClass.get(name) ?? { size: 0, count: 0 };
  sendXml(ctx, 200, "BucketStat", {
    Storage: storage,
    ObjectCount: count,
    MultipartUploadCount: ctx.em.uploads.list(ctx.bucket).length,
    LiveChannelCount: 0,
    LastModifiedTime: Math.floor(latest / 1000),
    StandardStorage: of("Standard").size,
    StandardObjectCount: of("Standard").count,
    InfrequentAccessStorage: of("IA").size,
    InfrequentAccessObjectCount: of("IA").count,
    ArchiveStorage: of("Archive").size,
    ArchiveObjectCount: of("Archive").count,
    ColdArchiveStorage: of("ColdArchive").size,
    ColdArchiveObjectCount: of("ColdArchive").count,
    DeepColdArchiveStorage: of("DeepColdArchive").size,
    DeepColdArchiveObjectCount: of("DeepColdArchive").count,
  });
}

async function listInventory(ctx: Ctx): Promise<void> {
  const record = ctx.em.store.bucket(ctx.bucket)!;
  const documents = Object.entries(record.subresources ?? {})
    .filter(([slot]) => slot.startsWith("inventory:"))
    .sort(([a], [b]) => (a < b ? -1 : 1))
    .map(([, text]) => text.replace(/^<\?xml[^>]*\?>\s*/, ""));
  const text = `<?xml version="1.0" encoding="UTF-8"?>\n<ListInventoryConfigurationsResult>${documents.join("")}<IsTruncated>false</IsTruncated></ListInventoryConfigurationsResult>`;
  ctx.res.writeHead(200, { "Content-Type": "application/xml", "Content-Length": Buffer.byteLength(text) });
  ctx.res.end(text);
}

function inventoryId(ctx: Ctx): string {
  const id = ctx.query.get("inventoryId") ?? "";
  if (id === "") throw errors.invalidArgument("inventoryId is required.", "inventoryId", "");
  return id;
}
