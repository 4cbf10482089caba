/**
 * Builds EntityIR from the `entities:` and `schemas:` sections: fields, keys, timestamps,
 * soft delete, validation rules and indexes. Relations are linked afterwards (relations.ts),
 * once every entity's fields are known.
 */
import { closest, type DiagnosticBag, type SourceLocation } from "../diagnostics.js";
import type { BaseType, DefaultValue, EntityIR, FieldIR, IndexIR, ReferentialAction } from "../ir.js";
import { declaredAuth } from "../plugins/auth/rules.js";
import type { ConfigPath, ParsedConfig } from "../1-parse/parse.js";
import type { RawConfig, RawEntity, RawField, RawIndex } from "./config-schema.js";
import { type ParsedDefault, parseDefaultText, parseShorthand, type Shorthand } from "./field-grammar.js";
import { INTEGER_TYPES, MONEY_PATTERN, NUMERIC_TYPES, STRING_TYPES, TYPE_ALIASES, baseTypeOf, camelCase, kebabCase, parseTypeParams, pluralWords, snakeCase } from "./types.js";

/** A field that names another entity: linked into a relation by relations.ts. */
export interface PendingReference {
  entity: string;
  name: string;
  target: string;
  array: boolean;
  /** `!` → true, `?` → false, unmarked → undefined. */
  required?: boolean;
  through?: string;
  onDelete?: ReferentialAction;
  explicitKind?: "belongsTo" | "hasOne" | "hasMany" | "manyToMany";
  foreignKey?: string;
  /** The scalar field declared just before this reference: its FK column is placed after it. */
  after?: string;
  path: ConfigPath;
  loc: SourceLocation;
}

export interface EntitySource {
  raw: RawEntity;
  /** ["entities", "Product"] or ["schemas", "Product"]. */
  path: ConfigPath;
}

export const IDENT = /^[A-Za-z_][A-Za-z0-9_]*$/;
const ENTITY_NAME = /^[A-Z][A-Za-z0-9]*$/;
const ACTIONS: Readonly<Record<string, ReferentialAction>> = {
  cascade: "cascade", setNull: "set null", "set null": "set null", restrict: "restrict",
  noAction: "no action", "no action": "no action", setDefault: "set default", "set default": "set default",
};
const FLAG_MODIFIERS = new Set(["unique", "indexed", "index", "primary", "generated", "readonly", "writeOnly", "sensitive", "autoUpdate", "required", "nullable", "optional"]);
const VALUE_MODIFIERS = new Set(["default", "min", "max", "minLength", "maxLength", "length", "through", "onDelete", "onUpdate", "foreignKey"]);
export const RELATION_MODIFIERS = new Set(["cascade", "setNull", "restrict", "noAction", "timestamps"]);

/** Which config entries are database tables: every `entities:` entry, and `schemas:` entries with `database:`/`table:`. */
export function collectEntitySources(config: RawConfig): { entities: Map<string, EntitySource>; otherSchemas: Set<string> } {
  const entities = new Map<string, EntitySource>();
  const otherSchemas = new Set<string>();
  for (const [name, raw] of Object.entries(config.entities ?? {})) entities.set(name, { raw: raw ?? {}, path: ["entities", name] });
  for (const [name, raw] of Object.entries(config.schemas ?? {})) {
    const isTable = raw != null && ((raw.database !== undefined && raw.database !== false) || raw.table !== undefined);
    if (isTable) entities.set(name, { raw: raw ?? {}, path: ["schemas", name] });
    else if (!entities.has(name)) otherSchemas.add(name);
  }
  return { entities, otherSchemas };
}

export interface FieldContext {
  parsed: ParsedConfig;
  diagnostics: DiagnosticBag;
  entityNames: ReadonlySet<string>;
  otherSchemas: ReadonlySet<string>;
  enums: ReadonlyMap<string, string[]>;
  aliases: ReadonlyMap<string, string>;
  references: PendingReference[];
  /** True while parsing `schemas:` entries, where a field may name another schema. */
  allowSchemaRefs?: boolean;
}

function tableNameOf(name: string, raw: RawEntity): string {
  if (raw.table) return raw.table;
  if (typeof raw.database === "string") return raw.database;
  if (typeof raw.database === "object" && raw.database.table) return raw.database.table;
  return pluralWords(name, false).join("_");
}

/** What field parsing needs to know about the rest of the config. */
export function createFieldContext(config: RawConfig, parsed: ParsedConfig, diagnostics: DiagnosticBag): FieldContext {
  const { entities: sources, otherSchemas } = collectEntitySources(config);
  const enums = new Map<string, string[]>();
  for (const [name, def] of Object.entries(config.enums ?? {})) enums.set(name, Array.isArray(def) ? def : def.values);
  const aliases = new Map(Object.entries(config.types ?? {}));
  return { parsed, diagnostics, entityNames: new Set(sources.keys()), otherSchemas, enums, aliases, references: [] };
}

export function analyzeEntities(config: RawConfig, parsed: ParsedConfig, diagnostics: DiagnosticBag): { entities: EntityIR[]; references: PendingReference[] } {
  const { entities: sources } = collectEntitySources(config);
  const ctx = createFieldContext(config, parsed, diagnostics);

  const entities: EntityIR[] = [];
  const tables = new Map<string, string>();
  for (const [name, source] of sources) {
    const loc = parsed.locate(source.path, "key");
    if (!ENTITY_NAME.test(name)) {
      const renamed = name.replace(/(^|[_\s-]+)(\w)/g, (_, __, c: string) => c.toUpperCase()).replace(/[^A-Za-z0-9]/g, "");
      diagnostics.error("bad-entity-name", `entity name "${name}" must be PascalCase (a capital letter, then letters and digits)`, loc, `rename it, e.g. "${ENTITY_NAME.test(renamed) ? renamed : "Product"}"`);
      continue;
    }
    const entity = analyzeEntity(name, source, ctx);
    const previous = tables.get(entity.table);
    if (previous !== undefined) {
      diagnostics.error("duplicate-table", `entities ${previous} and ${name} both use the table "${entity.table}"`, loc, `give one of them another name with \`table:\``);
    }
    tables.set(entity.table, name);
    entities.push(entity);
  }
  return { entities, references: ctx.references };
}

function analyzeEntity(name: string, source: EntitySource, ctx: FieldContext): EntityIR {
  const { raw, path } = source;
  const { parsed, diagnostics } = ctx;
  const table = tableNameOf(name, raw);
  const entity: EntityIR = {
    name,
    table,
    varName: camelCase(table),
    fileName: kebabCase(name),
    fields: [],
    primaryKey: "",
    relations: [],
    indexes: [],
    description: raw.description,
    loc: parsed.locate(path, "key"),
  };

  const rawFields = raw.fields ?? {};
  if (raw.fields === undefined) {
    diagnostics.error("missing-fields", `entity ${name} has no \`fields:\``, entity.loc, "add `fields:` with at least one field, e.g. `name: string!`");
  }
  for (const [fieldName, def] of Object.entries(rawFields)) {
    const fieldPath = [...path, "fields", fieldName];
    if (!IDENT.test(fieldName)) {
      diagnostics.error("bad-field-name", `field name "${fieldName}" is not a valid identifier`, parsed.locate(fieldPath, "key"), "use letters, digits and _ (camelCase is the convention)");
      continue;
    }
    if (def === null) {
      diagnostics.error("missing-type", `field ${name}.${fieldName} has no type`, parsed.locate(fieldPath, "key"), "write a type after the colon, e.g. `" + fieldName + ": string!`");
      continue;
    }
    const before = ctx.references.length;
    const field = typeof def === "string" ? fieldFromShorthand(name, fieldName, def, fieldPath, ctx) : fieldFromObject(name, fieldName, def, fieldPath, ctx);
    if (field) entity.fields.push(field);
    if (ctx.references.length > before) ctx.references[before]!.after = entity.fields.at(-1)?.name;
  }

  addConventionalFields(entity, raw, path, ctx);
  applyValidationRules(entity, raw, path, ctx);
  for (const field of entity.fields) checkField(entity, field, ctx);
  pickPrimaryKey(entity, ctx);
  collectIndexes(entity, raw, path, ctx);
  return entity;
}

function newField(name: string, type: BaseType, loc: SourceLocation): FieldIR {
  return {
    name, column: snakeCase(name), type, array: false, notNull: false, primary: false, generated: false,
    unique: false, indexed: false, readonly: false, writeOnly: false, sensitive: false, autoUpdate: false, loc,
  };
}

/** Resolves a type name: base types, `types:` aliases, `enums:`, or an entity reference. */
function resolveTypeName(
  typeName: string,
  entityName: string,
  fieldName: string,
  loc: SourceLocation,
  ctx: FieldContext,
): { base: BaseType; enumValues?: string[]; alias?: string } | { reference: string } | undefined {
  // Exact names first: an entity, enum or alias named `Date` or `Money` wins over the
  // case-insensitive match of a base type (`date`, `money`).
  const base = baseTypeOf(typeName);
  if (base) return { base };
  if (ctx.entityNames.has(typeName)) return { reference: typeName };
  const enumValues = ctx.enums.get(typeName);
  if (enumValues) return { base: "enum", enumValues };
  const alias = ctx.aliases.get(typeName);
  if (alias !== undefined) return { base: "string", alias };
  const folded = baseTypeOf(typeName.toLowerCase());
  if (folded) return { base: folded };
  if (ctx.otherSchemas.has(typeName)) {
    if (ctx.allowSchemaRefs) return { reference: typeName };
    ctx.diagnostics.error("not-an-entity", `${entityName}.${fieldName} refers to ${typeName}, which is a schema without a table`, loc, `give ${typeName} a \`database:\` (or move it under \`entities:\`), or store it as \`json\``);
    return undefined;
  }
  const candidates = [...Object.keys(TYPE_ALIASES), ...ctx.entityNames, ...ctx.enums.keys(), ...ctx.aliases.keys()];
  const suggestion = closest(typeName, candidates);
  ctx.diagnostics.error(
    "unknown-type",
    `unknown type "${typeName}" for field ${entityName}.${fieldName}`,
    loc,
    suggestion ? `did you mean "${suggestion}"?` : "use a base type (string, integer, decimal, boolean, timestamp, uuid, json, enum(...)) or the name of an entity",
  );
  return undefined;
}

function locIn(base: SourceLocation, offset: number, length: number, quoted: boolean): SourceLocation {
  return { ...base, col: base.col + offset + (quoted ? 1 : 0), length: Math.max(1, length) };
}

export function fieldFromShorthand(entityName: string, fieldName: string, text: string, path: ConfigPath, ctx: FieldContext): FieldIR | undefined {
  const valueLoc = ctx.parsed.locate(path);
  const quoted = /^["']/.test(ctx.parsed.lineText(valueLoc.line, valueLoc.file)?.slice(valueLoc.col - 1) ?? "");
  const at = (offset: number, length: number) => locIn(valueLoc, offset, length, quoted);
  const sh: Shorthand = parseShorthand(text);
  for (const err of sh.errors) ctx.diagnostics.error("bad-field-syntax", `${err.message} in ${entityName}.${fieldName}`, at(err.offset, err.length), err.hint);
  if (sh.typeName === "") return undefined;

  const resolved = resolveTypeName(sh.typeName, entityName, fieldName, at(sh.typeOffset, sh.typeName.length), ctx);
  if (!resolved) return undefined;

  if ("reference" in resolved) {
    const ref: PendingReference = {
      entity: entityName, name: fieldName, target: resolved.reference, array: sh.array, required: sh.required, path,
      loc: valueLoc,
    };
    for (const mod of sh.modifiers) {
      if (Object.hasOwn(ACTIONS, mod.name) && mod.value === undefined) ref.onDelete = ACTIONS[mod.name];
      else if (mod.name === "through" && mod.value) ref.through = mod.value;
      else if (mod.name === "onDelete" && mod.value && Object.hasOwn(ACTIONS, mod.value)) ref.onDelete = ACTIONS[mod.value];
      else if (mod.name === "onDelete" && mod.value) {
        const s = closest(mod.value, Object.keys(ACTIONS));
        ctx.diagnostics.error("bad-modifier", `onDelete:${mod.value} is not a referential action (in ${entityName}.${fieldName})`, at(mod.offset, mod.name.length + 1 + mod.value.length), s ? `did you mean "${s}"?` : "use cascade, setNull, restrict, noAction or setDefault");
      }
      else if (mod.name === "foreignKey" && mod.value) ref.foreignKey = mod.value;
      else if (mod.name === "timestamps" || mod.name === "indexed" || mod.name === "index") continue;
      else ctx.diagnostics.error("bad-modifier", `"${mod.name}" is not a relation modifier (in ${entityName}.${fieldName})`, at(mod.offset, mod.name.length), "relations accept cascade, setNull, restrict, noAction, through:<table> and onDelete:<action>");
    }
    if (ref.through !== undefined && !/^[a-z_][a-z0-9_]*$/.test(ref.through)) {
      ctx.diagnostics.error("bad-table-name", `through:${ref.through} is not a lower-case SQL table name`, valueLoc, "use letters, digits and _, e.g. through:post_tags");
    }
    ctx.references.push(ref);
    return undefined;
  }

  const field = newField(fieldName, resolved.base, valueLoc);
  field.array = sh.array;
  if (resolved.enumValues) field.enumValues = resolved.enumValues;
  let paramsOk = true;
  if (resolved.alias !== undefined) {
    // A `types:` alias (Money: decimal(19,4)) is the alias's own shorthand with this field's marks.
    const inner = parseShorthand(resolved.alias);
    const base = baseTypeOf(inner.typeName);
    if (!base) {
      ctx.diagnostics.error("unknown-type", `type alias ${sh.typeName} is "${resolved.alias}", which is not a base type`, valueLoc);
      return undefined;
    }
    field.type = base;
    if (inner.params !== undefined) paramsOk = applyParams(field, inner.params, valueLoc, `${entityName}.${fieldName}`, ctx);
  }
  if (sh.params !== undefined) paramsOk = applyParams(field, sh.params, at(sh.typeOffset + sh.typeName.length, sh.params.length + 2), `${entityName}.${fieldName}`, ctx) && paramsOk;
  if (field.type === "enum" && !field.enumValues && paramsOk) {
    ctx.diagnostics.error("enum-values", `enum field ${entityName}.${fieldName} lists no values`, valueLoc, "write enum(draft, published) or enum[draft, published]");
  }
  field.notNull = sh.required === true;
  for (const mod of sh.modifiers) {
    const modLoc = at(mod.offset, mod.name.length);
    if (FLAG_MODIFIERS.has(mod.name) && mod.value === undefined) {
      switch (mod.name) {
        case "unique": field.unique = true; break;
        case "indexed": case "index": field.indexed = true; break;
        case "primary": field.primary = true; break;
        case "generated": field.generated = true; break;
        case "readonly": field.readonly = true; break;
        case "writeOnly": field.writeOnly = true; break;
        case "sensitive": field.sensitive = true; break;
        case "autoUpdate": field.autoUpdate = true; break;
        case "required": field.notNull = true; break;
        case "nullable": case "optional": field.notNull = false; break;
      }
    } else if (VALUE_MODIFIERS.has(mod.name) && mod.value !== undefined) {
      if (mod.name === "default") setDefault(field, parseDefaultText(mod.value), modLoc, ctx, writtenType(sh));
      else if (["min", "max", "minLength", "maxLength", "length"].includes(mod.name)) {
        const n = Number(mod.value);
        if (!Number.isFinite(n)) ctx.diagnostics.error("bad-modifier", `${mod.name}:${mod.value} needs a number`, modLoc);
        else (field as unknown as Record<string, number>)[mod.name] = n;
      } else ctx.diagnostics.error("bad-modifier", `"${mod.name}:" only applies to relations`, modLoc);
    } else if (RELATION_MODIFIERS.has(mod.name)) {
      ctx.diagnostics.error("bad-modifier", `"${mod.name}" only applies to relations, but ${entityName}.${fieldName} is a ${sh.typeName}`, modLoc, "remove it, or make the type the name of an entity");
    } else {
      const suggestion = closest(mod.name, [...FLAG_MODIFIERS, ...VALUE_MODIFIERS, ...RELATION_MODIFIERS]);
      ctx.diagnostics.error("bad-modifier", `unknown modifier "${mod.name}" on ${entityName}.${fieldName}`, modLoc, suggestion ? `did you mean "${suggestion}"?` : "modifiers are unique, indexed, primary, generated, readonly, writeOnly, sensitive, autoUpdate, default:<v>, min:<n>, max:<n>");
    }
  }
  if (sh.defaultText !== undefined && sh.defaultText !== "") {
    setDefault(field, parseDefaultText(sh.defaultText), at(sh.defaultOffset!, sh.defaultText.length), ctx, writtenType(sh));
  }
  return field;
}

/** A shorthand's type with its marks, as the long form's `type:` takes it (`string(..40)[]!`). */
function writtenType(sh: Shorthand): string {
  return `${sh.typeName}${sh.params !== undefined ? `(${sh.params})` : ""}${sh.array ? "[]" : ""}${sh.required === true ? "!" : ""}`;
}

/** Applies `(3..50)`, `(10, 2)`, `(/re/)`…; false when they are reported as wrong. */
function applyParams(field: FieldIR, raw: string, loc: SourceLocation, where: string, ctx: FieldContext): boolean {
  const { params, error } = parseTypeParams(field.type, raw);
  if (error) {
    ctx.diagnostics.error("bad-type-params", `${error} (field ${field.name})`, loc);
    return false;
  }
  if (params.pattern !== undefined && !checkPattern(params.pattern, where, loc, ctx)) return false;
  Object.assign(field, Object.fromEntries(Object.entries(params).filter(([, v]) => v !== undefined)));
  return true;
}

/** A pattern becomes a JavaScript regular expression in the generated validation, so it must compile as one. */
function checkPattern(pattern: string, where: string, loc: SourceLocation, ctx: FieldContext): boolean {
  try {
    new RegExp(pattern);
    return true;
  } catch (err) {
    const reason = (err as Error).message.replace(/^Invalid regular expression: \/.*\/\w*: /s, "");
    ctx.diagnostics.error("bad-pattern", `the pattern /${pattern}/ of ${where} is not a valid regular expression`, loc, reason);
    return false;
  }
}

/** The types a `now` default fits: the database's current time, cast to the column (`current_date` on a date). */
const NOW_TYPES: ReadonlySet<BaseType> = new Set(["timestamp", "timestamplocal", "date", "time"]);

/**
 * Checks a default against the field's type and stores it. `written` is the field's type as
 * written in the config (`string[]`, `Color[]!`), for hints that show the fix.
 */
function setDefault(field: FieldIR, value: ParsedDefault, loc: SourceLocation, ctx: FieldContext, written: string): void {
  const t = field.array ? `${field.type}[]` : field.type;
  if (value.kind === "today") {
    if (field.type === "date" && !field.array) field.default = { kind: "now" };
    else ctx.diagnostics.error("bad-default", `default current_date is today's date, but field ${field.name} is ${t}`, loc, field.type === "timestamp" || field.type === "timestamplocal" ? "write `= now` for the current time" : "current_date is a default for date fields; remove it");
    return;
  }
  if (value.kind === "now" || value.kind === "uuid") {
    const fits = !field.array && (value.kind === "now" ? NOW_TYPES.has(field.type) : field.type === "uuid");
    if (fits) field.default = value;
    else {
      const what = value.kind === "now" ? "now is the current time" : "uuid is a random uuid";
      const where = value.kind === "now" ? "timestamp, date and time fields" : "uuid fields";
      const quote = STRING_TYPES.has(field.type) && !field.array ? `; for the text itself, quote it: = "${value.kind}"` : "";
      ctx.diagnostics.error("bad-default", `default ${what}, which does not fit field ${field.name}: ${t}`, loc, `it is a default for ${where}${quote}`);
    }
    return;
  }
  field.default = value;
  const v = value.value;
  if (v === null) {
    if (field.notNull) ctx.diagnostics.error("bad-default", `field ${field.name} is required (!) but its default is null`, loc, "remove the default or make the field nullable with ?");
    return;
  }
  if (field.array) {
    if (!Array.isArray(v)) {
      const text = typeof v === "string" ? v.trim() : JSON.stringify(v);
      const list = /^\[.*\]$/s.test(text) ? text : `[${text}]`;
      ctx.diagnostics.error("bad-default", `default ${JSON.stringify(v)} is not a list (field ${field.name}: ${t})`, loc, `a list default needs the long form: \`${field.name}: { type: "${written}", default: ${list} }\``);
      return;
    }
    // Each element must fit the element type, as the database will check it on insert.
    const element: FieldIR = { ...field, array: false, notNull: true };
    for (const item of v) {
      if (item === null || typeof item === "object") {
        ctx.diagnostics.error("bad-default", `default ${JSON.stringify(v)} of field ${field.name} holds ${JSON.stringify(item)}, which is not a ${field.type}`, loc, `list only ${field.type} values`);
        return;
      }
      if (!checkLiteral(element, item as string | number | boolean, loc, ctx, field.type)) return;
    }
    return;
  }
  checkLiteral(field, v, loc, ctx, t);
}

/** Reports a literal default (or one element of an array's list default) that does not fit the field's type; false when it does not. */
function checkLiteral(field: FieldIR, v: string | number | boolean | readonly unknown[] | Readonly<Record<string, unknown>>, loc: SourceLocation, ctx: FieldContext, t: string): boolean {
  const bad = (what: string) => {
    ctx.diagnostics.error("bad-default", `default ${JSON.stringify(v)} is not ${what} (field ${field.name}: ${t})`, loc, `write a default of type ${field.type}, or remove it`);
    return false;
  };
  if (field.type === "boolean" && typeof v !== "boolean") return bad("true or false");
  if (INTEGER_TYPES.has(field.type) && (typeof v !== "number" || !Number.isInteger(v))) return bad("an integer");
  // A money amount travels as a decimal string ("12.50"), so a default may be written as one.
  const moneyText = field.type === "money" && typeof v === "string" && MONEY_PATTERN.test(v);
  if (NUMERIC_TYPES.has(field.type) && typeof v !== "number" && !moneyText) return bad(field.type === "money" ? "a number or a decimal string such as \"12.50\"" : "a number");
  if (field.type === "enum" && field.enumValues && !field.enumValues.includes(String(v))) {
    const suggestion = closest(String(v), field.enumValues);
    ctx.diagnostics.error("bad-default", `default "${String(v)}" is not one of the enum values (${field.enumValues.join(", ")})`, loc, suggestion ? `did you mean "${suggestion}"?` : undefined);
    return false;
  }
  if ((STRING_TYPES.has(field.type) || field.type === "uuid") && typeof v !== "string") return bad("a string");
  if ((field.type === "timestamp" || field.type === "timestamplocal" || field.type === "date") && typeof v === "string" && Number.isNaN(Date.parse(v))) return bad("a date");
  return true;
}

export function fieldFromObject(entityName: string, fieldName: string, def: RawField, path: ConfigPath, ctx: FieldContext): FieldIR | undefined {
  const loc = ctx.parsed.locate(path, "key");
  const typeText = def.type ?? def.$ref;
  if (typeText === undefined) {
    ctx.diagnostics.error("missing-type", `field ${entityName}.${fieldName} has no \`type\``, loc, "add e.g. `type: string`");
    return undefined;
  }
  // The long form's `type` may itself use the shorthand (`type: string(3..50)`, `type: Post[]`).
  const sh = parseShorthand(typeText);
  const typeLoc = ctx.parsed.locate([...path, def.type !== undefined ? "type" : "$ref"]);
  const resolved = resolveTypeName(sh.typeName, entityName, fieldName, typeLoc, ctx);
  if (!resolved) return undefined;
  const required = def.required === true || def.nullable === false || sh.required === true ? true : def.required === false || def.nullable === true || sh.required === false ? false : undefined;

  if ("reference" in resolved) {
    const onDelete = def.onDelete ? ACTIONS[def.onDelete] : undefined;
    ctx.references.push({
      entity: entityName, name: fieldName, target: resolved.reference, array: sh.array || def.array === true, required, through: def.through,
      onDelete, foreignKey: def.foreignKey, path, loc,
    });
    return undefined;
  }
  const field = newField(fieldName, resolved.base, loc);
  if (resolved.enumValues) field.enumValues = resolved.enumValues;
  const paramsOk = sh.params === undefined || applyParams(field, sh.params, typeLoc, `${entityName}.${fieldName}`, ctx);
  field.array = sh.array || def.array === true;
  field.notNull = required === true || def.primary === true || def.primaryKey === true;
  field.primary = def.primary === true || def.primaryKey === true;
  field.generated = def.generated === true;
  field.unique = def.unique === true;
  field.indexed = def.index === true || def.indexed === true;
  field.readonly = def.readonly === true;
  field.writeOnly = def.writeOnly === true;
  field.sensitive = def.sensitive === true;
  field.autoUpdate = def.autoUpdate === true;
  if (def.writableBy !== undefined) {
    const at = [...path, "writableBy"];
    const declared = declaredAuth(ctx.parsed);
    if (field.readonly || field.primary) ctx.diagnostics.error("bad-field-rule", `${entityName}.${fieldName} is ${field.readonly ? "readonly" : "the primary key"}: no body may set it, so writableBy has no effect`, ctx.parsed.locate(at, "key"), "remove one of them");
    else if (!declared.present) ctx.diagnostics.error("auth-not-configured", `${entityName}.${fieldName}.writableBy names roles, but the config has no \`auth:\` section: nobody could set the field`, ctx.parsed.locate(at, "key"), "add an `auth:` section with providers and roles (see docs/auth.md)");
    else {
      def.writableBy.forEach((role, i) => {
        if (declared.roles.includes(role)) return;
        const s = closest(role, declared.roles);
        ctx.diagnostics.error("unknown-role", `${entityName}.${fieldName}.writableBy names role "${role}", which auth.roles does not declare`, ctx.parsed.locate([...at, i]), s ? `did you mean "${s}"?` : `declare it: \`auth: {roles: {${role}: {permissions: [...]}}}\``);
      });
    }
    field.writableBy = [...new Set(def.writableBy)];
  }
  if (def.dbColumn !== undefined) {
    if (!/^[a-z_][a-z0-9_]*$/.test(def.dbColumn)) ctx.diagnostics.error("bad-column-name", `dbColumn "${def.dbColumn}" is not a lower-case SQL identifier`, ctx.parsed.locate([...path, "dbColumn"]));
    field.column = def.dbColumn;
  }
  for (const key of ["length", "minLength", "maxLength", "precision", "scale", "pattern", "description"] as const) {
    if (def[key] !== undefined) (field as unknown as Record<string, unknown>)[key] = def[key];
  }
  if (def.pattern !== undefined) checkPattern(def.pattern, `${entityName}.${fieldName}`, ctx.parsed.locate([...path, "pattern"]), ctx);
  if (def.length !== undefined && def.maxLength === undefined) field.maxLength = def.length;
  for (const key of ["min", "max"] as const) {
    const v = def[key];
    if (typeof v === "number") field[key] = v;
    else if (v !== undefined && !["date", "time", "timestamp", "timestamplocal"].includes(field.type)) {
      ctx.diagnostics.error("bad-type-params", `${key} of ${entityName}.${fieldName} must be a number`, ctx.parsed.locate([...path, key]));
    }
  }
  const values = def.enum ?? def.values;
  if (values) {
    field.enumValues = values.map(String);
    if (field.type === "string" || field.type === "text") field.type = "enum";
  }
  if (field.type === "enum" && !field.enumValues && paramsOk) {
    ctx.diagnostics.error("enum-values", `enum field ${entityName}.${fieldName} lists no values`, loc, "add `enum: [a, b]`");
  }
  if (def.default !== undefined) {
    const dloc = ctx.parsed.locate([...path, "default"]);
    const written = def.array === true && !sh.array ? `${typeText}[]` : typeText;
    if (typeof def.default === "string") setDefault(field, parseDefaultText(def.default), dloc, ctx, written);
    else setDefault(field, { kind: "literal", value: def.default as string | number | boolean | null }, dloc, ctx, written);
  }
  if (def.api === false) field.writeOnly = true;
  return field;
}

/** createdAt/updatedAt (by name or `timestamps: true`), deletedAt for soft delete, the implicit id. */
function addConventionalFields(entity: EntityIR, raw: RawEntity, path: ConfigPath, ctx: FieldContext): void {
  const byName = new Map(entity.fields.map((f) => [f.name, f]));
  const tsLoc = ctx.parsed.locate([...path, "timestamps"], "key");
  if (raw.timestamps === true) {
    for (const name of ["createdAt", "updatedAt"]) {
      if (!byName.has(name)) {
        const f = newField(name, "timestamp", tsLoc);
        entity.fields.push(f);
        byName.set(name, f);
      }
    }
  }
  for (const name of ["createdAt", "created_at", "updatedAt", "updated_at"]) {
    const f = byName.get(name);
    if (!f || f.type !== "timestamp" && f.type !== "timestamplocal") continue;
    f.readonly = true;
    f.notNull = true;
    f.default ??= { kind: "now" };
    if (name.startsWith("updated")) f.autoUpdate = true;
  }
  if (raw.softDelete === true) {
    const existing = byName.get("deletedAt") ?? byName.get("deleted_at");
    const f = existing ?? newField("deletedAt", "timestamp", ctx.parsed.locate([...path, "softDelete"], "key"));
    if (existing && existing.type !== "timestamp" && existing.type !== "timestamplocal") {
      ctx.diagnostics.error("soft-delete-field", `softDelete needs ${existing.name} to be a timestamp, but it is ${existing.type}`, existing.loc, "make it `timestamp?` or remove it (yamac adds deletedAt itself)");
    }
    f.notNull = false;
    f.readonly = true;
    if (!existing) entity.fields.push(f);
    entity.softDelete = { field: f.name };
  }
}

function applyValidationRules(entity: EntityIR, raw: RawEntity, path: ConfigPath, ctx: FieldContext): void {
  const fields = new Map(entity.fields.map((f) => [f.name, f]));
  const ruleFor = (fieldName: string, rule: string, param: string | number | undefined, loc: SourceLocation, fieldLoc = loc) => {
    const field = fields.get(fieldName);
    if (!field) {
      const suggestion = closest(fieldName, fields.keys());
      ctx.diagnostics.error("unknown-field", `validation rule refers to unknown field ${entity.name}.${fieldName}`, fieldLoc, suggestion ? `did you mean "${suggestion}"?` : undefined);
      return;
    }
    const num = param === undefined ? undefined : Number(param);
    const needsNumber = () => {
      if (num === undefined || !Number.isFinite(num)) {
        ctx.diagnostics.error("bad-validation", `rule ${rule} on ${fieldName} needs a number, e.g. params: [2]`, loc);
        return false;
      }
      return true;
    };
    switch (rule) {
      case "email": if (STRING_TYPES.has(field.type)) field.type = "email"; break;
      case "url": if (STRING_TYPES.has(field.type)) field.type = "url"; break;
      case "uuid": field.pattern ??= "^[0-9a-fA-F-]{36}$"; break;
      case "minLength": if (needsNumber()) field.minLength = num; break;
      case "maxLength": if (needsNumber()) field.maxLength = num; break;
      case "min": if (needsNumber()) field.min = num; break;
      case "max": if (needsNumber()) field.max = num; break;
      case "pattern":
        if (typeof param !== "string") ctx.diagnostics.error("bad-validation", `rule pattern on ${fieldName} needs a regular expression`, loc);
        else if (checkPattern(param, `${entity.name}.${fieldName}`, loc, ctx)) field.pattern = param;
        break;
      case "required": field.notNull = true; break;
      case "unique": field.unique = true; break;
      default: {
        const suggestion = closest(rule, ["email", "url", "uuid", "minLength", "maxLength", "min", "max", "pattern", "required", "unique"]);
        ctx.diagnostics.error("bad-validation", `unknown validation rule "${rule}"`, loc, suggestion ? `did you mean "${suggestion}"?` : undefined);
      }
    }
  };
  for (const [key, rule] of Object.entries(raw.validation ?? {})) {
    const rulePath = [...path, "validation", key];
    ruleFor(rule.field, rule.rule, rule.params?.[0] ?? rule.value, ctx.parsed.locate(rulePath), ctx.parsed.locate([...rulePath, "field"]));
  }
  for (const [fieldName, rules] of Object.entries(raw.validations ?? {})) {
    rules.forEach((text, i) => {
      const m = /^(\w+)(?:\((.*)\))?$/.exec(text.trim());
      const loc = ctx.parsed.locate([...path, "validations", fieldName, i]);
      if (!m) ctx.diagnostics.error("bad-validation", `cannot read validation "${text}"`, loc, "write e.g. email or minLength(2)");
      else ruleFor(fieldName, m[1]!, m[2], loc);
    });
  }
}

function checkField(entity: EntityIR, field: FieldIR, ctx: FieldContext): void {
  const where = `${entity.name}.${field.name}`;
  if (field.minLength !== undefined && field.maxLength !== undefined && field.minLength > field.maxLength) {
    ctx.diagnostics.error("bad-constraint", `${where}: minLength ${field.minLength} is above maxLength ${field.maxLength}`, field.loc);
  }
  if (field.min !== undefined && field.max !== undefined && field.min > field.max) {
    ctx.diagnostics.error("bad-constraint", `${where}: min ${field.min} is above max ${field.max}`, field.loc);
  }
  if ((field.minLength !== undefined || field.maxLength !== undefined) && !STRING_TYPES.has(field.type) && !field.array) {
    ctx.diagnostics.error("bad-constraint", `${where}: minLength/maxLength apply to strings, not ${field.type}`, field.loc, "use min/max for numbers");
  }
  if (field.generated && field.type !== "uuid" && !INTEGER_TYPES.has(field.type) && field.default === undefined) {
    ctx.diagnostics.error("bad-generated", `${where}: only uuid and integer fields can be generated`, field.loc, "remove `generated` or give the field a default");
  }
  // An identity column is always NOT NULL in PostgreSQL (and in Drizzle's types): bodies may omit it, never null it.
  if (field.generated && INTEGER_TYPES.has(field.type) && field.default === undefined && !field.array) field.notNull = true;
}

function pickPrimaryKey(entity: EntityIR, ctx: FieldContext): void {
  const declared = entity.fields.filter((f) => f.primary);
  if (declared.length > 1) {
    ctx.diagnostics.error("composite-primary-key", `entity ${entity.name} declares ${declared.length} primary keys (${declared.map((f) => f.name).join(", ")})`, declared[1]!.loc, "keep one `primary` field; use a unique index over several fields instead");
  }
  let pk: FieldIR | undefined = declared[0];
  if (!pk) {
    pk = entity.fields.find((f) => f.name === "id");
    if (pk) pk.primary = true;
  }
  if (!pk) {
    pk = newField("id", "uuid", entity.loc);
    pk.primary = true;
    entity.fields.unshift(pk);
  }
  if (!["uuid", "integer", "bigint", "smallint", "string", "text", "slug"].includes(pk.type) || pk.array) {
    ctx.diagnostics.error("bad-primary-key", `primary key ${entity.name}.${pk.name} cannot be of type ${pk.type}`, pk.loc, "use uuid (recommended), integer, bigint or string");
  }
  pk.notNull = true;
  pk.unique = false;
  // A uuid or integer id with no default is generated by the database.
  if (pk.default === undefined && (pk.type === "uuid" || INTEGER_TYPES.has(pk.type))) pk.generated = true;
  if (pk.generated) pk.readonly = true;
  entity.primaryKey = pk.name;
}

function indexFields(def: RawIndex): { fields: string[]; unique: boolean; name?: string; method?: IndexIR["method"] } {
  if (typeof def === "string") return { fields: [def], unique: false };
  if (Array.isArray(def)) return { fields: def, unique: false };
  const method = def.type === "fulltext" ? "gin" : def.type;
  return { fields: typeof def.fields === "string" ? [def.fields] : def.fields, unique: def.unique === true, name: def.name, method };
}

function collectIndexes(entity: EntityIR, raw: RawEntity, path: ConfigPath, ctx: FieldContext): void {
  const declared: { def: RawIndex; path: ConfigPath }[] = [];
  (raw.indexes ?? []).forEach((def, i) => declared.push({ def, path: [...path, "indexes", i] }));
  if (typeof raw.database === "object") (raw.database.indexes ?? []).forEach((def, i) => declared.push({ def, path: [...path, "database", "indexes", i] }));
  for (const { def, path: ipath } of declared) {
    const { fields, unique, name, method } = indexFields(def);
    const loc = ctx.parsed.locate(ipath);
    if (typeof def === "object" && !Array.isArray(def) && def.where !== undefined) {
      // A partial index compiled as a full one would change what a unique index rejects.
      ctx.diagnostics.error("not-yet-compiled", "partial indexes (`where:` on an index) are not compiled by this version of yamac", ctx.parsed.locate([...ipath, "where"], "key"), "remove `where:` (the index then covers every row) or create the partial index in a hand-written migration");
    }
    entity.indexes.push({ name: name ?? "", fields, unique, method, origin: "declared", loc });
  }
  for (const field of entity.fields) {
    if (field.primary) continue;
    if (field.unique) entity.indexes.push({ name: "", fields: [field.name], unique: true, origin: "field", loc: field.loc });
    else if (field.indexed) entity.indexes.push({ name: "", fields: [field.name], unique: false, origin: "field", loc: field.loc });
  }
}
