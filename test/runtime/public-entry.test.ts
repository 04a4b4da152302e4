import { describe, expect, it } from "vitest";
import * as source from "../../index.ts";

describe("the package entry as users get it (dist/index.js)", () => {
  it("exports every value index.ts exports, and nothing else", async () => {
    const built = (await import("../../dist/index.js" as string)) as Record<string, unknown>;
    expect(Object.keys(built).sort()).toEqual(Object.keys(source).sort());
    for (const [name, value] of Object.entries(source)) expect(typeof built[name], name).toBe(typeof value);
  });
});
