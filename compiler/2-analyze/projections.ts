/**
 * DTOs: `schemas:` entries with `source: Entity` are projections of that entity. This pass
 * decides, for each field of a DTO, where its value comes from:
 *
 *   - a field named like a field of the source entity reads that column;
 *   - `computed: {authorName: "{{author.name}}"}` reads a column through belongsTo relations
 *     (joined in the same query);
 *   - a field typed as an entity or as another DTO (`author: Author!`, `posts: PostSummary[]`)
 *     loads the related rows (belongsTo, hasOne, hasMany; a hasMany is also found from the
 *     belongsTo on the other side).
 *
 * `include: [..]` adds fields of the source with their own types, `exclude: [..]` removes
 * fields; a DTO that lists no fields shows every visible field of its source. The result is
 * `SchemaIR.projection`, emitted by 4-emit/projections.ts.
 */
import { closest, type DiagnosticBag, type SourceLocation } from "../diagnostics.js";
import type { EntityIR, FieldIR, ProjectionFieldIR, SchemaFieldIR, SchemaIR } from "../ir.js";
import type { ParsedConfig } from "../1-parse/parse.js";
import type { RawConfig } from "./config-schema.js";
import { tsType } from "../4-emit/column-types.js";

const TEMPLATE = /^\{\{\s*([A-Za-z_]\w*(?:\.[A-Za-z_]\w*)*)\s*\}\}$/;

/** Fields a client may see: not writeOnly, not sensitive, not the soft-delete marker. */
export function visibleFields(entity: EntityIR): FieldIR[] {
  return entity.fields.filter((f) => !f.writeOnly && !f.sensitive && f.name !== entity.softDelete?.field);
}

/** The TypeScript type of a value, without null: DTO and column must agree on it. */
const baseTs = (f: FieldIR) => tsType({ ...f, notNull: true });

const fieldList = (entity: EntityIR) => entity.fields.map((f) => f.name);

/** A field's type as a config would write it: `string`, `enum(open, done)`, `uuid[]`. */
export const typeText = (f: FieldIR) => `${f.type === "enum" ? `enum(${(f.enumValues ?? []).join(", ")})` : f.type}${f.array ? "[]" : ""}`;

/** The fields of a schema entry without `fields:` that `include:` or the default adds: copies of the source's fields. */
function copyField(field: FieldIR, loc: SourceLocation): SchemaFieldIR {
  return { kind: "scalar", field: { ...field, primary: false, generated: false, unique: false, indexed: false, references: undefined, loc }, nullable: !field.notNull };
}

interface Scope {
  parsed: ParsedConfig;
  diagnostics: DiagnosticBag;
  entities: ReadonlyMap<string, EntityIR>;
  schemas: ReadonlyMap<string, SchemaIR>;
}

/** The related rows a DTO field names: the relation by name, else the one relation to that entity, else the belongsTo on the other side. */
function findRelation(
  source: EntityIR,
  fieldName: string,
  target: EntityIR,
  wantsMany: boolean,
  loc: SourceLocation,
  scope: Scope,
): Omit<Extract<ProjectionFieldIR, { kind: "relation" }>, "name" | "shape"> | undefined {
  const { diagnostics } = scope;
  const own = source.relations.filter((r) => r.target === target.name);
  const relation = own.find((r) => r.name === fieldName) ?? (own.length === 1 ? own[0] : undefined);
  if (relation) {
    if (relation.kind === "manyToMany") {
      diagnostics.error("not-yet-compiled", `${source.name}.${relation.name} is many-to-many; DTOs cannot load many-to-many relations yet`, loc, "load it in a handler, or project the junction entity");
      return undefined;
    }
    if (relation.kind === "belongsTo") {
      const fk = source.fields.find((f) => f.name === relation.foreignKey)!;
      return { kind: "relation", cardinality: "one", target: target.name, localField: fk.name, remoteField: fk.references?.field ?? target.primaryKey, nullable: !fk.notNull };
    }
    const fk = target.fields.find((f) => f.name === relation.foreignKey)!;
    return {
      kind: "relation", cardinality: relation.kind === "hasMany" ? "many" : "one", target: target.name,
      localField: fk.references?.field ?? source.primaryKey, remoteField: fk.name, nullable: relation.kind === "hasOne",
    };
  }
  if (own.length > 1) {
    diagnostics.error("ambiguous-relation", `${source.name} has ${own.length} relations to ${target.name} (${own.map((r) => r.name).join(", ")}); name the DTO field after one of them`, loc);
    return undefined;
  }
  // The other side: rows of `target` whose belongsTo points at `source`.
  const back = target.relations.filter((r) => r.kind === "belongsTo" && r.target === source.name);
  if (back.length === 1) {
    const fk = target.fields.find((f) => f.name === back[0]!.foreignKey)!;
    return {
      kind: "relation", cardinality: wantsMany ? "many" : "one", target: target.name,
      localField: fk.references?.field ?? source.primaryKey, remoteField: fk.name, nullable: !wantsMany,
    };
  }
  if (back.length > 1) {
    diagnostics.error("ambiguous-relation", `${target.name} points at ${source.name} through ${back.length} relations (${back.map((r) => r.name).join(", ")}); yamac cannot tell which one ${fieldName} follows`, loc, "declare the relation on " + source.name + " with `foreignKey:`");
    return undefined;
  }
  diagnostics.error("unknown-relation", `${source.name} has no relation to ${target.name}, so ${fieldName} cannot be loaded`, loc, `add a relation (e.g. \`${fieldName}: ${target.name}${wantsMany ? "[]" : "!"}\` on ${source.name}, or a belongsTo on ${target.name})`);
  return undefined;
}

function analyzeOne(schema: SchemaIR, raw: NonNullable<NonNullable<RawConfig["schemas"]>[string]>, source: EntityIR, scope: Scope): void {
  const { parsed, diagnostics } = scope;
  const path = ["schemas", schema.name];
  const visible = visibleFields(source);
  const computed = new Map<string, { text: string; loc: SourceLocation }>();
  for (const [name, value] of Object.entries(raw.computed ?? {})) {
    const loc = parsed.locate([...path, "computed", name]);
    if (typeof value !== "string") {
      diagnostics.error("bad-computed", `computed ${schema.name}.${name} should be a path in braces, e.g. "{{author.name}}"`, loc);
      continue;
    }
    computed.set(name, { text: value, loc });
  }

  // Fields: declared, plus `include:`, plus computed ones not declared; all visible fields when nothing is said.
  const declared = new Set(schema.fields.map((f) => (f.kind === "scalar" ? f.field.name : f.name)));
  (raw.include ?? []).forEach((name, i) => {
    if (declared.has(name)) return;
    const field = source.fields.find((f) => f.name === name);
    const loc = parsed.locate([...path, "include", i]);
    if (!field) {
      const s = closest(name, fieldList(source));
      diagnostics.error("unknown-field", `include names ${name}, which is not a field of ${source.name}`, loc, s ? `did you mean "${s}"?` : undefined);
      return;
    }
    schema.fields.push(copyField(field, loc));
    declared.add(name);
  });
  if (raw.fields === undefined && raw.include === undefined) {
    for (const field of visible) if (!declared.has(field.name) && !computed.has(field.name)) schema.fields.push(copyField(field, schema.loc));
  }
  (raw.exclude ?? []).forEach((name, i) => {
    const at = schema.fields.findIndex((f) => (f.kind === "scalar" ? f.field.name : f.name) === name);
    if (at < 0) {
      const s = closest(name, schema.fields.map((f) => (f.kind === "scalar" ? f.field.name : f.name)));
      diagnostics.error("unknown-field", `exclude names ${name}, which is not a field of ${schema.name}`, parsed.locate([...path, "exclude", i]), s ? `did you mean "${s}"?` : undefined);
      return;
    }
    schema.fields.splice(at, 1);
  });

  const fields: ProjectionFieldIR[] = [];
  // Computed fields the DTO does not declare take the type of the column they read.
  const pending = [...schema.fields];
  for (const [name, { loc }] of computed) if (!declared.has(name)) pending.push({ kind: "scalar", field: { name, column: name, type: "string", array: false, notNull: false, primary: false, generated: false, unique: false, indexed: false, readonly: true, writeOnly: false, sensitive: false, autoUpdate: false, loc }, nullable: true });
  for (const f of pending) {
    if (f.kind === "ref") {
      const shape = f.ref;
      const targetName = shape.kind === "entity" ? shape.name : scope.schemas.get(shape.name)?.source;
      const target = targetName === undefined ? undefined : scope.entities.get(targetName);
      if (!target) {
        diagnostics.error("bad-projection", `${schema.name}.${f.name} is a ${shape.name}, which has no \`source:\`; a DTO can only nest entities and DTOs with a source`, f.loc, `add \`source: <Entity>\` to ${shape.name}`);
        continue;
      }
      const relation = findRelation(source, f.name, target, shape.array, f.loc, scope);
      if (!relation) continue;
      if ((relation.cardinality === "many") !== shape.array) {
        diagnostics.error("bad-projection", relation.cardinality === "many" ? `${schema.name}.${f.name} holds many ${target.name} rows: write ${shape.name}[]` : `${schema.name}.${f.name} holds one ${target.name}: write ${shape.name}, not ${shape.name}[]`, f.loc);
        continue;
      }
      if (relation.nullable && f.required) {
        diagnostics.warn("dto-nullable", `${schema.name}.${f.name} is declared required, but ${source.name} rows may have no ${target.name}; it is typed ${shape.name} | null`, f.loc, `write \`${f.name}: ${shape.name}?\``);
      }
      f.nullable = relation.nullable;
      // Related rows are always sent (an empty list, or null), so the field is never left out.
      f.required = true;
      fields.push({ ...relation, name: f.name, shape });
      continue;
    }
    const name = f.field.name;
    const expr = computed.get(name);
    let column: FieldIR | undefined;
    const via: string[] = [];
    let optionalJoin = false;
    if (expr) {
      const m = TEMPLATE.exec(expr.text.trim());
      if (!m) {
        diagnostics.error("bad-computed", `computed ${schema.name}.${name} must be one path in braces, e.g. "{{author.name}}"`, expr.loc, "other expressions are not compiled; compute the value in a handler");
        continue;
      }
      const segments = m[1]!.split(".");
      let current = source;
      let ok = true;
      for (const segment of segments.slice(0, -1)) {
        const relation = current.relations.find((r) => r.name === segment);
        if (!relation || relation.kind !== "belongsTo") {
          const names = current.relations.filter((r) => r.kind === "belongsTo").map((r) => r.name);
          const s = closest(segment, names);
          diagnostics.error("bad-computed", relation ? `${current.name}.${segment} is ${relation.kind}; a computed path may only follow belongsTo relations` : `${current.name} has no relation "${segment}"`, expr.loc, s ? `did you mean "${s}"?` : names.length ? `relations here: ${names.join(", ")}` : undefined);
          ok = false;
          break;
        }
        const fk = current.fields.find((x) => x.name === relation.foreignKey);
        if (fk && !fk.notNull) optionalJoin = true;
        via.push(segment);
        current = scope.entities.get(relation.target)!;
      }
      if (!ok) continue;
      const last = segments.at(-1)!;
      column = current.fields.find((x) => x.name === last);
      if (!column) {
        const s = closest(last, fieldList(current));
        diagnostics.error("bad-computed", `computed ${schema.name}.${name}: ${current.name} has no field "${last}"`, expr.loc, s ? `did you mean "${s}"?` : undefined);
        continue;
      }
      if (column.writeOnly || column.sensitive) {
        diagnostics.error("bad-computed", `computed ${schema.name}.${name} reads ${current.name}.${last}, which is never returned to clients`, expr.loc);
        continue;
      }
      if (!declared.has(name)) {
        // Undeclared computed field: it takes the column's type.
        Object.assign(f.field, { type: column.type, enumValues: column.enumValues, array: column.array, notNull: column.notNull && !optionalJoin });
        f.nullable = !f.field.notNull;
      }
    } else {
      column = source.fields.find((x) => x.name === name);
      if (!column) {
        const s = closest(name, fieldList(source));
        diagnostics.error("unknown-field", `${schema.name}.${name} is not a field of ${source.name}`, f.field.loc, s ? `did you mean "${s}"?` : `add \`computed: {${name}: "{{relation.field}}"}\` to read it through a relation`);
        continue;
      }
      if (column.writeOnly || column.sensitive || column.name === source.softDelete?.field) {
        diagnostics.error("bad-projection", `${schema.name}.${name}: ${source.name}.${name} is never returned to clients`, f.field.loc, "remove it from the DTO");
        continue;
      }
    }
    // The column's values must fit the DTO's type (an enum fits a string).
    const fits = baseTs(f.field) === baseTs(column) || (column.type === "enum" && !column.array && baseTs(f.field) === "string");
    if (!fits) {
      diagnostics.error("bad-projection-type", `${schema.name}.${name} is ${baseTs(f.field)}, but the ${expr ? `value of ${expr.text.trim()}` : `field ${source.name}.${name}`} is ${baseTs(column)}`, expr?.loc ?? f.field.loc, `declare it as ${typeText(column)}`);
      continue;
    }
    const nullable = !column.notNull || optionalJoin;
    const promised = f.field.notNull && !f.nullable;
    let fallback: string | number | boolean | undefined;
    if (nullable && promised) {
      const value = column.default?.kind === "literal" ? column.default.value : undefined;
      if (via.length === 0 && (typeof value === "string" || typeof value === "number" || typeof value === "boolean")) fallback = value;
      else {
        diagnostics.warn("dto-nullable", `${schema.name}.${name} is declared required, but ${expr ? expr.text.trim() : `${source.name}.${name}`} may be null; it is typed ${baseTs(f.field)} | null`, expr?.loc ?? f.field.loc, `write \`${name}: ${f.field.type}?\`, or make the column required`);
        f.field.notNull = false;
        f.nullable = true;
      }
    }
    fields.push({ kind: "column", name, path: via, field: column.name, nullable: nullable && fallback === undefined, ...(fallback !== undefined ? { fallback } : {}) });
  }
  schema.fields = pending;
  schema.projection = { entity: source.name, fields };
}

/** Fills `projection` on every DTO with a source; reports DTOs that nest each other in a cycle. */
export function analyzeProjections(config: RawConfig, schemas: readonly SchemaIR[], entities: readonly EntityIR[], parsed: ParsedConfig, diagnostics: DiagnosticBag): void {
  const scope: Scope = { parsed, diagnostics, entities: new Map(entities.map((e) => [e.name, e])), schemas: new Map(schemas.map((s) => [s.name, s])) };
  for (const schema of schemas) {
    const raw = config.schemas?.[schema.name];
    if (!raw) continue;
    const source = schema.source === undefined ? undefined : scope.entities.get(schema.source);
    if (!source) {
      for (const key of ["computed", "include", "exclude"] as const) {
        if (raw[key] !== undefined && schema.source === undefined) diagnostics.warn("not-yet-compiled", `\`${key}\` of ${schema.name} only applies to a DTO with \`source:\`; it is ignored`, parsed.locate(["schemas", schema.name, key], "key"), "add `source: <Entity>`");
      }
      continue;
    }
    analyzeOne(schema, raw, source, scope);
  }
  // A DTO that nests itself (directly or not) would load forever.
  const state = new Map<string, "visiting" | "done">();
  const visit = (schema: SchemaIR): void => {
    state.set(schema.name, "visiting");
    for (const f of schema.projection?.fields ?? []) {
      if (f.kind !== "relation" || f.shape.kind !== "schema") continue;
      const next = scope.schemas.get(f.shape.name);
      if (!next?.projection) continue;
      if (state.get(next.name) === "visiting") {
        const field = schema.fields.find((x) => x.kind === "ref" && x.name === f.name);
        diagnostics.error("circular-projection", `${schema.name}.${f.name} nests ${next.name}, which nests ${schema.name} again`, field?.kind === "ref" ? field.loc : schema.loc, "nest an entity or a smaller DTO on one side");
        delete schema.projection;
        return;
      }
      if (!state.has(next.name)) visit(next);
    }
    state.set(schema.name, "done");
  };
  for (const schema of schemas) if (schema.projection && !state.has(schema.name)) visit(schema);
}
