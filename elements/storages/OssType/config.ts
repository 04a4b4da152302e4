// storages.OssType's business config, and what its endPoint means for the client: protocol, host, addressing.
import { isIP } from "node:net";

/** The config an OssType instance gets: its own file over OssType.json, validated by config.schema.json. */
export interface OssConfig {
  accessKeyId: string;
  accessKeySecret: string;
  /** `oss-cn-hangzhou.aliyuncs.com` (https), or a URL such as `http://localhost:9000` or `http://127.0.0.1:9000`. */
  endPoint: string;
  bucketName: string;
  /** `oss-cn-hangzhou` or `cn-hangzhou`; by default read from an Aliyun endPoint, else `oss-cn-hangzhou`. */
  region?: string;
  stsToken?: string;
  /** For a bare-host endPoint: https (true, the default) or http. A URL's own protocol wins. */
  secure?: boolean;
  /** Deadline of each request, and of each part of a multipart upload (milliseconds). */
  timeout: number;
  /** Retries of a failed idempotent request (5xx, reset, timeout), with exponential backoff and jitter. */
  retries: number;
  /** Uploads above this many bytes go in parts. */
  multipartThreshold: number;
  /** Bytes per part (at least 100 KiB; raised when an upload would need more than 10,000 parts). */
  partSize: number;
  /** Parts in flight at once, per upload. */
  parallel: number;
  /** Base of the `url` that uploads return (a CDN or custom domain), instead of the endPoint's address. */
  publicBaseUrl?: string;
  /** endPoint is a custom domain bound to the bucket: no bucket in host or path. */
  cname?: boolean;
  /** Address the bucket in the path (`host/bucket/key`); by default on for `localhost` and one-label hosts. */
  pathStyle?: boolean;
  signatureVersion: "v1" | "v4";
}

/** How requests reach the bucket. */
export interface Endpoint {
  /** `https://oss-cn-hangzhou.aliyuncs.com`: what the client gets as `endpoint`. */
  origin: string;
  protocol: "http:" | "https:";
  /** Host name and port, e.g. `localhost:9000`. */
  host: string;
  hostname: string;
  /** The bucket goes in the path (the client's sldEnable). */
  pathStyle: boolean;
  cname: boolean;
  /** An IP address: the client sends the bucket's Aliyun host name as Host and refuses to presign. */
  ip: boolean;
  /** `oss-cn-hangzhou`. */
  region: string;
}

/** Reads `config.endPoint` as the reference writes it (bare host) or as a URL. Throws with a sentence when unusable. */
export function resolveEndpoint(config: Pick<OssConfig, "endPoint" | "secure" | "region" | "cname" | "pathStyle">): Endpoint {
  const raw = config.endPoint.trim();
  const hasProtocol = /^[a-z][a-z0-9+.-]*:\/\//i.test(raw);
  let url: URL;
  try {
    url = new URL(hasProtocol ? raw : `${config.secure === false ? "http" : "https"}://${raw}`);
  } catch {
    throw new Error(`endPoint ${JSON.stringify(config.endPoint)} is neither a host name (oss-cn-hangzhou.aliyuncs.com) nor a URL (http://localhost:9000)`);
  }
  if (url.protocol !== "http:" && url.protocol !== "https:") throw new Error(`endPoint must use http or https, not ${url.protocol.slice(0, -1)}`);
  if ((url.pathname !== "/" && url.pathname !== "") || url.search !== "" || url.username !== "") {
    throw new Error(`endPoint ${JSON.stringify(config.endPoint)} must be a host, with an optional protocol and port, and nothing after it`);
  }
  const hostname = url.hostname.replace(/^\[|\]$/g, "");
  const ip = isIP(hostname) !== 0;
  const cname = config.cname === true;
  const singleLabel = !hostname.includes(".") && !ip;
  return {
    origin: url.origin,
    protocol: url.protocol,
    host: url.host,
    hostname,
    pathStyle: !cname && !ip && (config.pathStyle ?? singleLabel),
    cname,
    ip,
    region: normaliseRegion(config.region ?? regionOf(hostname) ?? "oss-cn-hangzhou"),
  };
}

/** `cn-hangzhou` → `oss-cn-hangzhou`; the client takes the `oss-` form and strips it for V4 itself. */
function normaliseRegion(region: string): string {
  return region.startsWith("oss-") ? region : `oss-${region}`;
}

/** The region an Aliyun endPoint names: `oss-cn-hangzhou(-internal).aliyuncs.com` → `oss-cn-hangzhou`. */
function regionOf(hostname: string): string | undefined {
  const match = /^(oss-[a-z0-9-]+?)(?:-internal)?\.aliyuncs\.com$/.exec(hostname);
  return match?.[1];
}

/** An object name in a URL path: each byte escaped except `/`, and `+` as `%2B`, as the client does. */
export function escapeKey(name: string): string {
  return encodeURIComponent(name).replace(/%2F/g, "/");
}
