// Temporary credentials for the S3 Types: `sessionToken` goes with its key pair as x-amz-security-token, signed,
// and never shows in an error or a dump. The local server's S3 dialect takes an STS key pair only with its token
// and refuses a request whose x-amz-* headers are not all signed, so an upload that lands proves both.
import { inspect } from "node:util";
import { fileURLToPath } from "node:url";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startOssEmulator, type OssEmulator } from "../../emulator/index.ts";
import { loadApp, type App, type Storage } from "../../index.ts";
import { storageFailure } from "../storage/helpers.ts";

const stsApp = fileURLToPath(new URL("../fixtures/s3-apps/sts/", import.meta.url));
const sts = { accessKeyId: "STS.temporary-s3-key", accessKeySecret: "sts-s3-secret-0123456789", securityToken: "sts-s3-session-token-abcdefghijklmnop" };
const WRONG_TOKEN = "sts-s3-session-token-wrong-0987654321";

let server: OssEmulator;
const apps: App[] = [];

beforeAll(async () => {
  server = await startOssEmulator({ stsTokens: [sts] });
});

afterAll(async () => {
  await Promise.all(apps.map((app) => app.close()));
  await server.stop();
});

/** The fixture's WithToken instance, reaching `endpoint` (the local server's by default) with `token`. */
async function withToken(token: string, endpoint = server.endpoint): Promise<Storage> {
  const app = await loadApp(stsApp, {
    env: { S3_ACCESS_KEY_ID: sts.accessKeyId, S3_ACCESS_KEY_SECRET: sts.accessKeySecret, S3_SESSION_TOKEN: token, S3_ENDPOINT: endpoint, S3_BUCKET: server.bucket },
  });
  apps.push(app);
  return app.getElement("storages.WithToken");
}

/** Every way a value ends up in a log: its text, JSON, inspection (past its custom view too), stacks and causes. */
function everyRendering(value: unknown): string {
  const renderings = [String(value), JSON.stringify(value), inspect(value, { depth: 20, showHidden: true })];
  if (value instanceof Error) renderings.push(inspect(value, { depth: 20, showHidden: true, customInspect: false }));
  for (let cause: unknown = value; cause instanceof Error; cause = cause.cause) renderings.push(cause.stack ?? "", cause.message);
  return renderings.join("\n");
}

describe("sessionToken of the S3 Types", () => {
  it("is sent, signed, with its key pair: uploads and downloads work with temporary credentials", async () => {
    const storage = await withToken(sts.securityToken);
    await storage.uploadByFile("sts/ok.txt", Buffer.from("works with a session token"));
    expect((await storage.download("sts/ok.txt")).toString()).toBe("works with a session token");
  });

  it("a wrong token is refused as S3 refuses it, and neither it, the right one nor the secret shows in any error", async () => {
    const working = await withToken(sts.securityToken);
    const refused = await storageFailure(working.getObject("sts/missing"));
    const wrongToken = await storageFailure((await withToken(WRONG_TOKEN)).download("sts/ok.txt"));
    const unreachable = await storageFailure((await withToken(sts.securityToken, "http://127.0.0.1:9")).download("x"));
    expect([refused.code, unreachable.code]).toEqual(["NoSuchKey", "NETWORK_ERROR"]);
    expect(wrongToken).toMatchObject({ status: 400, code: "InvalidToken" });
    expect(wrongToken.message).toContain("get new temporary credentials (sessionToken and its key pair)");
    for (const error of [refused, wrongToken, unreachable]) {
      const shown = everyRendering(error);
      for (const secret of [sts.accessKeySecret, sts.securityToken, WRONG_TOKEN]) expect(shown).not.toContain(secret);
    }
  });

  it("is redacted in an instance's JSON and inspection", async () => {
    const storage = await withToken(sts.securityToken);
    await storage.exists("made-the-client"); // the client exists now and holds the token
    const shown = everyRendering(storage);
    expect(shown).not.toContain(sts.securityToken);
    expect(shown).not.toContain(sts.accessKeySecret);
    expect(JSON.parse(JSON.stringify(storage))).toMatchObject({ config: { accessKeySecret: "[redacted]", sessionToken: "[redacted]" } });
  });
});
