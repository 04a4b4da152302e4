// The secret, the STS token and signatures never show: not in an error's message, stack, cause, JSON or inspection,
// and not in an instance's JSON or inspection.
import { inspect } from "node:util";
import { fileURLToPath } from "node:url";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startOssEmulator, type OssEmulator } from "../../emulator/index.ts";
import { loadApp, type App } from "../../index.ts";
import { basicApp, envFor, storageFailure } from "./helpers.ts";

const stsApp = fileURLToPath(new URL("../fixtures/storage-apps/sts/", import.meta.url));
const sts = { accessKeyId: "STS.temporary-key", accessKeySecret: "sts-secret-0123456789", securityToken: "sts-token-abcdefghijklmnop" };

let server: OssEmulator;
const apps: App[] = [];

beforeAll(async () => {
  server = await startOssEmulator({ stsTokens: [sts] });
});

afterAll(async () => {
  await Promise.all(apps.map((app) => app.close()));
  await server.stop();
});

async function load(dir: string, env: Record<string, string>): Promise<App> {
  const app = await loadApp(dir, { env });
  apps.push(app);
  return app;
}

/**
 * Every way a value ends up in a log: its text, JSON, inspection, stacks. An error holds no secret at all, so it is
 * also inspected past its custom view; an instance needs its secret, and only its redacting views are checked.
 */
function everyRendering(value: unknown): string {
  const renderings = [String(value), JSON.stringify(value), inspect(value, { depth: 20, showHidden: true })];
  if (value instanceof Error) renderings.push(inspect(value, { depth: 20, showHidden: true, customInspect: false }));
  for (let cause: unknown = value; cause instanceof Error; cause = cause.cause) renderings.push(cause.stack ?? "", cause.message);
  return renderings.join("\n");
}

// A V1 Authorization value, a V4 one, and URL signatures.
const signatureShapes = [/OSS [^:\s]+:[A-Za-z0-9+/]{20,}/, /Signature=[0-9a-f]{64}/, /Signature=[A-Za-z0-9%+/]{20,}/];

describe("secrets", () => {
  it("a wrong secret's SignatureDoesNotMatch shows neither the secret nor a signature", async () => {
    const secret = "wrong-secret-that-must-not-leak";
    const app = await load(basicApp, { ...envFor(server), OSS_ACCESS_KEY_SECRET: secret });
    const error = await storageFailure(app.getElement("storages.MyOss").uploadByFile("x.txt", Buffer.from("x")));
    expect(error.code).toBe("SignatureDoesNotMatch");
    const shown = everyRendering(error);
    expect(shown).not.toContain(secret);
    for (const shape of signatureShapes) expect(shown).not.toMatch(shape);
  });

  it("an STS token and secret never show, whether the service refuses or cannot be reached", async () => {
    const env = { OSS_ACCESS_KEY_ID: sts.accessKeyId, OSS_ACCESS_KEY_SECRET: sts.accessKeySecret, OSS_STS_TOKEN: sts.securityToken, OSS_BUCKET: server.bucket };
    const working = await load(stsApp, { ...env, OSS_ENDPOINT: server.endpoint });
    const storage = working.getElement("storages.WithToken");
    await storage.uploadByFile("sts/ok.txt", Buffer.from("works with a token"));
    expect((await storage.download("sts/ok.txt")).toString()).toBe("works with a token");

    const refused = await storageFailure(storage.getObject("sts/missing"));
    const unreachable = await storageFailure((await load(stsApp, { ...env, OSS_ENDPOINT: "http://127.0.0.1:9" })).getElement("storages.WithToken").download("x"));
    const wrongToken = await storageFailure((await load(stsApp, { ...env, OSS_ENDPOINT: server.endpoint, OSS_STS_TOKEN: "sts-token-wrong-0987654321" })).getElement("storages.WithToken").download("x"));
    expect([refused.code, unreachable.code]).toEqual(["NoSuchKey", "NETWORK_ERROR"]);
    expect(wrongToken.status).toBe(403);
    for (const error of [refused, unreachable, wrongToken]) {
      const shown = everyRendering(error);
      for (const secret of [sts.accessKeySecret, sts.securityToken, "sts-token-wrong-0987654321"]) expect(shown).not.toContain(secret);
    }
  });

  it("an instance's JSON and inspection show its config with secrets redacted", async () => {
    const app = await load(stsApp, {
      OSS_ACCESS_KEY_ID: sts.accessKeyId,
      OSS_ACCESS_KEY_SECRET: sts.accessKeySecret,
      OSS_STS_TOKEN: sts.securityToken,
      OSS_BUCKET: server.bucket,
      OSS_ENDPOINT: server.endpoint,
    });
    const storage = app.getElement("storages.WithToken");
    await storage.exists("made-the-client"); // the client exists now and holds the secret
    const shown = everyRendering(storage);
    expect(shown).not.toContain(sts.accessKeySecret);
    expect(shown).not.toContain(sts.securityToken);
    expect(JSON.parse(JSON.stringify(storage))).toMatchObject({
      element: "storages.WithToken",
      type: "storages.OssType",
      config: { accessKeySecret: "[redacted]", stsToken: "[redacted]", timeout: 60000 },
    });
    expect(inspect(storage)).toMatch(/^OssStorage \{/);
  });

  it("an error's JSON carries the facts a user acts on", async () => {
    const app = await load(basicApp, envFor(server));
    const error = await storageFailure(app.getElement("storages.MyOss").download("docs/a.pdf"));
    expect(JSON.parse(JSON.stringify(error))).toEqual({
      name: "StorageError",
      code: "NoSuchKey",
      message: 'storages.MyOss (storages.OssType): download of "docs/a.pdf" failed: NoSuchKey (404), the object does not exist',
      element: "storages.MyOss",
      storageType: "storages.OssType",
      operation: "download",
      objectName: "docs/a.pdf",
      status: 404,
      requestId: expect.any(String),
      attempts: 1,
    });
    expect(inspect(error)).toBe(`StorageError [NoSuchKey]: ${error.message} (requestId ${error.requestId})`);
    expect(error.cause).toBeInstanceOf(Error);
  });
});
