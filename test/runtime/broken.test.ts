// The broken-app corpus: each folder under test/fixtures/broken/ is an app broken one way, and gets one clear error.
import { lstatSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { loadApp } from "../../runtime/index.ts";
import {
  brokenApp,
  errorOf,
  expectError,
  expectErrors,
  expectLoadError,
  expectNoSecrets,
  loadError,
  thrownError,
} from "./expect-error.ts";

describe("broken apps: malformed JSON", () => {
  it("names file, line and column of a syntax error in an e.json", async () => {
    const error = await expectLoadError("json-malformed-declaration", {
      code: "JSON_INVALID",
      element: "widgets.Gizmo",
      file: "widgets/Gizmo/e.json",
      line: 3,
      column: 3,
    });
    expect(error.message).toContain("widgets/Gizmo/e.json:3:3");
  });

  it("points at a trailing comma and says that is what it may be", async () => {
    const error = await expectLoadError("json-trailing-comma", {
      code: "JSON_INVALID",
      element: "widgets.Gizmo",
      file: "widgets/Gizmo/e.json",
      line: 4,
      column: 1,
    });
    expect(error.message).toContain("trailing comma");
  });

  it("names file, line and column of a syntax error in a config.schema.json", async () => {
    await expectLoadError("json-malformed-schema", {
      code: "JSON_INVALID",
      element: "widgets.OddType",
      file: "widgets/OddType/config.schema.json",
      line: 4,
      column: 1,
    });
  });

  it("names file, line and column of a syntax error in app.json", async () => {
    await expectLoadError("json-malformed-app-manifest", { code: "JSON_INVALID", file: "app.json", line: 2, column: 1 });
  });
});

describe("broken apps: declarations (e.json)", () => {
  it("requires a title", async () => {
    await expectLoadError("declaration-missing-title", {
      code: "DECLARATION_INVALID",
      element: "widgets.Gizmo",
      file: "widgets/Gizmo/e.json",
      pointers: ["/title"],
    });
  });

  it("requires an instance to name its type", async () => {
    await expectLoadError("declaration-instance-missing-type", {
      code: "DECLARATION_INVALID",
      element: "widgets.Gizmo",
      file: "widgets/Gizmo/e.json",
      pointers: ["/type"],
    });
  });

  it("refuses a type on a Meta, which ends the chain", async () => {
    const error = await expectLoadError("declaration-meta-with-type", {
      code: "DECLARATION_INVALID",
      element: "gadgets.Meta",
      file: "gadgets/Meta/e.json",
      pointers: ["/type"],
    });
    expect(error.message).toContain("Meta");
  });

  it("names the kinds there are when kind is unknown", async () => {
    const error = await expectLoadError("declaration-unknown-kind", {
      code: "DECLARATION_INVALID",
      element: "widgets.Gizmo",
      file: "widgets/Gizmo/e.json",
      pointers: ["/kind"],
    });
    expect(error.message).toContain('"Meta", "Type", "Instance"');
  });

  it("requires backendBundleEntry to be a string", async () => {
    await expectLoadError("declaration-bundle-entry-not-string", {
      code: "DECLARATION_INVALID",
      element: "widgets.Gizmo",
      file: "widgets/Gizmo/e.json",
      pointers: ["/backendBundleEntry"],
    });
  });

  it("reports a misspelt field as unknown, and the field it should have been as missing", async () => {
    const error = await expectLoadError("declaration-unknown-field", {
      code: "DECLARATION_INVALID",
      element: "widgets.Gizmo",
      file: "widgets/Gizmo/e.json",
      pointers: ["/tittle", "/title"],
    });
    expect(error.message).toContain('/tittle is not a known field (did you mean "title"?)');
  });

  it("requires type to be a fullName, category.Name", async () => {
    await expectLoadError("declaration-type-pattern", {
      code: "DECLARATION_INVALID",
      element: "widgets.Gizmo",
      file: "widgets/Gizmo/e.json",
      pointers: ["/type"],
    });
  });

});

describe("broken apps: chains", () => {
  it("names the closest existing name when a type names no element", async () => {
    const error = await expectLoadError("type-unknown", {
      code: "TYPE_UNKNOWN",
      element: "widgets.Gizmo",
      file: "widgets/Gizmo/e.json",
      pointers: ["/type"],
    });
    expect(error.message).toContain('"widgets.ThingTyp"');
    expect(error.message).toContain("Did you mean widgets.ThingType?");
  });

  it("reports a kind the graph contradicts: an element another names as its type is a Type", async () => {
    const error = await expectLoadError("kind-mismatch-named-instance", {
      code: "KIND_MISMATCH",
      element: "widgets.Gizmo",
      file: "widgets/Gizmo/e.json",
      pointers: ["/kind"],
    });
    expect(error.message).toContain("widgets.Copy names it as its type");
  });

  it("reports a kind the graph contradicts: an element whose type is a Meta is a Type", async () => {
    const error = await expectLoadError("kind-mismatch-instance-names-meta", {
      code: "KIND_MISMATCH",
      element: "widgets.Gizmo",
      file: "widgets/Gizmo/e.json",
      pointers: ["/kind"],
    });
    expect(error.message).toContain("widgets.Meta is a Meta");
  });

  it("refuses a type from another category", async () => {
    const error = await expectLoadError("type-kind-category-mismatch", {
      code: "TYPE_KIND",
      element: "gadgets.Gizmo",
      file: "gadgets/Gizmo/e.json",
      pointers: ["/type"],
    });
    expect(error.message).toContain('"widgets"');
  });
});

describe("broken apps: code (backendBundleEntry)", () => {
  it("requires the default export to be a class, not a function", async () => {
    const error = await expectLoadError("bundle-default-not-class", {
      code: "BUNDLE_INVALID",
      element: "widgets.GizmoType",
      file: "widgets/GizmoType/index.ts",
    });
    expect(error.message).toContain("export default class");
  });

  it("requires a default export", async () => {
    const error = await expectLoadError("bundle-no-default-export", {
      code: "BUNDLE_INVALID",
      element: "widgets.GizmoType",
      file: "widgets/GizmoType/index.ts",
    });
    expect(error.message).toContain("default export is missing");
  });

  it("reports a module with a syntax error without a stack", async () => {
    await expectLoadError("bundle-syntax-error", {
      code: "BUNDLE_INVALID",
      element: "widgets.GizmoType",
      file: "widgets/GizmoType/index.js",
    });
  });

  it("names file, line and column and the parser's message for a syntax error in a .ts bundle", async () => {
    const error = await expectLoadError("bundle-syntax-error-ts", {
      code: "BUNDLE_INVALID",
      element: "widgets.GizmoType",
      file: "widgets/GizmoType/index.ts",
      line: 6,
      column: 21,
    });
    // The parser's own words: vite's under vitest, esbuild's (through tsx) under node, as cli.test.ts shows.
    expect(error.message).toMatch(/widgets\/GizmoType\/index\.ts:6:21: Unexpected .*\. Fix the code/);
    expect(error.message).not.toContain("Transform failed");
  });

  it("reports a module that throws while it loads, with what it threw", async () => {
    const error = await expectLoadError("bundle-throws-on-import", {
      code: "BUNDLE_INVALID",
      element: "widgets.GizmoType",
      file: "widgets/GizmoType/index.js",
    });
    expect(error.message).toContain("GIZMO_HOME must be set before this module loads");
  });

  it("requires a Type's class to extend its Meta's base class", async () => {
    const error = await expectLoadError("bundle-not-extending-meta", {
      code: "BUNDLE_INVALID",
      element: "widgets.GizmoType",
      file: "widgets/GizmoType/index.ts",
    });
    expect(error.message).toContain("must extend Widget");
    expect(error.message).toContain("it extends nothing: write `export default class Gizmo extends Widget`");
  });

  it("says which class a Type's class extends instead of its Meta's base class", async () => {
    const error = await expectLoadError("bundle-extends-wrong-class", {
      code: "BUNDLE_INVALID",
      element: "widgets.GizmoType",
      file: "widgets/GizmoType/index.ts",
    });
    expect(error.message).toContain("must extend Widget, the base class of widgets.Meta; it extends Gadget instead.");
  });
});

describe("broken apps: a base class from another copy of the runtime", () => {
  it("says the class extends another copy of the Meta's base class, and how to import the right one", async () => {
    const error = await expectLoadError("bundle-extends-other-copy", {
      code: "BUNDLE_INVALID",
      element: "widgets.GizmoType",
      file: "widgets/GizmoType/index.ts",
    });
    expect(error.message).toContain('it extends a Widget from another copy of jit-elements, so import the base class from "jit-elements"');
  });
});

describe("broken apps: business config", () => {
  it("points at a missing required field", async () => {
    await expectLoadError("config-missing-required", {
      code: "CONFIG_INVALID",
      element: "widgets.Gizmo",
      file: "widgets/Gizmo/Gizmo.json",
      pointers: ["/bucketName"],
    });
  });

  it("names the config file to write when an instance has none and needs one", async () => {
    await expectLoadError("config-file-absent", {
      code: "CONFIG_INVALID",
      element: "widgets.Gizmo",
      file: "widgets/Gizmo/Gizmo.json",
      pointers: ["/bucketName"],
    });
  });

  it("points at a field of the wrong type and says what it must be", async () => {
    const error = await expectLoadError("config-wrong-type", {
      code: "CONFIG_INVALID",
      element: "widgets.Gizmo",
      file: "widgets/Gizmo/Gizmo.json",
      pointers: ["/count"],
    });
    expect(error.message).toContain("/count must be an integer");
  });

  it("points into nested objects", async () => {
    await expectLoadError("config-nested-field", {
      code: "CONFIG_INVALID",
      element: "widgets.Gizmo",
      file: "widgets/Gizmo/Gizmo.json",
      pointers: ["/style/padding"],
    });
  });

  it("reports every failing field at once", async () => {
    await expectLoadError("config-several-fields", {
      code: "CONFIG_INVALID",
      element: "widgets.Gizmo",
      file: "widgets/Gizmo/Gizmo.json",
      pointers: ["/bucketName", "/colour", "/count", "/region", "/style/case", "/style/padding"],
    });
  });

  it("reports a config.schema.json ajv cannot compile, on the Type that has it", async () => {
    await expectLoadError("schema-uncompilable", {
      code: "SCHEMA_INVALID",
      element: "widgets.OddType",
      file: "widgets/OddType/config.schema.json",
      pointers: ["/properties/size/type"],
    });
  });

  it("names the missing environment variable and the file that uses it", async () => {
    const error = await expectLoadError("env-missing-in-instance", {
      code: "ENV_MISSING",
      element: "widgets.Gizmo",
      file: "widgets/Gizmo/Gizmo.json",
      pointers: ["/bucketName"],
    });
    expect(error.message).toContain("GIZMO_BUCKET");
  });

  it("names a missing JitAI {{VAR}} as it is written", async () => {
    const error = await expectLoadError("env-missing-braces", {
      code: "ENV_MISSING",
      element: "widgets.Gizmo",
      file: "widgets/Gizmo/Gizmo.json",
      pointers: ["/bucketName"],
    });
    expect(error.message).toContain("uses {{GIZMO_BUCKET}} at /bucketName");
  });

  it("names the Type's defaults file when that is where the ${VAR} is written", async () => {
    const error = await expectLoadError("env-missing-in-type-defaults", {
      code: "ENV_MISSING",
      element: "widgets.Gizmo",
      file: "widgets/TokenType/TokenType.json",
      pointers: ["/token"],
    });
    expect(error.message).toContain("GIZMO_TOKEN");
  });
});

describe("broken apps: app folders and app.json", () => {
  it("reports an app folder that does not exist", async () => {
    // No folder on purpose: the file to fix is the path given to loadApp.
    await expectLoadError("no-such-app", { code: "APP_NOT_FOUND", file: "." });
  });

  it("reports a parent folder in extends that does not exist", async () => {
    const error = await expectLoadError("app-extends-missing-folder", { code: "APP_NOT_FOUND", file: "app.json" });
    expect(error.message).toContain("no-such-app");
  });

  it("reports a parent package in extends that is not installed", async () => {
    const error = await expectLoadError("app-extends-missing-package", { code: "APP_NOT_FOUND", file: "app.json" });
    expect(error.message).toContain('"jit-widgets-base"');
  });

  it("requires extends to be an array", async () => {
    await expectLoadError("app-extends-not-array", { code: "APP_INVALID", file: "app.json", pointers: ["/extends"] });
  });

  it("reports apps that extend each other in a loop", async () => {
    const error = await expectLoadError("app-extends-loop/first", { code: "APP_INVALID", file: "../second/app.json" });
    expect(error.message).toContain("app-extends-loop/first → test/fixtures/broken/app-extends-loop/second → ");
  });

  it("reports an app that extends itself", async () => {
    await expectLoadError("app-extends-itself", { code: "APP_INVALID", file: "app.json" });
  });

  it("rejects once with every broken element, each with its own code, element and file", async () => {
    const error = await loadError("several-broken-elements");
    expectErrors(error, "several-broken-elements", [
      { code: "DECLARATION_INVALID", element: "widgets.Untitled", file: "widgets/Untitled/e.json", pointers: ["/title"] },
      { code: "TYPE_UNKNOWN", element: "widgets.Misnamed", file: "widgets/Misnamed/e.json", pointers: ["/type"] },
      { code: "CONFIG_INVALID", element: "widgets.Gizmo", file: "widgets/Gizmo/Gizmo.json", pointers: ["/count"] },
      { code: "ENV_MISSING", element: "widgets.Sprocket", file: "widgets/Sprocket/Sprocket.json", pointers: ["/bucketName"] },
    ]);
    expect(error.message).toMatch(/^The app has 4 problems/);
    expect(error.message).not.toContain("widgets.Fine");
  });
});

describe("broken requests: getElement", () => {
  it("throws ELEMENT_NOT_FOUND naming the closest existing element", async () => {
    const app = await loadApp(brokenApp("get-element-unknown"), { env: {} });
    const error = thrownError(() => app.getElement("widgets.Sprokcet"));
    expectError(error, "get-element-unknown", { code: "ELEMENT_NOT_FOUND", element: "widgets.Sprokcet" });
    expect(error.message).toContain("Did you mean widgets.Sprocket?");
  });

  it("throws ELEMENT_KIND when asked for a Type, and names its instances", async () => {
    const app = await loadApp(brokenApp("get-element-type"), { env: {} });
    const error = thrownError(() => app.getElement("widgets.SprocketType"));
    expectError(
      error,
      "get-element-type",
      { code: "ELEMENT_KIND", element: "widgets.SprocketType", file: "widgets/SprocketType/e.json" },
      { namesFile: false },
    );
    expect(error.message).toContain("ask for one of its instances (widgets.Sprocket) instead");
  });

  it("throws ELEMENT_KIND when asked for a Type with no instance, and says how to declare one", async () => {
    const app = await loadApp(brokenApp("get-element-type"), { env: {} });
    const error = thrownError(() => app.getElement("widgets.IdleType"));
    expectError(error, "get-element-type", { code: "ELEMENT_KIND", element: "widgets.IdleType", file: "widgets/IdleType/e.json" }, { namesFile: false });
    expect(error.message).toContain('Declare an instance whose type is widgets.IdleType: a folder widgets/<Name>/ with an e.json {"title": "…", "type": "widgets.IdleType"}');
  });

  it("throws ELEMENT_KIND when asked for a Meta, and names instances of its family rather than advising a Meta-typed instance", async () => {
    const app = await loadApp(brokenApp("get-element-type"), { env: {} });
    const error = thrownError(() => app.getElement("widgets.Meta"));
    expectError(error, "get-element-type", { code: "ELEMENT_KIND", element: "widgets.Meta", file: "../_base/widgets/Meta/e.json" }, { namesFile: false });
    expect(error.message).toContain("ask for one of its instances (widgets.Sprocket) instead");
  });
});

describe("broken apps: secrets are never shown", () => {
  const fromEnvironment = "bucket-from-env-s3cr3t";

  it("hides a schema-secret field and a ${VAR} value while another field fails", async () => {
    const error = await expectLoadError(
      "secret-never-shown",
      { code: "CONFIG_INVALID", element: "widgets.Gizmo", file: "widgets/Gizmo/Gizmo.json", pointers: ["/count"] },
      { GIZMO_BUCKET: fromEnvironment },
    );
    expectNoSecrets(error, [fromEnvironment, "tok_literal-secret-in-config", "literal-secret-in-config"]);
  });

  it("hides the secret values of the very fields that fail", async () => {
    const region = "region-from-env-s3cr3t";
    const error = await expectLoadError(
      "secret-failing-validation",
      { code: "CONFIG_INVALID", element: "widgets.Gizmo", file: "widgets/Gizmo/Gizmo.json", pointers: ["/region", "/token"] },
      { GIZMO_REGION: region },
    );
    expectNoSecrets(error, [region, "literal-secret-without-prefix"]);
  });

  it("does not quote a malformed config file that holds a secret", async () => {
    const error = await loadError("secret-in-malformed-config");
    expectError(errorOf(error, "JSON_INVALID"), "secret-in-malformed-config", {
      code: "JSON_INVALID",
      element: "widgets.Gizmo",
      file: "widgets/Gizmo/Gizmo.json",
      line: 3,
      column: 43,
    });
    expectNoSecrets(error, ["tok_literal-secret-in-config", "literal-secret-in-config"]);
  });
});

describe("broken apps: where the code is (backendBundleEntry)", () => {
  it("refuses an entry that leaves the element folder with ..", async () => {
    await expectLoadError("bundle-entry-leaves-folder", {
      code: "BUNDLE_INVALID",
      element: "widgets.GizmoType",
      file: "widgets/GizmoType/e.json",
      pointers: ["/backendBundleEntry"],
    });
  });

  it("refuses an absolute entry", async () => {
    await expectLoadError("bundle-entry-absolute", {
      code: "BUNDLE_INVALID",
      element: "widgets.GizmoType",
      file: "widgets/GizmoType/e.json",
      pointers: ["/backendBundleEntry"],
    });
  });

  it("reports an entry that names no file", async () => {
    await expectLoadError("bundle-entry-missing-file", {
      code: "BUNDLE_INVALID",
      element: "widgets.GizmoType",
      file: "widgets/GizmoType/e.json",
      pointers: ["/backendBundleEntry"],
    });
  });

  it("refuses an entry that is a symbolic link to a file outside the element folder", async () => {
    expect(lstatSync(`${brokenApp("bundle-entry-symlink-outside")}/widgets/GizmoType/gizmo.js`).isSymbolicLink()).toBe(true);
    await expectLoadError("bundle-entry-symlink-outside", {
      code: "BUNDLE_INVALID",
      element: "widgets.GizmoType",
      file: "widgets/GizmoType/e.json",
      pointers: ["/backendBundleEntry"],
    });
  });
});

describe("after the runtime fixes", () => {
  it("reports only the syntax error of a malformed config, not the fields it then lacks", async () => {
    await expectLoadError("json-malformed-config", { code: "JSON_INVALID", element: "widgets.Gizmo", file: "widgets/Gizmo/Gizmo.json", line: 2, column: 17 });
  });
  it("reports a config that is not an object once", async () => {
    await expectLoadError("config-not-an-object", { code: "CONFIG_INVALID", element: "widgets.Gizmo", file: "widgets/Gizmo/Gizmo.json", pointers: [""] });
  });
  it("points at the Type's defaults file when that is where the bad value is written", async () => {
    await expectLoadError("config-invalid-in-type-defaults", { code: "CONFIG_INVALID", element: "widgets.Gizmo", file: "widgets/RoundType/RoundType.json", pointers: ["/count"] });
  });
  it("requires an e.json to hold an object, and says only that", async () => {
    await expectLoadError("declaration-not-an-object", { code: "DECLARATION_INVALID", element: "widgets.Gizmo", file: "widgets/Gizmo/e.json", pointers: [""] });
  });
  it("reports a cycle of two once, with the whole loop", async () => {
    const error = await expectLoadError("type-cycle-two", { code: "TYPE_CYCLE", element: "widgets.PingType", file: "widgets/PingType/e.json", pointers: ["/type"] });
    expect(error.message).toContain("(widgets.PingType → widgets.PongType → widgets.PingType)");
  });
  it("reports a cycle of three once, with the whole loop", async () => {
    const error = await expectLoadError("type-cycle-three", { code: "TYPE_CYCLE", element: "widgets.PaperType", file: "widgets/PaperType/e.json", pointers: ["/type"] });
    expect(error.message).toContain("(widgets.PaperType → widgets.ScissorsType → widgets.RockType → widgets.PaperType)");
  });
  it("reports a cycle as a cycle whatever kinds its members declare, and nothing else about them", async () => {
    const error = await expectLoadError("type-cycle-mixed-kinds", { code: "TYPE_CYCLE", element: "widgets.AlphaType", file: "widgets/AlphaType/e.json", pointers: ["/type"] });
    expect(error.message).toContain("widgets.AlphaType → widgets.Beta → widgets.AlphaType");
  });
});
