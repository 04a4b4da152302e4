// Bucket sub-resources: kept and returned as the service returns them (through ali-oss's own calls), with the
// service's answer when none was put; GetBucketStat counts what the bucket holds.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startOssEmulator, type OssEmulator } from "../../emulator/index.ts";
import { clientFor, rejectionOf } from "./helpers.ts";

let emulator: OssEmulator;
// The sub-resource calls are ali-oss's; the tests' Client interface does not list them all.
type Call = (...args: unknown[]) => Promise<Record<string, unknown>>;
let oss: Record<string, Call>;

beforeAll(async () => {
  emulator = await startOssEmulator();
  oss = clientFor(emulator) as unknown as Record<string, Call>;
});
afterAll(async () => {
  await emulator?.stop();
});

describe("bucket sub-resources", () => {
  it("keeps a lifecycle configuration, returns it, and answers 404 NoSuchLifecycle once deleted", async () => {
    const rules = [{ id: "expire-logs", prefix: "logs/", status: "Enabled", days: 30 }];
    await oss.putBucketLifecycle!(emulator.bucket, rules);
    const got = await oss.getBucketLifecycle!(emulator.bucket);
    expect(got.rules).toMatchObject([{ id: "expire-logs", prefix: "logs/", status: "Enabled", expiration: { days: "30" } }]);
    await oss.deleteBucketLifecycle!(emulator.bucket);
    const error = await rejectionOf(oss.getBucketLifecycle!(emulator.bucket));
    expect(error.status).toBe(404);
    expect(error.code).toBe("NoSuchLifecycle");
  });

  it("keeps tags, website, referer, logging and request payment", async () => {
    await oss.putBucketTags!(emulator.bucket, { team: "storage", env: "dev" });
    expect((await oss.getBucketTags!(emulator.bucket)).tag).toEqual({ team: "storage", env: "dev" });
    await oss.putBucketWebsite!(emulator.bucket, { index: "index.html", error: "404.html" });
    expect((await oss.getBucketWebsite!(emulator.bucket)).index).toBe("index.html");
    await oss.putBucketReferer!(emulator.bucket, false, ["https://app.example.com"]);
    const referer = await oss.getBucketReferer!(emulator.bucket);
    expect(referer.allowEmpty).toBe(false);
    expect(referer.referers).toEqual(["https://app.example.com"]);
    await oss.putBucketLogging!(emulator.bucket, "access-logs/");
    expect((await oss.getBucketLogging!(emulator.bucket)).prefix).toBe("access-logs/");
    await oss.putBucketRequestPayment!(emulator.bucket, "Requester");
    expect((await oss.getBucketRequestPayment!(emulator.bucket)).payer).toBe("Requester");
  });

  it("answers the service's defaults for tags and referer before any were put", async () => {
    const fresh = await startOssEmulator();
    try {
      const client = clientFor(fresh) as unknown as Record<string, Call>;
      expect((await client.getBucketTags!(fresh.bucket)).tag).toEqual({});
      expect((await client.getBucketReferer!(fresh.bucket)).allowEmpty).toBe(true);
      expect((await rejectionOf(client.getBucketEncryption!(fresh.bucket))).code).toBe("NoSuchServerSideEncryptionRule");
      // ali-oss's getBucketPolicy resolves on any status, with no policy.
      const none = await client.getBucketPolicy!(fresh.bucket);
      expect(none.status).toBe(404);
      expect(none.policy).toBeNull();
    } finally {
      await fresh.stop();
    }
  });

  it("keeps encryption, policy and versioning status", async () => {
    await oss.putBucketEncryption!(emulator.bucket, { SSEAlgorithm: "AES256" });
    expect((await oss.getBucketEncryption!(emulator.bucket)).encryption).toMatchObject({ SSEAlgorithm: "AES256" });
    const policy = { Version: "1", Statement: [{ Effect: "Allow", Action: ["oss:GetObject"], Principal: ["*"], Resource: [`acs:oss:*:*:${emulator.bucket}/*`] }] };
    await oss.putBucketPolicy!(emulator.bucket, policy);
    expect((await oss.getBucketPolicy!(emulator.bucket)).policy).toEqual(policy);
    await oss.deleteBucketPolicy!(emulator.bucket);
    expect((await oss.getBucketPolicy!(emulator.bucket)).status).toBe(404);
    expect((await oss.getBucketVersioning!(emulator.bucket)).versionStatus).toBeUndefined();
    await oss.putBucketVersioning!(emulator.bucket, "Enabled");
    expect((await oss.getBucketVersioning!(emulator.bucket)).versionStatus).toBe("Enabled");
  });

  it("applies lifecycle expiration and upload aborts on the server's clock", async () => {
    let now = Date.now();
    const timed = await startOssEmulator({ clock: () => now, lifecycleIntervalMs: 0 });
    try {
      const client = clientFor(timed);
      const calls = client as unknown as Record<string, Call>;
      await client.put("logs/old.txt", Buffer.from("old"));
      await client.put("logs/tagged.txt", Buffer.from("t"), { headers: { "x-oss-tagging": "keep=no" } });
      await client.put("docs/kept.txt", Buffer.from("kept"));
      const { uploadId } = await client.initMultipartUpload("logs/pending.bin");
      await calls.putBucketLifecycle!(timed.bucket, [
        { id: "logs", prefix: "logs/", status: "Enabled", expiration: { days: 30 }, abortMultipartUpload: { days: 7 } },
        { id: "off", prefix: "docs/", status: "Disabled", expiration: { days: 1 } },
      ]);
      expect(await timed.applyLifecycle()).toBe(0);
      now += 31 * 86_400_000;
      expect(await timed.applyLifecycle()).toBe(3);
      expect((await rejectionOf(client.head("logs/old.txt"))).status).toBe(404);
      expect((await rejectionOf(client.head("logs/tagged.txt"))).status).toBe(404);
      expect((await client.get("docs/kept.txt")).content.toString()).toBe("kept");
      expect((await rejectionOf(client.listParts("logs/pending.bin", uploadId, {}, {}))).code).toBe("NoSuchUpload");
    } finally {
      await timed.stop();
    }
  });

  it("applies a policy's Allow and Deny of GetObject to anonymous readers, over the ACL", async () => {
    const owner = clientFor(emulator);
    await owner.putBucket("policed");
    const policed = clientFor(emulator).useBucket("policed");
    await policed.put("public/a.txt", Buffer.from("shared"));
    await policed.put("private/b.txt", Buffer.from("kept"));
    const anonymous = (key: string, bucket = "policed") => fetch(`${emulator.endpoint}/${bucket}/${key}`);
    expect((await anonymous("public/a.txt")).status).toBe(403);
    await oss.putBucketPolicy!("policed", {
      Version: "1",
      Statement: [{ Effect: "Allow", Action: ["oss:GetObject"], Principal: ["*"], Resource: ["acs:oss:*:*:policed/public/*"] }],
    });
    const allowed = await anonymous("public/a.txt");
    expect(allowed.status).toBe(200);
    expect(await allowed.text()).toBe("shared");
    expect((await anonymous("private/b.txt")).status).toBe(403);

    await owner.putBucket("open-but-policed", { acl: "public-read" });
    const open = clientFor(emulator).useBucket("open-but-policed");
    await open.put("secret/c.txt", Buffer.from("no"));
    await open.put("fine.txt", Buffer.from("yes"));
    await oss.putBucketPolicy!("open-but-policed", {
      Version: "1",
      Statement: [{ Effect: "Deny", Action: ["oss:Get*"], Principal: ["*"], Resource: ["acs:oss:*:*:open-but-policed/secret/*"] }],
    });
    expect((await anonymous("secret/c.txt", "open-but-policed")).status).toBe(403);
    expect((await anonymous("fine.txt", "open-but-policed")).status).toBe(200);
  });

  it("counts objects and bytes in GetBucketStat", async () => {
    const fresh = await startOssEmulator();
    try {
      const client = clientFor(fresh);
      await client.put("a.txt", Buffer.from("12345"));
      await client.put("b.txt", Buffer.from("123"), { headers: { "x-oss-storage-class": "IA" } });
      const { stat } = (await (client as unknown as Record<string, Call>).getBucketStat!(fresh.bucket)) as { stat: Record<string, string> };
      expect(stat.Storage).toBe("8");
      expect(stat.ObjectCount).toBe("2");
      expect(stat.StandardStorage).toBe("5");
      expect(stat.InfrequentAccessObjectCount).toBe("1");
    } finally {
      await fresh.stop();
    }
  });
});
