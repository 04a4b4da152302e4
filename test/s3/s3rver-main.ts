// s3rver in a process of its own, as a user would run it: `node --openssl-legacy-provider --import tsx
// s3rver-main.ts <folder> <bucket>`. It prints its address as one line of JSON and serves until it is killed.
// The legacy provider is there because s3rver makes ListObjectsV2 continuation tokens with DES, which Node 20's
// OpenSSL 3 only offers through it; without it every truncated listing answers 500.
import S3rver from "s3rver";
import { fixS3rverWrites } from "./s3rver-fixes.ts";

const [directory, bucket] = process.argv.slice(2);
if (directory === undefined || bucket === undefined) {
  console.error("usage: s3rver-main.ts <folder> <bucket>");
  process.exit(2);
}
fixS3rverWrites();
const server = new S3rver({ address: "127.0.0.1", port: 0, silent: true, directory, configureBuckets: [{ name: bucket }] });
const address = await server.run();
console.log(JSON.stringify({ port: address.port }));
process.on("SIGTERM", () => {
  void server.close().finally(() => process.exit(0));
});
