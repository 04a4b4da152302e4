// The same specification as local-server.test.ts, against real Aliyun OSS. Skipped unless the four variables are
// set, e.g. OSS_TEST_ENDPOINT=oss-cn-hangzhou.aliyuncs.com OSS_TEST_BUCKET=my-test-bucket (a bucket the key may
// write to; the suite works under jit-elements-test/<random>/ and deletes what it made).
import { randomBytes } from "node:crypto";
import { describe } from "vitest";
import { loadApp } from "../../runtime/index.ts";
import { storageContract } from "./contract.ts";
import { basicApp } from "./helpers.ts";

describe.skipIf(!process.env.OSS_TEST_ACCESS_KEY_ID || !process.env.OSS_TEST_ACCESS_KEY_SECRET || !process.env.OSS_TEST_ENDPOINT || !process.env.OSS_TEST_BUCKET)(
  "storages.OssType on real Aliyun OSS",
  () => {
    describe.each(["v1", "v4"])("with %s signatures", (signatureVersion) => {
      storageContract(async () => {
        const env = {
          OSS_ACCESS_KEY_ID: process.env.OSS_TEST_ACCESS_KEY_ID!,
          OSS_ACCESS_KEY_SECRET: process.env.OSS_TEST_ACCESS_KEY_SECRET!,
          OSS_ENDPOINT: process.env.OSS_TEST_ENDPOINT!,
          OSS_BUCKET: process.env.OSS_TEST_BUCKET!,
          OSS_SIGNATURE_VERSION: signatureVersion,
        };
        return {
          prefix: `jit-elements-test/${randomBytes(6).toString("hex")}/`,
          load: (overrides) => loadApp(basicApp, { env: { ...env, ...overrides } }),
        };
      });
    });
  },
);
