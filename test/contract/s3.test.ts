// The five S3-compatible Types (AwsS3Type, MinioType, CloudflareR2Type, EosType, QiniuType) pass the storage
// contract with the real @aws-sdk/client-s3 over real HTTP, against every S3 server in `servers`: s3rver (an S3
// server from npm that nobody here wrote) and the local server's S3 dialect, by path style and by virtual host,
// each started per suite on a free loopback port. Each Type runs as two instances of the fixture app test/fixtures/s3-apps/contract: its defaults,
// and Tuned (small parts, quick retries).
// With S3_TEST_ENDPOINT (a URL), S3_TEST_BUCKET, S3_TEST_ACCESS_KEY_ID, S3_TEST_ACCESS_KEY_SECRET and
// S3_TEST_REGION set, the suite also runs against that real S3-compatible service, as S3_TEST_TYPE (default
// AwsS3Type; its parts then 5 MiB, the services' minimum), under jit-elements-test/<random>/, deleting what it made.
import { randomBytes } from "node:crypto";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";
import { loadApp, Storage } from "../../index.ts";
import { resolveLocalhostSubdomains } from "../s3/localhost-names.ts";
import { startS3rver } from "../s3/s3rver.ts";
import { startOssEmulator } from "../../emulator/index.ts";
import { storageContract, type StorageTarget, type StorageTraits } from "./storage-contract.ts";

const contractApp = fileURLToPath(new URL("../fixtures/s3-apps/contract/", import.meta.url));

/** A running S3 server and the environment the fixture app's configs read to reach it. */
interface StartedServer {
  env: Record<string, string>;
  stop?: () => Promise<void>;
}

/** An S3 server the Types are checked against: how to start one, and what sets it apart. */
interface S3Server {
  label: string;
  start: () => Promise<StartedServer>;
  traits: StorageTraits;
  /** The Types address buckets by virtual host here: MinioType, path style by default, runs as an instance that says `pathStyle: false`. */
  virtualHost?: boolean;
}

/** What sets every S3 service apart from OSS: multipart ETags, and lower-case hex ETags. */
const S3_TRAITS: StorageTraits = { partEtags: { partSize: 102_400 }, etagCase: "lower" };

/** For a server that checks signatures (our S3 dialect, a real service): the env of a wrong secret and of an unknown key. */
const CHECKED_CREDENTIALS: StorageTraits["credentials"] = {
  wrongSecret: { S3_ACCESS_KEY_SECRET: "not-the-right-secret" },
  unknownKeyId: { S3_ACCESS_KEY_ID: "AKIANOSUCHKEY0000000" },
  secretField: "accessKeySecret",
};

/** What s3rver 3.7.1 does not implement (read in its lib/), so that those behaviours are proven on our own S3 server only. */
const S3RVER_GAPS: StorageTraits["serverGaps"] = {
  signatures: "lib/middleware/authentication.js: 'Signature version 4 calculation is unimplemented'; any secret passes",
  listOrder: "lib/stores/filesystem.js walks its folders ('a/b' before 'a b') and pages from the last name, skipping what sorts before it",
  copySource: { characters: "+?=&#$,;:@", reason: "lib/controllers/object.js reads x-amz-copy-source with decodeURI, which leaves %2B, %3F, %26, … encoded" },
  atomicWrites: "lib/stores/filesystem.js writes an object and then, apart, its metadata files: racing uploads mix one's bytes with another's facts",
  multipartEtags: "lib/controllers/object.js gives a multipart object the MD5 of its bytes' MD5s without -<parts>",
  segmentBytes: { bytes: 233, reason: "each name part is a file name plus '._S3rver_metadata.json'; a longer one crashes the server (ENAMETOOLONG)" },
};

const servers: S3Server[] = [
  {
    label: "s3rver",
    async start() {
      const server = await startS3rver();
      return {
        env: { S3_ENDPOINT: server.endpoint, S3_BUCKET: server.bucket, S3_ACCESS_KEY_ID: server.accessKeyId, S3_ACCESS_KEY_SECRET: server.accessKeySecret },
        stop: () => server.stop(),
      };
    },
    // s3rver checks the key id but no secret, so credentials are proven on our S3 dialect only.
    traits: { ...S3_TRAITS, serverGaps: S3RVER_GAPS },
  },
  {
    // Our local server's S3 dialect checks signatures as S3 does, so credentials are proven here. Its parts may be
    // as small as the Tuned instances' (100 KiB) rather than S3's 5 MiB, so that the multipart paths run quickly.
    label: "the local server's S3 dialect",
    async start() {
      const server = await startOssEmulator({ s3MinPartSize: 100 * 1024 });
      return {
        env: { S3_ENDPOINT: server.endpoint, S3_BUCKET: server.bucket, S3_ACCESS_KEY_ID: server.accessKeyId, S3_ACCESS_KEY_SECRET: server.accessKeySecret },
        stop: () => server.stop(),
      };
    },
    traits: { ...S3_TRAITS, credentials: CHECKED_CREDENTIALS },
  },
  {
    // The same dialect reached as `s3.localhost`: an endpoint of two labels, so each Type puts the bucket in the
    // Host (`<bucket>.s3.localhost`), as it does for a real service, and signs, lists, copies and presigns that way.
    label: "the local server's S3 dialect by virtual host",
    async start() {
      resolveLocalhostSubdomains();
      const server = await startOssEmulator({ s3MinPartSize: 100 * 1024, hostnames: ["s3.localhost"] });
      const port = new URL(server.endpoint).port;
      return {
        env: { S3_ENDPOINT: `http://s3.localhost:${port}`, S3_BUCKET: server.bucket, S3_ACCESS_KEY_ID: server.accessKeyId, S3_ACCESS_KEY_SECRET: server.accessKeySecret },
        stop: () => server.stop(),
      };
    },
    traits: { ...S3_TRAITS, credentials: CHECKED_CREDENTIALS },
    virtualHost: true,
  },
];

/** The fixture app's instance of `element` (of `types`) for `server`. */
function instanceFor(server: S3Server, element: string): string {
  return server.virtualHost === true && element === "storages.Minio" ? "storages.MinioVirtualHost" : element;
}

/** The fixture app's instances of each Type: `element` with the Type's defaults, `<element>Tuned` with small parts. */
const types: Array<[string, string]> = [
  ["storages.MinioType", "storages.Minio"],
  ["storages.AwsS3Type", "storages.Aws"],
  ["storages.CloudflareR2Type", "storages.R2"],
  ["storages.EosType", "storages.Eos"],
  ["storages.QiniuType", "storages.Qiniu"],
];

function s3Target(element: string, prefix: string, traits: StorageTraits, start: () => Promise<StartedServer>, tuned = `${element}Tuned`): StorageTarget {
  return {
    element,
    tuned,
    prefix,
    traits,
    async start() {
      const { env, stop } = await start();
      return { load: (overrides) => loadApp(contractApp, { env: { ...env, ...overrides } }), stop };
    },
  };
}

describe.each(servers.map((server) => [server.label, server] as const))("on %s", (_label, server) => {
  describe.each(types)("%s", (_type, element) => {
    storageContract(s3Target(instanceFor(server, element), "contract/", server.traits, server.start));
  });
});

describe("virtual-host addressing on the local server's S3 dialect", () => {
  // Without this, the run above could pass by path style as well (the server answers both): what the Types send
  // must carry the bucket in the host.
  it.each(types)("%s signs URLs for <bucket>.s3.localhost and they are served", async (_type, element) => {
    const server = servers.find((candidate) => candidate.virtualHost === true)!;
    const started = await server.start();
    try {
      const app = await loadApp(contractApp, { env: started.env });
      const storage = app.getElement(instanceFor(server, element));
      expect(storage).toBeInstanceOf(Storage);
      if (!(storage instanceof Storage)) return;
      await storage.upload("vhost/hello.txt", Buffer.from("hello"));
      const url = new URL(await storage.getSignUrl("vhost/hello.txt", "text/plain"));
      expect(url.hostname).toBe(`${started.env.S3_BUCKET}.s3.localhost`);
      expect(url.pathname).toBe("/vhost/hello.txt");
      const answer = await fetch(url);
      expect(answer.status).toBe(200);
      expect(await answer.text()).toBe("hello");
      await app.close();
    } finally {
      await started.stop?.();
    }
  });
});

const { S3_TEST_ENDPOINT, S3_TEST_BUCKET, S3_TEST_ACCESS_KEY_ID, S3_TEST_ACCESS_KEY_SECRET, S3_TEST_REGION, S3_TEST_TYPE = "AwsS3Type" } = process.env;
const realElement = { AwsS3Type: "storages.Aws", MinioType: "storages.Minio", CloudflareR2Type: "storages.R2", EosType: "storages.Eos", QiniuType: "storages.Qiniu" }[S3_TEST_TYPE];

describe.skipIf(!S3_TEST_ENDPOINT || !S3_TEST_BUCKET || !S3_TEST_ACCESS_KEY_ID || !S3_TEST_ACCESS_KEY_SECRET || realElement === undefined)(`storages.${S3_TEST_TYPE} on a real S3-compatible service`, () => {
  const env = {
    S3_ENDPOINT: S3_TEST_ENDPOINT!,
    S3_BUCKET: S3_TEST_BUCKET!,
    S3_ACCESS_KEY_ID: S3_TEST_ACCESS_KEY_ID!,
    S3_ACCESS_KEY_SECRET: S3_TEST_ACCESS_KEY_SECRET!,
    ...(S3_TEST_REGION === undefined ? {} : { S3_REGION: S3_TEST_REGION }),
  };
  storageContract(
    s3Target(
      realElement!,
      `jit-elements-test/${randomBytes(6).toString("hex")}/`,
      {
        ...S3_TRAITS,
        partEtags: { partSize: 5 * 1024 * 1024 },
        credentials: CHECKED_CREDENTIALS,
      },
      async () => ({ env }),
      `${realElement!}Parts5`,
    ),
  );
});
