// `jit-elements new`: writes a new element folder that loads as it is, with $schema references for editors.
import { existsSync } from "node:fs";
import { mkdir, writeFile } from "node:fs/promises";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import type { App } from "./app.ts";
import { ElementError } from "./errors.ts";
import { didYouMean } from "./closest-names.ts";
import { moduleSpecifier, posixRelative } from "./specifier.ts";

const declarationSchemaFile = fileURLToPath(new URL("./schemas/e.schema.json", import.meta.url));

export interface ScaffoldRequest {
  /** `category/Name` or a deeper folder path, e.g. `storages/MyOss`, `storages/services/StorageSvc`. */
  path: string;
  /** fullName of the Type (for an instance) or of the parent Type or Meta (for a new Type). */
  type: string;
  /** Make a Type with code of its own instead of an instance. */
  kind: "Instance" | "Type";
  title?: string;
}

/** Creates the element folder in `app.dir`; returns the files written. */
export async function scaffoldElement(app: App, request: ScaffoldRequest): Promise<string[]> {
  const segments = request.path.replace(/\/+$/, "").split("/");
  if (segments.length < 2 || !segments.every((segment) => /^[A-Za-z_][A-Za-z0-9_]*$/.test(segment))) {
    throw new ElementError("ELEMENT_PATH_INVALID", `"${request.path}" is not an element path: use <category>/<Name> (or deeper, <category>/<folder>/<Name>), like storages/MyOss.`);
  }
  const name = segments[segments.length - 1]!;
  const fullName = segments.join(".");
  const elements = app.elements();
  const parent = elements.find((e) => e.fullName === request.type);
  if (parent === undefined) {
    throw new ElementError("TYPE_UNKNOWN", `The app has no element "${request.type}" to build on.${didYouMean(request.type, elements.map((e) => e.fullName))}`, { element: request.type });
  }
  const dir = join(app.dir, ...segments);
  if (existsSync(join(dir, "e.json"))) {
    throw new ElementError("DECLARATION_INVALID", `${fullName} already exists at ${join(dir, "e.json")}; pick another name.`, { element: fullName, file: join(dir, "e.json") });
  }
  await mkdir(dir, { recursive: true });
  const written: string[] = [];
  const write = async (file: string, text: string) => {
    await writeFile(join(dir, file), text);
    written.push(join(dir, file));
  };
  const schemaRef = posixRelative(dir, declarationSchemaFile);
  const declaration: Record<string, unknown> = { $schema: schemaRef, title: request.title ?? name };
  declaration.type = request.type;
  // JitAI's form: a Type on a Meta is a Type by its type. One on another Type is told from an instance by the
  // instances that name it; until one does, "kind" says so.
  if (request.kind === "Type" && parent.kind !== "Meta") declaration.kind = "Type";
  declaration.backendBundleEntry = ".";
  declaration.variables = [];
  await write("e.json", `${JSON.stringify(declaration, null, 2)}\n`);

  if (request.kind === "Instance") {
    const schemaOwner = parent.chain.map((n) => elements.find((e) => e.fullName === n)!).find((e) => existsSync(join(dirname(e.file), "config.schema.json")));
    const config: Record<string, unknown> = {};
    if (schemaOwner !== undefined) config.$schema = posixRelative(dir, join(dirname(schemaOwner.file), "config.schema.json"));
    await write(`${name}.json`, `${JSON.stringify(config, null, 2)}\n`);
  } else {
    const base = parent.bundle;
    const importFrom = base === undefined ? undefined : moduleSpecifier(base, dir);
    const className = name.replace(/Type$/, "") || name;
    const code =
      importFrom === undefined
        ? `import { Element } from "jit-elements";\n\n/** ${request.title ?? name}. */\nexport default class ${className} extends Element {}\n`
        : `import Base from ${JSON.stringify(importFrom)};\n\n/** ${request.title ?? name}: builds on ${request.type}. */\nexport default class ${className} extends Base {}\n`;
    await write("index.ts", code);
  }
  return written;
}
