// Archive storage classes and RestoreObject: an archived object's bytes are out of reach until a restore has
// run; the restore takes a while (the server's restoreDelayMs), reports itself in x-oss-restore, and refuses
// what the service refuses.
import { createHash } from "node:crypto";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startOssEmulator, type OssEmulator } from "../../emulator/index.ts";
import { clientFor, rawRequest, rejectionOf, signV1, xmlText, xmlTexts, type Client } from "./helpers.ts";

// Restores finish at once here, and never during a test on `slow`: no test depends on the machine's pace.
let emulator: OssEmulator;
let client: Client;
let slow: OssEmulator;
let slowClient: Client;

beforeAll(async () => {
  emulator = await startOssEmulator({ restoreDelayMs: 0 });
  client = clientFor(emulator);
  slow = await startOssEmulator({ restoreDelayMs: 3_600_000 });
  slowClient = clientFor(slow);
});
afterAll(async () => {
  await emulator?.stop();
  await slow?.stop();
});

const restoreHeader = async (key: string, on = client) => (await on.head(key)).res.headers["x-oss-restore"];

describe("archived objects", () => {
  it("answer HEAD but refuse GET and copies with 403 InvalidObjectState until restored", async () => {
    await client.put("archive/frozen.txt", Buffer.from("cold"), { headers: { "x-oss-storage-class": "Archive" } });
    const head = await client.head("archive/frozen.txt");
    expect(head.res.headers["x-oss-storage-class"]).toBe("Archive");
    expect(head.res.headers["x-oss-restore"]).toBeUndefined();
    const read = await rejectionOf(client.get("archive/frozen.txt"));
    expect(read.status).toBe(403);
    expect(read.code).toBe("InvalidObjectState");
    expect((await rejectionOf(client.copy("archive/copy.txt", "archive/frozen.txt"))).code).toBe("InvalidObjectState");
  });

  it("report a restore under way in x-oss-restore and in listings, and refuse a second one with 409", async () => {
    await slowClient.put("archive/thawing.txt", Buffer.from("thawing"), { headers: { "x-oss-storage-class": "Archive" } });
    expect((await slowClient.restore("archive/thawing.txt", { Days: 3 })).res.status).toBe(202);
    expect(await restoreHeader("archive/thawing.txt", slowClient)).toBe('ongoing-request="true"');
    const again = await rejectionOf(slowClient.restore("archive/thawing.txt"));
    expect(again.status).toBe(409);
    expect(again.code).toBe("RestoreAlreadyInProgress");
    expect((await rejectionOf(slowClient.get("archive/thawing.txt"))).code).toBe("InvalidObjectState");
    const headers = signV1(slow, { method: "GET", bucket: slow.bucket });
    const listing = await rawRequest(slow, { method: "GET", path: `/${slow.bucket}/?prefix=archive%2Fthawing`, headers });
    expect(xmlTexts(listing.body, "RestoreInfo")).toEqual(['ongoing-request="true"']);
  });

  it("become readable once RestoreObject has run, with the copy's expiry in x-oss-restore", async () => {
    await client.put("archive/restored.txt", Buffer.from("thawed"), { headers: { "x-oss-storage-class": "Archive" } });
    expect((await client.restore("archive/restored.txt", { Days: 3 })).res.status).toBe(202);
    const header = await restoreHeader("archive/restored.txt");
    expect(header).toMatch(/^ongoing-request="false", expiry-date="(.+ GMT)"$/);
    const expiry = Date.parse(/expiry-date="(.+)"/.exec(header!)![1]!);
    expect(Math.round((expiry - Date.now()) / 86_400_000)).toBe(3);
    expect((await client.get("archive/restored.txt")).content.toString()).toBe("thawed");
  });

  it("restores ColdArchive and DeepColdArchive objects with JobParameters", async () => {
    for (const type of ["ColdArchive", "DeepColdArchive"]) {
      const key = `archive/${type}.txt`;
      await client.put(key, Buffer.from(type), { headers: { "x-oss-storage-class": type } });
      expect((await client.restore(key, { type, JobParameters: "Bulk" })).res.status).toBe(202);
      expect(await restoreHeader(key)).toMatch(/ongoing-request="false"/);
      expect((await client.get(key)).content.toString()).toBe(type);
    }
  });

  it("answers 400 OperationNotSupported to restoring an object of another class", async () => {
    await client.put("archive/standard.txt", Buffer.from("warm"));
    const error = await rejectionOf(client.restore("archive/standard.txt"));
    expect(error.status).toBe(400);
    expect(error.code).toBe("OperationNotSupported");
  });

  it("answers 400 MalformedXML to a RestoreRequest that is not one", async () => {
    await client.put("archive/malformed.txt", Buffer.from("x"), { headers: { "x-oss-storage-class": "ColdArchive" } });
    const body = "<RestoreRequest><Days>two</Days></RestoreRequest>";
    const md5 = createHash("md5").update(body).digest("base64");
    const headers = signV1(emulator, { method: "POST", bucket: emulator.bucket, key: "archive/malformed.txt", subresources: { restore: "" }, headers: { "content-md5": md5 } });
    const answer = await rawRequest(emulator, { method: "POST", path: `/${emulator.bucket}/archive/malformed.txt?restore`, headers, body });
    expect(answer.status).toBe(400);
    expect(xmlText(answer.body, "Code")).toBe("MalformedXML");
  });
});
