// vitest globalSetup: says once, in one line, why the real-Aliyun suites are skipped (they are the only skips).
const variables = ["OSS_TEST_ACCESS_KEY_ID", "OSS_TEST_ACCESS_KEY_SECRET", "OSS_TEST_ENDPOINT", "OSS_TEST_BUCKET"];

export default function skippedNote(): void {
  const missing = variables.filter((name) => !process.env[name]);
  if (missing.length === 0) return;
  const which = missing.length === variables.length ? "" : ` (${missing.join(", ")} missing)`;
  console.log(`Skipping the suites against real Aliyun OSS: set ${variables.join(", ")} to run them on a bucket${which}.`);
}
