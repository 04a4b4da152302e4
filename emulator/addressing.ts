// Which bucket and key a request line means: from the Host header and the path, in the three styles the client
// uses (virtual host, path style, cname), as candidates for the signature to choose between (see auth.ts).
import { isIP } from "node:net";
import type { Target } from "./auth.ts";
import { errors } from "./errors.ts";
import { isBucketName } from "./names.ts";

export interface Addressing {
  ownHosts: Set<string>;
  defaultBucket: string;
  bucketExists: (name: string) => boolean;
}

/** The request's path and query, split and decoded. Throws 400 when they do not decode. */
export function parseRequestUrl(url: string): { path: string; query: Array<[string, string]> } {
  const at = url.indexOf("?");
  const rawPath = at < 0 ? url : url.slice(0, at);
  const rawQuery = at < 0 ? "" : url.slice(at + 1);
  let path = rawPath;
  // Most paths have nothing escaped, and decoding one that has no `%` can neither change nor fail.
  if (rawPath.includes("%")) {
    try {
      path = decodeURIComponent(rawPath);
    } catch {
      throw errors.invalidArgument("The URI could not be decoded.", "URI", rawPath);
    }
  }
  if (!path.startsWith("/")) throw errors.invalidArgument("The URI is not a path.", "URI", rawPath);
  const query: Array<[string, string]> = [];
  if (rawQuery === "") return { path, query };
  for (const part of rawQuery.split("&")) {
    if (part === "") continue;
    const eq = part.indexOf("=");
    try {
      // `+` stays `+`: the client escapes it as %2B, and a Signature pasted with a raw `+` still verifies.
      query.push(
        eq < 0 ? [decodeURIComponent(part), ""] : [decodeURIComponent(part.slice(0, eq)), decodeURIComponent(part.slice(eq + 1))],
      );
    } catch {
      throw errors.invalidArgument("A query parameter could not be decoded.", "Query", part);
    }
  }
  return { path, query };
}

/**
 * The targets a request may address, most likely first. Virtual host (`bucket.localhost:port`,
 * `bucket.oss-region.aliyuncs.com`) and the service endpoint (`oss-region.aliyuncs.com`) are unambiguous; on the
 * emulator's own host name a path is either path style or cname, and both are offered.
 */
export function resolveTargets(hostHeader: string, path: string, addressing: Addressing): Target[] {
  const host = hostName(hostHeader);
  const rest = path.slice(1);
  // The own-host lookup first: it is the common case and far cheaper than isIP's patterns.
  if (!addressing.ownHosts.has(host) && !isIP(host)) {
    if (host.endsWith(".aliyuncs.com")) {
      const label = host.slice(0, host.indexOf("."));
      // `oss-cn-hangzhou.aliyuncs.com` is the service; an IP endpoint's ListBuckets even sends `.oss-…`.
      if (label === "" || label.startsWith("oss-")) return [pathStyle(rest)];
      return [{ bucket: label, key: rest }];
    }
    for (const own of addressing.ownHosts) {
      if (host.endsWith(`.${own}`)) {
        const label = host.slice(0, host.length - own.length - 1);
        if (!label.includes(".")) return [{ bucket: label, key: rest }];
      }
    }
  }
  const cname: Target = { bucket: addressing.defaultBucket, key: rest };
  if (rest === "") return [{ bucket: undefined, key: "" }, cname];
  const slash = rest.indexOf("/");
  const first = slash < 0 ? rest : rest.slice(0, slash);
  const path_ = pathStyle(rest);
  return isBucketName(first) && addressing.bucketExists(first) ? [path_, cname] : [cname, path_];
}

/** The target of a path-style request: the bucket is the first segment of the path after the leading `/`. */
export function pathStyle(rest: string): Target {
  if (rest === "") return { bucket: undefined, key: "" };
  const slash = rest.indexOf("/");
  return slash < 0 ? { bucket: rest, key: "" } : { bucket: rest.slice(0, slash), key: rest.slice(slash + 1) };
}

/** The host name of a Host header, lower-cased, without its port or an IPv6 address's brackets. */
export function hostName(hostHeader: string): string {
  const host = hostHeader.trim().toLowerCase();
  if (host.startsWith("[")) return host.slice(1, host.indexOf("]"));
  const colon = host.lastIndexOf(":");
  return colon >= 0 && host.indexOf(":") === colon ? host.slice(0, colon) : host;
}
