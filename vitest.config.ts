import { defineConfig } from "vitest/config";
import { sourceCondition } from "./test/package/paths.ts";

// Under this export condition "jit-elements" is this repository's sources (index.ts, …), not the build in dist/
// (package.json exports): tests, element code in fixtures and the child processes they start all share the very
// classes the tests import, and no test needs a build made by hand.
// Not "module": packages such as @aws-sdk/checksums point it at bundler-only builds that Node cannot load.
const conditions = [sourceCondition, "node", "development|production"];

export default defineConfig({
  resolve: { conditions },
  ssr: { resolve: { conditions, externalConditions: [sourceCondition] } },
  test: {
    include: ["test/**/*.test.ts"],
    // Builds dist/ once per run, for the tests of the package as users get it (test/package/).
    globalSetup: ["test/package/build-once.ts", "test/skipped-note.ts"],
    env: { NODE_OPTIONS: [process.env.NODE_OPTIONS, `--conditions=${sourceCondition}`].filter(Boolean).join(" ") },
    // urllib (under ali-oss) console.warns when a request it already failed fails again, as requests cut off on
    // purpose do (a server stopped mid-upload); the test asserts what the user sees, so its chatter is left out.
    onConsoleLog: (log) => !log.startsWith("[urllib:warn]"),
    // Storage suites move real bytes over real HTTP; give them room on a shared 2-core machine.
    testTimeout: 120_000,
    hookTimeout: 60_000,
  },
});
