// The local OSS emulator's public API: start one, use its endpoint and keys with any OSS client, stop it.
import { mkdtemp, rm } from "node:fs/promises";
import type { Server } from "node:http";
import { tmpdir } from "node:os";
import { setTimeout as sleep } from "node:timers/promises";
import { join, resolve } from "node:path";
import type { KeyEntry } from "./auth.ts";
import { ConnectionGuard, resolveLimits, type ConnectionLimits } from "./connections.ts";
import { InFlight, type EmulatorState } from "./context.ts";
import { Faults, type FaultOptions, type FaultStats } from "./faults.ts";
import { applyLifecycle } from "./lifecycle.ts";
import { isBucketName } from "./names.ts";
import { createOssServer } from "./server.ts";
import { Store, type CorsRule } from "./store.ts";
import { Uploads } from "./uploads.ts";

export type { FaultOptions, FaultRule, FaultStats } from "./faults.ts";
export type { ConnectionLimits } from "./connections.ts";
export type { CorsRule } from "./store.ts";
export { DEFAULT_S3_REGION } from "./s3/region.ts";

// How long stop() waits for handlers still running after their connections were closed.
const STOP_GRACE_MS = 5000;

/** The development access key id the emulator accepts by default. Not a secret: never use it anywhere else. */
export const DEFAULT_ACCESS_KEY_ID = "LTAI-local-dev-key";
/** The development access key secret the emulator accepts by default. Not a secret: never use it anywhere else. */
export const DEFAULT_ACCESS_KEY_SECRET = "local-dev-secret-not-for-production";
/** The bucket created at start unless `bucket` names another. */
export const DEFAULT_BUCKET = "local-bucket";
/** The region the emulator signs as, like the client's default. */
export const DEFAULT_REGION = "cn-hangzhou";

/** Temporary credentials as STS hands them out: a key pair that is only valid with its security token. */
export interface StsCredential {
  accessKeyId: string;
  accessKeySecret: string;
  securityToken: string;
  /** After this moment requests fail with 403 SecurityTokenExpired. */
  expiration?: Date | string | number;
}

export interface OssEmulatorOptions extends ConnectionLimits {
  /** TCP port; 0 (the default) picks a free one. */
  port?: number;
  /** Interface to listen on (default 127.0.0.1, together with ::1 so that `localhost` works however it resolves). */
  host?: string;
  /**
   * More names clients reach this server by (say `s3.localhost`): a bucket's subdomain of one of them
   * (`bucket.s3.localhost`) addresses that bucket, as `bucket.localhost` does. For clients that address buckets by
   * virtual host from an endpoint of two or more labels.
   */
  hostnames?: readonly string[];
  accessKeyId?: string;
  accessKeySecret?: string;
  /** The default bucket, created at start if missing; cname-style requests address it (default `local-bucket`). */
  bucket?: string;
  /** More buckets to create at start. */
  buckets?: string[];
  /** Where objects live. Default: a new temporary folder, removed on stop. A given folder persists across runs. */
  dataDir?: string;
  /** Region for V4 signatures and endpoints in answers, with or without `oss-` (default `cn-hangzhou`). */
  region?: string;
  /**
   * Security tokens accepted: an `StsCredential` is a temporary key pair bound to its token; a plain string is a
   * token accepted together with the main key pair (for configurations that always send one).
   */
  stsTokens?: Array<string | StsCredential>;
  /** Injected failures (see `FaultOptions`); adjustable later with `setFaults`. */
  faults?: FaultOptions;
  /**
   * CORS for buckets without rules of their own: true (default) answers every origin, false answers 403 as the
   * service does, and a list of rules applies those.
   */
  cors?: boolean | CorsRule[];
  /** How long RestoreObject takes before an archived object can be read (ms; default 1 000, so tests run fast). */
  restoreDelayMs?: number;
  /**
   * The smallest part but the last of an S3 multipart upload (bytes; default 5 MiB, S3's minimum), so that tests
   * can go in small parts as OSS clients may (whose minimum, 100 KB, the OSS side keeps).
   */
  s3MinPartSize?: number;
  /** The clock lifecycle rules are applied on (ms since the epoch; default Date.now), so that tests can move it. */
  clock?: () => number;
  /** How often lifecycle rules are applied in the background (ms; default 60 000; 0: only by applyLifecycle()). */
  lifecycleIntervalMs?: number;
}

export interface OssEmulator {
  /** `http://localhost:PORT`: give it to the client as `endpoint`. */
  endpoint: string;
  port: number;
  accessKeyId: string;
  accessKeySecret: string;
  /** The default bucket. */
  bucket: string;
  /** The region, without `oss-` (the client's `region` option takes either form). */
  region: string;
  dataDir: string;
  /** Replaces the fault options (and restarts their counts): `setFaults({})` turns faults off. */
  setFaults(faults: FaultOptions): void;
  /** How many faults were injected since the fault options were last set. */
  faultStats(): FaultStats;
  /** Applies every bucket's lifecycle rules now, on the emulator's clock; resolves with how many objects and uploads it removed. */
  applyLifecycle(): Promise<number>;
  /** Stops listening, closes open connections, and removes the data folder if the emulator made it. */
  stop(): Promise<void>;
}

/** Starts a local OSS-protocol server with a disk-backed store; resolves once it is listening. */
export async function startOssEmulator(options: OssEmulatorOptions = {}): Promise<OssEmulator> {
  const accessKeyId = options.accessKeyId ?? DEFAULT_ACCESS_KEY_ID;
  const accessKeySecret = options.accessKeySecret ?? DEFAULT_ACCESS_KEY_SECRET;
  const bucket = options.bucket ?? DEFAULT_BUCKET;
  const region = (options.region ?? DEFAULT_REGION).replace(/^oss-/, "");
  const host = options.host ?? "127.0.0.1";
  for (const name of [bucket, ...(options.buckets ?? [])]) {
    if (!isBucketName(name)) throw new Error(`"${name}" is not a valid bucket name: use 3–63 of a-z, 0-9 and -, not starting or ending with -.`);
  }
  const limits = resolveLimits(options);
  const ownsDataDir = options.dataDir === undefined;
  const dataDir = options.dataDir === undefined ? await mkdtemp(join(tmpdir(), "oss-emulator-")) : resolve(options.dataDir);

  const store = await Store.open(dataDir);
  for (const name of [bucket, ...(options.buckets ?? [])]) {
    if (!store.bucket(name)) await store.createBucket(name, { acl: "private", storageClass: "Standard" });
  }
  const uploads = await Uploads.open(store);
  const faults = new Faults(options.faults);
  const state: EmulatorState = {
    store,
    uploads,
    faults,
    region,
    defaultBucket: bucket,
    cors: options.cors ?? true,
    ownHosts: new Set(["localhost", "127.0.0.1", "::1", host, ...(options.hostnames ?? [])].map((name) => name.toLowerCase())),
    restoreDelayMs: options.restoreDelayMs ?? 1000,
    s3MinPartSize: options.s3MinPartSize ?? 5 * 1024 * 1024,
    auth: { region, keys: keyRing(accessKeyId, accessKeySecret, options.stsTokens ?? []) },
    inFlight: new InFlight(),
  };
  const auth = state.auth;

  // One guard for both loopback servers: the limit is the process's, not each socket's.
  const guard = new ConnectionGuard(limits.maxConnections);
  const servers = await listen(() => createOssServer(state, auth, limits, guard), host, options.port ?? 0);
  const port = servers.port;
  const endpointHost = ["127.0.0.1", "::1", "localhost", "0.0.0.0", "::"].includes(host) ? "localhost" : host;
  let stopped: Promise<void> | undefined;
  const clock = options.clock ?? Date.now;
  // One sweep at a time: a slow one is not started again on top of itself.
  let sweeping: Promise<number> | undefined;
  const sweep = () => (sweeping ??= applyLifecycle(state, clock()).finally(() => (sweeping = undefined)));
  const interval = options.lifecycleIntervalMs ?? 60_000;
  const timer = interval > 0 ? setInterval(() => void sweep().catch((error: unknown) => console.error("oss-emulator: applying lifecycle rules failed:", error)), interval) : undefined;
  timer?.unref();
  return {
    endpoint: `http://${endpointHost.includes(":") ? `[${endpointHost}]` : endpointHost}:${port}`,
    port,
    accessKeyId,
    accessKeySecret,
    bucket,
    region,
    dataDir,
    setFaults: (next) => faults.set(next),
    faultStats: () => faults.stats(),
    applyLifecycle: () => sweep(),
    stop: () => {
      stopped ??= (async () => {
        if (timer) clearInterval(timer);
        await sweeping?.catch(() => undefined);
        await Promise.all(servers.list.map(close));
        // Closing dropped every connection; handlers still running notice and end. Wait for them, so that none
        // writes into the store after it closed (or into the folder after it was removed).
        const settled = await Promise.race([
          state.inFlight.idle().then(() => true),
          sleep(STOP_GRACE_MS, false, { ref: false }),
        ]);
        // Handlers end once their connection is gone; one that does not is a defect worth seeing.
        if (!settled) console.error(`oss-emulator: stopping with ${state.inFlight.size} request(s) still running after ${STOP_GRACE_MS} ms.`);
        store.close();
        if (ownsDataDir) await rm(dataDir, { recursive: true, force: true });
      })();
      return stopped;
    },
  };
}

function keyRing(accessKeyId: string, accessKeySecret: string, tokens: Array<string | StsCredential>): Map<string, KeyEntry> {
  const accepted = new Set(tokens.filter((t): t is string => typeof t === "string"));
  const keys = new Map<string, KeyEntry>([[accessKeyId, { secret: accessKeySecret, token: { kind: "main", accepted } }]]);
  for (const token of tokens) {
    if (typeof token === "string") continue;
    const expires = token.expiration === undefined ? undefined : new Date(token.expiration).getTime();
    keys.set(token.accessKeyId, {
      secret: token.accessKeySecret,
      token: { kind: "sts", token: token.securityToken, ...(expires !== undefined ? { expires } : {}) },
    });
  }
  return keys;
}

// On a loopback host, listen on both 127.0.0.1 and ::1 (same port): `localhost` resolves to either, depending on
// the system, and the endpoint must work both ways. Other hosts are listened on as given.
async function listen(make: () => Server, host: string, port: number): Promise<{ port: number; list: Server[] }> {
  const loopback = ["127.0.0.1", "::1", "localhost"].includes(host);
  if (!loopback) {
    const server = make();
    const bound = await listenOne(server, host, port);
    return { port: bound, list: [server] };
  }
  for (let attempt = 0; ; attempt++) {
    const first = make();
    const bound = await listenOne(first, "127.0.0.1", port);
    const second = make();
    try {
      await listenOne(second, "::1", bound);
      return { port: bound, list: [first, second] };
    } catch (error) {
      const code = (error as NodeJS.ErrnoException).code;
      // No IPv6 on this machine: 127.0.0.1 alone is what `localhost` can mean here.
      if (code === "EADDRNOTAVAIL" || code === "EAFNOSUPPORT") return { port: bound, list: [first] };
      await close(first);
      // Someone holds this port on ::1; a port we picked ourselves can be picked again.
      if (code !== "EADDRINUSE" || port !== 0 || attempt >= 10) throw error;
    }
  }
}

function listenOne(server: Server, host: string, port: number): Promise<number> {
  return new Promise((resolvePort, reject) => {
    server.once("error", reject);
    server.listen({ host, port, ipv6Only: host.includes(":") }, () => {
      server.off("error", reject);
      const address = server.address();
      resolvePort(typeof address === "object" && address ? address.port : port);
    });
  });
}

function close(server: Server): Promise<void> {
  return new Promise((resolveClose) => {
    server.close(() => resolveClose());
    server.closeAllConnections();
  });
}
