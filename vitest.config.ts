import { defineConfig } from "vitest/config";

export default defineConfig({
  test: {
    include: ["test/**/*.test.ts"],
    // Storage suites move real bytes over real HTTP; give them room on a shared 2-core machine.
    testTimeout: 120_000,
    hookTimeout: 60_000,
  },
});
