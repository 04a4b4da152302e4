// The ali-oss client of one OssType instance: its options, its own sockets, and the signing client for IP endpoints.
import { Agent as HttpAgent } from "node:http";
import { Agent as HttpsAgent } from "node:https";
import OSS from "ali-oss";
import type { Endpoint, OssConfig } from "./config.ts";

// Options the client has and @types/ali-oss does not declare.
declare module "ali-oss" {
  interface Options {
    /** Second-level-domain mode: the bucket goes in the path (`host/bucket/key`). */
    sldEnable?: boolean;
    /** Retries of network errors by the client itself (fixed delay, never for streams, never for 5xx). */
    retryMax?: number;
    /** Agent for http endpoints. */
    agent?: HttpAgent;
    /** Agent for https endpoints. */
    httpsAgent?: HttpsAgent;
  }
  interface PutObjectOptions {
    /** Content-Length of a stream body; without it the client sends it chunked. */
    contentLength?: number;
  }
}

/** A client and the sockets it owns; `destroy()` closes them. */
export interface ClientHandle {
  client: OSS;
  /** Signs URLs; the same client except for IP endpoints, which the client refuses to presign for. */
  signer: OSS;
  destroy(): void;
}

/** One client for one instance, with agents of its own so that `close()` really releases its sockets. */
export function makeClient(config: OssConfig, endpoint: Endpoint): ClientHandle {
  const agent = new HttpAgent({ keepAlive: true, scheduling: "lifo" });
  const httpsAgent = new HttpsAgent({ keepAlive: true, scheduling: "lifo" });
  const options: OSS.Options = {
    accessKeyId: config.accessKeyId,
    accessKeySecret: config.accessKeySecret,
    stsToken: config.stsToken,
    // Only quiets the client's advice to refresh tokens: without refreshSTSToken it refreshes nothing.
    ...(config.stsToken === undefined ? {} : { refreshSTSTokenInterval: 300_000 }),
    bucket: config.bucketName,
    endpoint: endpoint.origin,
    region: endpoint.region,
    secure: endpoint.protocol === "https:",
    cname: endpoint.cname,
    sldEnable: endpoint.pathStyle,
    timeout: config.timeout,
    authorizationV4: config.signatureVersion === "v4",
    // Retrying is ours: with backoff, for 5xx too, and for bodies we can read again.
    retryMax: 0,
    agent,
    httpsAgent,
  };
  const client = new OSS(options);
  // Signing involves no request and no host: for an IP endpoint, sign as if for a host name, path style, and put
  // the IP back into the URL (signatures cover the bucket and key, never the host).
  const signer = endpoint.ip ? new OSS({ ...options, endpoint: `${endpoint.protocol}//localhost`, sldEnable: true }) : client;
  return {
    client,
    signer,
    destroy() {
      agent.destroy();
      httpsAgent.destroy();
    },
  };
}
