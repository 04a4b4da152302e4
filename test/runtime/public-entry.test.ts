import { describe, expect, it } from "vitest";
import * as source from "../../index.ts";

describe("the package entry for plain node (index.js)", () => {
  it("exports every value index.ts exports, as the very same objects", async () => {
    // index.js cannot `export *` from a module it loads after registering tsx, so it lists names: keep them in step.
    const entry = (await import("../../index.js")) as Record<string, unknown>;
    expect(Object.keys(entry).sort()).toEqual(Object.keys(source).sort());
    for (const [name, value] of Object.entries(source)) expect(entry[name], name).toBe(value);
  });
});
