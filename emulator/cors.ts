// CORS: preflight answers and the headers of actual cross-origin requests. The service answers 403 until a
// bucket has rules; the emulator is permissive by default instead, a convenience for local browser development.
import type { IncomingHttpHeaders, OutgoingHttpHeaders } from "node:http";
import { headerValue } from "./auth-v1.ts";
import { errors } from "./errors.ts";
import type { BucketRecord, CorsRule } from "./store.ts";

/** Headers a browser may read by default in permissive mode: those the client and common uploaders need. */
const EXPOSED = [
  "ETag", "x-oss-request-id", "x-oss-next-append-position", "x-oss-object-type", "x-oss-version-id",
  "x-oss-hash-crc64ecma", "Content-Length", "Content-Range", "Content-Type", "Last-Modified", "x-oss-err",
];
const ALL_METHODS = "GET, PUT, POST, DELETE, HEAD";

/** The rules that govern `bucket`: its own, else the emulator's defaults; "permissive" when none apply. */
export function rulesFor(bucket: BucketRecord | undefined, option: boolean | CorsRule[]): CorsRule[] | "permissive" {
  if (bucket?.cors) return bucket.cors;
  if (Array.isArray(option)) return option;
  return option ? "permissive" : [];
}

/** The answer to a preflight (OPTIONS) request; 403 AccessForbidden when no rule allows it. */
export function preflight(headers: IncomingHttpHeaders, rules: CorsRule[] | "permissive"): OutgoingHttpHeaders {
  const origin = headerValue(headers.origin);
  const method = headerValue(headers["access-control-request-method"]);
  if (origin === "" || method === "") {
    throw errors.invalidArgument("Insufficient information. Origin and Access-Control-Request-Method are required.", "Origin", origin);
  }
  const requested = headerValue(headers["access-control-request-headers"])
    .split(",")
    .map((h) => h.trim().toLowerCase())
    .filter((h) => h !== "");
  if (rules === "permissive") {
    return {
      "Access-Control-Allow-Origin": origin,
      "Access-Control-Allow-Methods": ALL_METHODS,
      ...(requested.length > 0 ? { "Access-Control-Allow-Headers": requested.join(", ") } : {}),
      "Access-Control-Expose-Headers": EXPOSED.join(", "),
      "Access-Control-Max-Age": "600",
      Vary: "Origin, Access-Control-Request-Method, Access-Control-Request-Headers",
    };
  }
  const rule = rules.find(
    (r) =>
      r.allowedOrigins.some((o) => wildcardMatch(o, origin)) &&
      r.allowedMethods.some((m) => m.toUpperCase() === method.toUpperCase()) &&
      requested.every((h) => r.allowedHeaders.some((a) => wildcardMatch(a.toLowerCase(), h))),
  );
  if (!rule) throw errors.corsForbidden();
  return {
    "Access-Control-Allow-Origin": rule.allowedOrigins.includes("*") ? "*" : origin,
    "Access-Control-Allow-Methods": rule.allowedMethods.join(", "),
    ...(requested.length > 0 ? { "Access-Control-Allow-Headers": requested.join(", ") } : {}),
    ...(rule.exposeHeaders.length > 0 ? { "Access-Control-Expose-Headers": rule.exposeHeaders.join(", ") } : {}),
    ...(rule.maxAgeSeconds !== undefined ? { "Access-Control-Max-Age": String(rule.maxAgeSeconds) } : {}),
    Vary: "Origin, Access-Control-Request-Method, Access-Control-Request-Headers",
  };
}

/** Headers for an actual request from `Origin`, when a rule (or permissive mode) allows it; none otherwise. */
export function corsHeaders(headers: IncomingHttpHeaders, method: string, rules: CorsRule[] | "permissive"): OutgoingHttpHeaders {
  const origin = headerValue(headers.origin);
  if (origin === "") return {};
  if (rules === "permissive") {
    return { "Access-Control-Allow-Origin": origin, "Access-Control-Expose-Headers": EXPOSED.join(", "), Vary: "Origin" };
  }
  const rule = rules.find(
    (r) => r.allowedOrigins.some((o) => wildcardMatch(o, origin)) && r.allowedMethods.some((m) => m.toUpperCase() === method),
  );
  if (!rule) return {};
  return {
    "Access-Control-Allow-Origin": rule.allowedOrigins.includes("*") ? "*" : origin,
    "Access-Control-Allow-Methods": rule.allowedMethods.join(", "),
    ...(rule.exposeHeaders.length > 0 ? { "Access-Control-Expose-Headers": rule.exposeHeaders.join(", ") } : {}),
    ...(rule.maxAgeSeconds !== undefined ? { "Access-Control-Max-Age": String(rule.maxAgeSeconds) } : {}),
    Vary: "Origin",
  };
}

// A rule's origin or header may hold one `*`, standing for any run of characters.
function wildcardMatch(pattern: string, value: string): boolean {
  const star = pattern.indexOf("*");
  if (star < 0) return pattern === value;
  const head = pattern.slice(0, star);
  const tail = pattern.slice(star + 1);
  return value.length >= head.length + tail.length && value.startsWith(head) && value.endsWith(tail);
}
