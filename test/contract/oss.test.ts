// storages.OssType passes the storage contract on the local OSS server, with the real ali-oss client, in each way an
// endPoint can address it (a host name: path style; an IP: the client's IP mode) with V1 and V4 signatures; and on
// real Aliyun OSS when OSS_TEST_ACCESS_KEY_ID, OSS_TEST_ACCESS_KEY_SECRET, OSS_TEST_ENDPOINT (e.g.
// oss-cn-hangzhou.aliyuncs.com) and OSS_TEST_BUCKET (a bucket the key may write to) are set. There the suite works
// under jit-elements-test/<random>/ and deletes what it made.
import { randomBytes } from "node:crypto";
import { describe } from "vitest";
import { startOssEmulator } from "../../emulator/index.ts";
import { loadApp } from "../../index.ts";
import { basicApp, envFor, type Variant } from "../storage/helpers.ts";
import { storageContract, type StorageTarget, type StorageTraits } from "./storage-contract.ts";

/** What sets OSS apart: multipart ETags (Tuned uploads in 100 KiB parts), and keys that the service checks. */
const OSS_TRAITS: StorageTraits = {
  partEtags: { partSize: 102_400 },
  credentials: {
    wrongSecret: { OSS_ACCESS_KEY_SECRET: "not-the-right-secret" },
    unknownKeyId: { OSS_ACCESS_KEY_ID: "LTAI-no-such-key" },
    secretField: "accessKeySecret",
  },
};

/** The basic fixture app's MyOss (defaults) and Tuned (small parts), against the OSS that `env` names. */
function ossTarget(prefix: string, start: () => Promise<{ env: Record<string, string>; stop?: () => Promise<void> }>): StorageTarget {
  return {
    element: "storages.MyOss",
    tuned: "storages.Tuned",
    prefix,
    traits: OSS_TRAITS,
    async start() {
      const { env, stop } = await start();
      return { load: (overrides) => loadApp(basicApp, { env: { ...env, ...overrides } }), stop };
    },
  };
}

const variants: Array<[string, Variant]> = [
  ["endPoint http://localhost:PORT, V1 signatures", { host: "localhost", signatureVersion: "v1" }],
  ["endPoint http://localhost:PORT, V4 signatures", { host: "localhost", signatureVersion: "v4" }],
  ["endPoint http://127.0.0.1:PORT, V1 signatures", { host: "ip", signatureVersion: "v1" }],
  ["endPoint http://127.0.0.1:PORT, V4 signatures", { host: "ip", signatureVersion: "v4" }],
];

describe.each(variants)("storages.OssType on the local OSS server, %s", (_label, variant) => {
  storageContract(
    ossTarget("contract/", async () => {
      const server = await startOssEmulator();
      return { env: envFor(server, variant), stop: () => server.stop() };
    }),
  );
});

const { OSS_TEST_ACCESS_KEY_ID, OSS_TEST_ACCESS_KEY_SECRET, OSS_TEST_ENDPOINT, OSS_TEST_BUCKET } = process.env;

describe.skipIf(!OSS_TEST_ACCESS_KEY_ID || !OSS_TEST_ACCESS_KEY_SECRET || !OSS_TEST_ENDPOINT || !OSS_TEST_BUCKET)("storages.OssType on real Aliyun OSS", () => {
  describe.each(["v1", "v4"])("with %s signatures", (signatureVersion) => {
    storageContract(
      ossTarget(`jit-elements-test/${randomBytes(6).toString("hex")}/`, async () => ({
        env: {
          OSS_ACCESS_KEY_ID: OSS_TEST_ACCESS_KEY_ID!,
          OSS_ACCESS_KEY_SECRET: OSS_TEST_ACCESS_KEY_SECRET!,
          OSS_ENDPOINT: OSS_TEST_ENDPOINT!,
          OSS_BUCKET: OSS_TEST_BUCKET!,
          OSS_SIGNATURE_VERSION: signatureVersion,
        },
      })),
    );
  });
});
