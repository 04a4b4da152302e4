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
  /** fullName of the Type (for an instance) or of the parent Type or Meta (for a new Type); unused for a Meta. */
  type: string;
  /** An instance of `type`, a Type with code of its own built on `type`, or a new category's Meta and base class. */
  kind: "Instance" | "Type" | "Meta";
  title?: string;
}

/** Creates the element folder in `app.dir`; returns the files written. */
export async function scaffoldElement(app: App, request: ScaffoldRequest): Promise<string[]> {
  const segments = request.path.replace(/\/+$/, "").split("/");
  if (segments.length < 2 || !segments.every((segment) => /^[A-Za-z_][A-Za-z0-9_]*$/.test(segment))) {
    throw new ElementError("ELEMENT_PATH_INVALID", `"${request.path}" is not an element path: use <category>/<Name> (or deeper, <category>/<folder>/<Name>), like storages/MyOss.`);
  }
  const name = segments[segments.length - 1]!;
  if (request.kind === "Meta") return scaffoldMeta(app, segments, request.title);
  const elements = app.elements();
  const parent = elements.find((e) => e.fullName === request.type);
  if (parent === undefined) {
    throw new ElementError("TYPE_UNKNOWN", `The app has no element "${request.type}" to build on.${didYouMean(request.type, elements.map((e) => e.fullName))}`, { element: request.type });
  }
  const { dir, written, write } = await newFolder(app, segments);
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

/** A category's Meta: a declaration with kind "Meta" and the category's base class, which its Types extend. */
async function scaffoldMeta(app: App, segments: string[], title: string | undefined): Promise<string[]> {
  const category = segments[0]!;
  const existing = app.elements().find((e) => e.kind === "Meta" && e.fullName.split(".")[0] === category);
  if (existing !== undefined) {
    throw new ElementError("DECLARATION_INVALID", `The ${category} category already has its Meta, ${existing.fullName} (${existing.file}); build a Type on it with --type ${existing.fullName}.`, {
      element: existing.fullName,
      file: existing.file,
    });
  }
  const { dir, written, write } = await newFolder(app, segments);
  // The base class is named after the category (notifiers → Notifiers) unless the title is a class name.
  const className = title !== undefined && /^[A-Z][A-Za-z0-9_]*$/.test(title) ? title : category.charAt(0).toUpperCase() + category.slice(1);
  const declaration = { $schema: posixRelative(dir, declarationSchemaFile), title: title ?? className, kind: "Meta", backendBundleEntry: "." };
  await write("e.json", `${JSON.stringify(declaration, null, 2)}\n`);
  await write(
    "index.ts",
    `import { Element } from "jit-elements";\n\n/** The ${category} category's base class: every ${category} Type extends it. */\nexport default class ${className}<Config extends object = Record<string, unknown>> extends Element<Config> {}\n`,
  );
  return written;
}

/** Creates the element's folder, refusing one that already holds an element. */
async function newFolder(app: App, segments: string[]) {
  const fullName = segments.join(".");
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
  return { dir, written, write };
}
