/**
 * Emits src/schemas.ts: the named schemas of `schemas:` (and inline endpoint bodies) as a zod
 * schema, for validating request bodies, and a TypeScript type, for typing responses.
 */
import type { ProjectIR, SchemaFieldIR, SchemaIR } from "../ir.js";
import { tsType, validationHelpers, zodForBody } from "./column-types.js";
import type { OutputFile } from "./index.js";
import { repositoryName } from "./repositories.js";
import { file, header, Imports, key } from "./writer.js";
import { entityNamed } from "../ir-lookup.js";

export const schemaConst = (name: string) => `${name[0]!.toLowerCase()}${name.slice(1)}Schema`;

/** Every schema the project needs: named ones and the synthetic ones of inline bodies. */
export function allSchemas(ir: ProjectIR): SchemaIR[] {
  const inline = ir.endpoints.flatMap((e) => (e.body && "inline" in e.body ? [e.body.inline] : []));
  return [...ir.schemas, ...inline];
}

function zodField(f: SchemaFieldIR, imports: Imports, ir: ProjectIR, helpers: Set<string>): string {
  if (f.kind === "scalar") {
    let expr = zodForBody(f.field);
    for (const h of validationHelpers(expr)) helpers.add(h);
    if (f.nullable) expr += ".nullable()";
    if (f.field.default?.kind === "literal") expr += `.default(${JSON.stringify(f.field.default.value)})`;
    else if (!f.field.notNull) expr += ".optional()";
    return `  ${key(f.field.name)}: ${expr},`;
  }
  let inner: string;
  if (f.ref.kind === "schema") inner = `z.lazy(() => ${schemaConst(f.ref.name)})`;
  else {
    const entity = entityNamed(ir, f.ref.name);
    const c = `${entity.name[0]!.toLowerCase()}${entity.name.slice(1)}CreateSchema`;
    imports.add(`./validation/${entity.fileName}.js`, c);
    inner = c;
  }
  if (f.ref.array) inner = `z.array(${inner})`;
  return `  ${key(f.name)}: ${inner}${f.required ? "" : ".optional()"},`;
}

function tsField(f: SchemaFieldIR, imports: Imports, ir: ProjectIR): string {
  if (f.kind === "scalar") return `  ${key(f.field.name)}${f.field.notNull || f.field.default ? "" : "?"}: ${tsType({ ...f.field, notNull: !f.nullable })};`;
  let type = f.ref.name;
  if (f.ref.kind === "entity") {
    const entity = entityNamed(ir, f.ref.name);
    imports.type(`./repositories/${entity.fileName}.js`, entity.name);
    void repositoryName;
  }
  if (f.ref.array) type += "[]";
  if (f.nullable) type += " | null";
  return `  ${key(f.name)}${f.required ? "" : "?"}: ${type};`;
}

export function emitSchemas(ir: ProjectIR): OutputFile | undefined {
  const schemas = allSchemas(ir);
  if (schemas.length === 0) return undefined;
  const imports = new Imports().add("zod", "z");
  const helpers = new Set<string>();
  const blocks = schemas.map((s) => {
    const lines = s.fields.map((f) => zodField(f, imports, ir, helpers));
    const types = s.fields.map((f) => tsField(f, imports, ir));
    const where = s.loc.line ? ` (${s.loc.file}:${s.loc.line})` : "";
    if (s.fields.length === 0) {
      return `/** ${s.name}${where}: no fields; a request body may only be \`{}\`. */
export type ${s.name} = Record<string, never>;

/** Validates a ${s.name} request body: an empty object. */
export const ${schemaConst(s.name)} = z.strictObject({});`;
    }
    return `/** ${s.name}${s.source ? `, a view of ${s.source}` : ""}${where}. */
export interface ${s.name} {
${types.join("\n")}
}

/** Validates a ${s.name} request body; unknown fields are rejected. */
export const ${schemaConst(s.name)} = z.strictObject({
${lines.join("\n")}
});`;
  });
  if (helpers.size) imports.add("./lib/validation.js", ...[...helpers].sort());
  return { path: "src/schemas.ts", content: header("named schemas", ir.configFile) + file(imports.toString(), ...blocks) };
}
