// PostObject: the browser form upload. The form carries its own authentication: a policy (base64 JSON with an
// expiration and conditions) signed V1 (OSSAccessKeyId, Signature = HMAC-SHA1 of the policy) or V4
// (x-oss-credential, x-oss-date, x-oss-signature = the V4 signing key's HMAC-SHA256 of the policy); a form with
// neither may only write to a public-read-write bucket. The conditions are checked as the service checks them:
// exact matches, eq, starts-with, in, not-in, content-length-range.
import { createHmac, timingSafeEqual } from "node:crypto";
import type { IncomingHttpHeaders } from "node:http";
import { PassThrough } from "node:stream";
import { headerValue } from "../auth-v1.ts";
import { parseV4Timestamp, v4Signature } from "../auth-v4.ts";
import type { KeyEntry } from "../auth.ts";
import { removeQuietly, receiveToFile, type WrittenBody } from "../body.ts";
import { quoteEtag, sendEmpty, sendXml, type Ctx } from "../context.ts";
import { errors } from "../errors.ts";
import { boundaryOf, readForm, type FilePart, type FileSink } from "../form.ts";
import {
  contentTypeOf,
  encryptionHeadersOf,
  etagOf,
  objectAclOf,
  storageClassOf,
  storedHeadersOf,
  taggingHeaderOf,
  userMetaOf,
} from "../headers.ts";
import { checkObjectName } from "../names.ts";
import type { ObjectRecord } from "../store.ts";
import { MAX_PUT_SIZE } from "./objects.ts";

interface Policy {
  expiration: number;
  conditions: unknown[];
}

export async function postObject(ctx: Ctx): Promise<void> {
  const { req, em, bucket } = ctx;
  const boundary = boundaryOf(headerValue(req.headers["content-type"]));
  if (boundary === undefined) throw errors.notMultipartForm();
  let written: (WrittenBody & { path: string; file: string }) | undefined;
  let key = "";
  let policy: Policy | undefined;
  let headers: IncomingHttpHeaders = {};
  let receiving: Promise<WrittenBody> | undefined;
  let stream: PassThrough | undefined;
  const onFile = async (part: FilePart): Promise<FileSink> => {
    const fields = part.fields;
    key = (fields.get("key") ?? "").replace(/\$\{filename\}/g, part.filename);
    if (!fields.has("key")) throw errors.invalidArgument("The key field is required.", "key", "");
    checkObjectName(key);
    policy = authorizeForm(ctx, fields);
    // The form's fields stand for the headers a PUT would send.
    headers = Object.fromEntries(fields);
    if (headers["content-type"] === undefined && part.contentType !== "") headers["content-type"] = part.contentType;
    if (policy) checkConditions(policy, bucket, key, fields, undefined);
    const target = em.store.newDataFile(bucket, key);
    stream = new PassThrough();
    const sink = stream;
    receiving = receiveToFile(sink, target.path, { maxSize: MAX_PUT_SIZE });
    receiving.catch(() => undefined);
    return {
      write: async (chunk) => {
        if (!sink.write(chunk)) await new Promise<void>((resolve) => sink.once("drain", resolve));
      },
      end: async () => {
        sink.end();
        written = { ...(await receiving!), ...target };
      },
    };
  };
  try {
    await readForm(req, boundary, onFile);
  } catch (error) {
    // A form cut off mid-file: the file's stream never ends by itself; destroying it removes the partial file.
    if (!written) stream?.destroy();
    await receiving?.catch(() => undefined);
    if (written) await removeQuietly(written.path);
    throw error;
  }
  const body = written!;
  try {
    if (policy) checkConditions(policy, bucket, key, new Map(Object.entries(headers).map(([k, v]) => [k, headerValue(v)])), body.size);
    const record: ObjectRecord = {
      key,
      size: body.size,
      etag: etagOf(body.md5),
      lastModified: Date.now(),
      type: "Normal",
      contentType: contentTypeOf(headers),
      headers: storedHeadersOf(headers),
      meta: userMetaOf(headers),
      acl: objectAclOf(headers),
      tags: taggingHeaderOf(headers),
      storageClass: storageClassOf(headers, em.store.bucket(bucket)!.storageClass),
      file: body.file,
      crc64: body.crc64,
    };
    await em.store.mutate(bucket, key, async () => record);
    answer(ctx, record, headers);
  } catch (error) {
    if (em.store.object(bucket, key)?.file !== body.file) await removeQuietly(body.path);
    throw error;
  }
}

function answer(ctx: Ctx, record: ObjectRecord, fields: IncomingHttpHeaders): void {
  const response = {
    ...encryptionHeadersOf(record.headers),
    ETag: quoteEtag(record.etag),
    "x-oss-hash-crc64ecma": record.crc64,
  };
  const redirect = headerValue(fields["success_action_redirect"]);
  if (redirect !== "") {
    const location = new URL(redirect);
    location.searchParams.set("bucket", ctx.bucket);
    location.searchParams.set("key", record.key);
    location.searchParams.set("etag", quoteEtag(record.etag));
    sendEmpty(ctx, 303, { ...response, Location: location.toString() });
    return;
  }
  const status = headerValue(fields["success_action_status"]);
  const location = `http://${headerValue(ctx.req.headers.host)}/${encodeURIComponent(record.key).replace(/%2F/g, "/")}`;
  if (status === "201") {
    sendXml(ctx, 201, "PostResponse", { Bucket: ctx.bucket, Location: location, Key: record.key, ETag: quoteEtag(record.etag) }, response);
    return;
  }
  // 200 or 204 as asked; anything else is the service's default, 204.
  sendEmpty(ctx, status === "200" ? 200 : 204, response);
}

// Who signed the form: returns its policy, or undefined for an unsigned form (a public-read-write bucket only).
function authorizeForm(ctx: Ctx, fields: Map<string, string>): Policy | undefined {
  const keys = ctx.em.auth.keys;
  const policyText = fields.get("policy");
  const v4 = fields.get("x-oss-signature-version");
  const accessKeyId = fields.get("ossaccesskeyid");
  if (v4 === undefined && accessKeyId === undefined) {
    if (ctx.em.store.bucket(ctx.bucket)!.acl !== "public-read-write") throw errors.accessDenied("Anonymous access is forbidden for this operation.");
    return policyText === undefined ? undefined : parsePolicy(policyText);
  }
  if (policyText === undefined) throw errors.invalidArgument("A signed form needs a policy field.", "policy", "");
  const token = fields.get("x-oss-security-token") ?? "";
  if (v4 !== undefined) {
    if (v4 !== "OSS4-HMAC-SHA256") throw errors.invalidArgument("x-oss-signature-version is invalid.", "x-oss-signature-version", v4);
    const credential = fields.get("x-oss-credential") ?? "";
    const date = fields.get("x-oss-date") ?? "";
    const parts = credential.split("/");
    if (parts.length !== 5 || parts[4] !== "aliyun_v4_request" || !date.startsWith(parts[1]!) || !Number.isFinite(parseV4Timestamp(date))) {
      throw errors.invalidArgument("x-oss-credential or x-oss-date is invalid.", "x-oss-credential", credential);
    }
    const [id, day, region, product] = parts as [string, string, string, string, string];
    const key = keyFor(keys, id, token);
    if (region !== ctx.em.region) throw errors.accessDenied("Invalid signing region in x-oss-credential.");
    const expected = v4Signature(key.secret, day, region, product, policyText);
    if (!safeEqual(expected, fields.get("x-oss-signature") ?? "")) throw errors.signatureDoesNotMatch(id, policyText);
  } else {
    const key = keyFor(keys, accessKeyId!, token);
    const expected = createHmac("sha1", key.secret).update(policyText, "utf8").digest("base64");
    if (!safeEqual(expected, fields.get("signature") ?? "")) throw errors.signatureDoesNotMatch(accessKeyId!, policyText);
  }
  return parsePolicy(policyText);
}

function keyFor(keys: Map<string, KeyEntry>, accessKeyId: string, token: string): KeyEntry {
  const key = keys.get(accessKeyId);
  if (!key) throw errors.invalidAccessKeyId(accessKeyId);
  if (key.token.kind === "sts" && token !== key.token.token) throw errors.invalidSecurityToken();
  return key;
}

function parsePolicy(text: string): Policy {
  let parsed: unknown;
  try {
    parsed = JSON.parse(Buffer.from(text, "base64").toString("utf8"));
  } catch {
    throw errors.invalidPolicyDocument("Invalid Policy: Invalid JSON.");
  }
  const document = parsed as { expiration?: unknown; conditions?: unknown };
  if (typeof document !== "object" || document === null || typeof document.expiration !== "string") {
    throw errors.invalidPolicyDocument("Invalid Policy: Invalid 'expiration' value.");
  }
  const expiration = Date.parse(document.expiration);
  if (!Number.isFinite(expiration)) throw errors.invalidPolicyDocument("Invalid Policy: Invalid 'expiration' value.");
  if (expiration < Date.now()) throw errors.policyFailed("Policy expired.");
  if (!Array.isArray(document.conditions)) throw errors.invalidPolicyDocument("Invalid Policy: Invalid 'conditions' value.");
  return { expiration, conditions: document.conditions };
}

// Checks every condition; `size` is the file's size once known (content-length-range waits for it).
function checkConditions(policy: Policy, bucket: string, key: string, fields: Map<string, string>, size: number | undefined): void {
  const valueOf = (name: string): string => {
    const field = name.replace(/^\$/, "").toLowerCase();
    if (field === "bucket") return bucket;
    if (field === "key") return key;
    return fields.get(field) ?? "";
  };
  for (const condition of policy.conditions) {
    const failed = () => errors.policyFailed(`Policy Condition failed: ${JSON.stringify(condition)}`);
    if (Array.isArray(condition)) {
      const [operator, name, value] = condition as [unknown, unknown, unknown];
      const op = String(operator).toLowerCase();
      if (op === "content-length-range") {
        if (size === undefined) continue;
        if (size > Number(value)) throw errors.entityTooLarge();
        if (size < Number(name)) throw errors.entityTooSmall();
        continue;
      }
      if (typeof name !== "string") throw errors.invalidPolicyDocument(`Invalid Policy: Invalid condition ${JSON.stringify(condition)}.`);
      const actual = valueOf(name);
      const ok =
        op === "eq"
          ? actual === String(value)
          : op === "starts-with"
            ? actual.startsWith(String(value))
            : op === "in"
              ? Array.isArray(value) && value.map(String).includes(actual)
              : op === "not-in"
                ? Array.isArray(value) && !value.map(String).includes(actual)
                : undefined;
      if (ok === undefined) throw errors.invalidPolicyDocument(`Invalid Policy: Invalid condition ${JSON.stringify(condition)}.`);
      if (!ok) throw failed();
    } else if (typeof condition === "object" && condition !== null) {
      for (const [name, value] of Object.entries(condition)) {
        if (valueOf(name) !== String(value)) throw failed();
      }
    } else {
      throw errors.invalidPolicyDocument(`Invalid Policy: Invalid condition ${JSON.stringify(condition)}.`);
    }
  }
}

function safeEqual(a: string, b: string): boolean {
  const x = Buffer.from(a);
  const y = Buffer.from(b);
  return x.length === y.length && timingSafeEqual(x, y);
}
