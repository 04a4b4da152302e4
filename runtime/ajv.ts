// The one ajv instance: every schema is compiled once, here, and cached by its file.
import { Ajv, type ValidateFunction } from "ajv";

export const ajv = new Ajv({
  allErrors: true,
  strict: true,
  // `required` inside `not`/`if` legitimately names properties declared elsewhere.
  strictRequired: false,
  // Types describe defaults in their <Type>.json, not in schema "default"s, so that merging has one source.
  useDefaults: false,
  allowUnionTypes: true,
});

// `"secret": true` marks a field whose value must never be shown (messages, inspect, JSON).
ajv.addKeyword({ keyword: "secret", schemaType: "boolean" });
// Editor-facing annotations that ajv need not check.
ajv.addKeyword({ keyword: "markdownDescription", schemaType: "string" });

const compiled = new Map<string, ValidateFunction>();

/** Compiles `schema` once per process for each distinct text; `$id` and `$schema` are for editors and dropped. */
export function compileOnce(text: string, schema: Record<string, unknown>): ValidateFunction {
  let validate = compiled.get(text);
  if (validate === undefined) {
    // Two apps may shadow a Type with different schemas under one $id; ajv would refuse the second.
    const { $id: _id, $schema: _schema, ...rest } = schema;
    validate = ajv.compile(rest);
    compiled.set(text, validate);
  }
  return validate;
}
