// The storage element's specification, run against the local OSS server with the real ali-oss client, in each way
// an endPoint can address it: a host name (path style) or an IP (the client's IP mode), with V1 and V4 signatures.
import { describe } from "vitest";
import { startOssEmulator } from "../../emulator/index.ts";
import { loadApp } from "../../runtime/index.ts";
import { storageContract } from "./contract.ts";
import { basicApp, envFor, type Variant } from "./helpers.ts";

const variants: Array<[string, Variant]> = [
  ["endPoint http://localhost:PORT, V1 signatures", { host: "localhost", signatureVersion: "v1" }],
  ["endPoint http://localhost:PORT, V4 signatures", { host: "localhost", signatureVersion: "v4" }],
  ["endPoint http://127.0.0.1:PORT, V1 signatures", { host: "ip", signatureVersion: "v1" }],
  ["endPoint http://127.0.0.1:PORT, V4 signatures", { host: "ip", signatureVersion: "v4" }],
];

describe.each(variants)("storages.OssType on the local OSS server, %s", (_label, variant) => {
  storageContract(async () => {
    const server = await startOssEmulator();
    const env = envFor(server, variant);
    return { prefix: "contract/", load: (overrides) => loadApp(basicApp, { env: { ...env, ...overrides } }), dispose: () => server.stop() };
  });
});
