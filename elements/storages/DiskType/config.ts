// The business config of storages.DiskType, as its schema validates it, and what is read from it once.

/** Business config of `storages.DiskType` (see config.schema.json for each field's meaning). */
export interface DiskConfig {
  /** The folder of the storage; relative to the app's folder unless absolute. */
  directory: string;
  /** Where the HTTP handler is reached, e.g. `http://localhost:9300/files`: base of upload urls and signed URLs. */
  baseUrl?: string;
  /** HMAC-SHA256 key of signed URLs. Secret. */
  signingSecret?: string;
  /** Start the handler at baseUrl's host and port on first use (development). */
  serve?: boolean;
  /** Serve unsigned GETs, as a public-read bucket does. */
  publicRead?: boolean;
  /** Flush each object to the disk before it becomes visible. */
  fsync?: boolean;
  /** Unfinished files of a live process, or of one that cannot be told, are removed at start once this old (seconds). */
  partialTimeoutSeconds?: number;
}

/** baseUrl taken apart: the origin and the path the object names follow, without a trailing slash. */
export interface BaseUrl {
  /** `http://localhost:9300/files`, without a trailing slash. */
  href: string;
  /** `/files`, or "" when the handler answers at the root. */
  path: string;
  hostname: string;
  /** The port written in baseUrl, or undefined for the protocol's default. */
  port: number | undefined;
}

/** `baseUrl` taken apart, or undefined when the config has none. */
export function parseBaseUrl(baseUrl: string | undefined): BaseUrl | undefined {
  if (baseUrl === undefined) return undefined;
  const url = new URL(baseUrl.trim());
  const path = url.pathname.replace(/\/+$/, "");
  return {
    href: `${url.origin}${path}`,
    path,
    // An IPv6 host comes bracketed from URL; listen() wants it bare.
    hostname: url.hostname.replace(/^\[(.*)\]$/, "$1"),
    port: url.port === "" ? undefined : Number(url.port),
  };
}

/** The URL path of `name` under the base: each part between slashes percent-encoded. */
export function encodeName(name: string): string {
  return name.split("/").map(encodeURIComponent).join("/");
}
