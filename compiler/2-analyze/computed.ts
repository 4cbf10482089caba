/**
 * Computed fields of an entity (`computed:`):
 *
 *   entities:
 *     User:
 *       fields: { firstName: string!, lastName: string, … }
 *       computed:
 *         fullName: "{{firstName}} {{lastName}}"     # or "{firstName} {lastName}"
 *
 * A template over the entity's own columns becomes a PostgreSQL generated column (GENERATED
 * ALWAYS AS … STORED): computed on every write, stored, read like any column by every route,
 * never accepted in a body. A missing value reads as "". Other expressions (`count(posts)`, paths
 * through relations) are not compiled: a warning names what to use instead, and the field is
 * left out, as the original runtime did.
 */
import type { ConfigPath, ParsedConfig } from "../1-parse/parse.js";
import { closest, type DiagnosticBag } from "../diagnostics.js";
import type { ComputedPart, EntityIR, FieldIR } from "../ir.js";
import { IDENT } from "./entities.js";
import { snakeCase } from "./types.js";

/** Types whose text form PostgreSQL computes the same way everywhere (an immutable cast, as generated columns require). */
const CONCATENABLE = new Set(["string", "text", "email", "url", "phone", "slug", "uuid", "enum", "smallint", "integer", "bigint", "decimal", "boolean"]);

const PLACEHOLDER = /\{\{\s*([^{}]*?)\s*\}\}|\{\s*([^{}]*?)\s*\}/g;

export function analyzeComputed(entity: EntityIR, raw: Readonly<Record<string, unknown>>, path: ConfigPath, parsed: ParsedConfig, diagnostics: DiagnosticBag): void {
  // A generated column cannot read another one: templates name the declared fields only.
  const own = [...entity.fields];
  for (const [name, value] of Object.entries(raw)) {
    const loc = parsed.locate([...path, name]);
    const skip = (why: string, hint: string) => diagnostics.warn("computed-not-compiled", `computed ${entity.name}.${name} is left out: ${why}`, loc, hint);
    if (!IDENT.test(name)) {
      diagnostics.error("bad-field-name", `computed field name "${name}" is not a valid identifier`, parsed.locate([...path, name], "key"), "use letters, digits and _ (camelCase is the convention)");
      continue;
    }
    if (entity.fields.some((f) => f.name === name)) {
      diagnostics.error("duplicate-name", `computed ${entity.name}.${name} has the name of a field`, loc, "rename one of them");
      continue;
    }
    if (typeof value !== "string") {
      skip("a computed field is a template string", 'write e.g. `fullName: "{{firstName}} {{lastName}}"`');
      continue;
    }
    const aggregate = /^\s*(count|sum|avg|min|max)\s*\(/i.exec(value);
    if (aggregate) {
      skip(`${aggregate[1]!.toLowerCase()}(…) over a relation is not compiled`, "serve it from an endpoint with an aggregate handler (`handler: {type: aggregate}`), or compute it in a handler");
      continue;
    }
    const parts: ComputedPart[] = [];
    let last = 0;
    let problem: [string, string] | undefined;
    for (const m of value.matchAll(PLACEHOLDER)) {
      if (m.index > last) parts.push({ text: value.slice(last, m.index) });
      last = m.index + m[0].length;
      const ref = (m[1] ?? m[2] ?? "").trim();
      const field = own.find((f) => f.name === ref);
      if (!field) {
        const s = closest(ref, own.map((f) => f.name));
        problem ??= ref.includes(".")
          ? [`{{${ref}}} goes through a relation`, "read related values through a DTO schema (`source:` with `computed: {x: \"{{author.name}}\"}`)"]
          : [`${entity.name} has no field "${ref}"`, s ? `did you mean "${s}"?` : `fields: ${own.map((f) => f.name).join(", ")}`];
        continue;
      }
      if (field.array || !CONCATENABLE.has(field.type) || field.sensitive || field.writeOnly) {
        problem ??= [`${field.name} (${field.array ? `${field.type}[]` : field.type}${field.sensitive || field.writeOnly ? ", never sent to clients" : ""}) cannot be part of a stored text`, "use text, number, boolean or uuid fields; format dates in a handler"];
        continue;
      }
      parts.push({ field: field.name, column: field.column, nullable: !field.notNull });
    }
    if (last < value.length) parts.push({ text: value.slice(last) });
    if (problem) {
      skip(problem[0], problem[1]);
      continue;
    }
    if (!parts.some((p) => "field" in p)) {
      skip("the template names no field", 'put field names in braces: `"{{firstName}} {{lastName}}"`');
      continue;
    }
    const computed: FieldIR = {
      name, column: snakeCase(name), type: "text", array: false, notNull: true, primary: false, generated: true,
      unique: false, indexed: false, readonly: true, writeOnly: false, sensitive: false, autoUpdate: false,
      computedFrom: parts, description: `Computed: ${value}`, loc,
    };
    entity.fields.push(computed);
  }
}
