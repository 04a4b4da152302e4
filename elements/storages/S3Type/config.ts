// The business config every S3-compatible Type shares, and what its endPoint means: origin, addressing, region.
import { isIP } from "node:net";

/** The config an S3-compatible instance gets: its own file over its Type's defaults and S3Type.json. */
export interface S3Config {
  accessKeyId: string;
  accessKeySecret: string;
  /** Session token of temporary credentials (STS), sent with the key pair it belongs to. */
  sessionToken?: string;
  /** A host with an optional port (`minio.example.com:9000`), reached with `scheme`; or a URL, whose protocol wins. */
  endPoint: string;
  bucketName: string;
  /** The region requests are signed for; by default read from the endPoint where the Type knows how, else `us-east-1`. */
  region?: string;
  /** Protocol for a bare-host endPoint. */
  scheme: "http" | "https";
  /** Deadline of each request without an answer or bytes (milliseconds), each part of a multipart upload included. */
  timeout: number;
  /** Retries of a failed idempotent request (5xx, throttling, reset, timeout), with exponential backoff and jitter. */
  retries: number;
  /** Uploads above this many bytes go in parts. */
  multipartThreshold: number;
  /** Bytes per part (raised when an upload would need more than 10,000 parts). */
  partSize: number;
  /** Parts in flight at once, per upload. */
  parallel: number;
  /** Base of the `url` that uploads return (a CDN or custom domain), instead of the bucket's address. */
  publicBaseUrl?: string;
  /** Address the bucket in the path (`host/bucket/key`); by default on for `localhost`, IPs and one-label hosts. */
  pathStyle?: boolean;
}

/** Where and how requests go, as the client is given them. */
export interface S3Target {
  /** `https://s3.us-west-2.amazonaws.com`: the client's `endpoint`. */
  origin: string;
  protocol: "http:" | "https:";
  /** Host name and port, e.g. `localhost:9000`. */
  host: string;
  /** The bucket goes in the path (the client's forcePathStyle). */
  pathStyle: boolean;
  region: string;
}

/** The endPoint as a URL: a bare host gets `scheme`. Throws with a sentence when it is unusable. */
export function endpointUrl(endPoint: string, scheme: "http" | "https"): URL {
  const raw = endPoint.trim();
  const hasProtocol = /^[a-z][a-z0-9+.-]*:\/\//i.test(raw);
  let url: URL;
  try {
    url = new URL(hasProtocol ? raw : `${scheme}://${raw}`);
  } catch {
    throw new Error(`endPoint ${JSON.stringify(endPoint)} is neither a host (minio.example.com:9000) nor a URL (http://localhost:9000)`);
  }
  if (url.protocol !== "http:" && url.protocol !== "https:") throw new Error(`endPoint must use http or https, not ${url.protocol.slice(0, -1)}`);
  if ((url.pathname !== "/" && url.pathname !== "") || url.search !== "" || url.username !== "") {
    throw new Error(`endPoint ${JSON.stringify(endPoint)} must be a host, with an optional protocol and port, and nothing after it`);
  }
  return url;
}

/** The target of a generic S3-compatible endPoint: the URL as given, `region` or `fallbackRegion`. */
export function resolveTarget(config: Pick<S3Config, "endPoint" | "scheme" | "region" | "pathStyle">, fallbackRegion = "us-east-1"): S3Target {
  return targetOf(endpointUrl(config.endPoint, config.scheme), config.region ?? fallbackRegion, config.pathStyle);
}

/** The target for `url`: path style by default where the bucket cannot be a subdomain (IPs, `localhost`). */
export function targetOf(url: URL, region: string, pathStyle: boolean | undefined): S3Target {
  const hostname = url.hostname.replace(/^\[|\]$/g, "");
  const ip = isIP(hostname) !== 0;
  const singleLabel = !hostname.includes(".");
  return {
    origin: url.origin,
    protocol: url.protocol as "http:" | "https:",
    host: url.host,
    // A bucket cannot be a subdomain of an IP address, whatever the config says.
    pathStyle: ip || (pathStyle ?? singleLabel),
    region,
  };
}

/** An object name in a URL path or in x-amz-copy-source: each byte escaped except `/` and RFC 3986's unreserved. */
export function escapeKey(name: string): string {
  return encodeURIComponent(name)
    .replace(/%2F/g, "/")
    .replace(/[!'()*]/g, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`);
}
