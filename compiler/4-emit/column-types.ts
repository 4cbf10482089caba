/**
 * How each IR base type becomes a PostgreSQL column (through a Drizzle builder), a
 * TypeScript type and a zod validator. One table, so the three never disagree.
 *
 * | base          | PostgreSQL                | Drizzle                         | JSON / TS       |
 * |---------------|---------------------------|---------------------------------|-----------------|
 * | string        | varchar(n, default 255)   | varchar                         | string          |
 * | text          | text                      | text                            | string          |
 * | email         | varchar(255)              | varchar                         | string (email)  |
 * | url           | varchar(2048)             | varchar                         | string (url)    |
 * | phone         | varchar(32)               | varchar                         | string          |
 * | slug          | varchar(255)              | varchar                         | string (slug)   |
 * | uuid          | uuid                      | uuid                            | string (uuid)   |
 * | smallint      | smallint                  | smallint                        | number (int)    |
 * | integer       | integer                   | integer                         | number (int)    |
 * | bigint        | bigint                    | bigint mode number              | number (int)    |
 * | number/double | double precision          | doublePrecision                 | number          |
 * | real          | real                      | real                            | number          |
 * | decimal       | numeric(p,s)              | numeric mode number             | number          |
 * | money         | numeric(19,4)             | numeric (string)                | string (exact)  |
 * | boolean       | boolean                   | boolean                         | boolean         |
 * | date          | date                      | date mode string                | "YYYY-MM-DD"    |
 * | time          | time                      | time                            | "HH:MM:SS"      |
 * | timestamp     | timestamptz(3)            | timestamp withTimezone          | ISO 8601 string |
 * | timestamplocal| timestamp(3)              | timestamp                       | ISO 8601 string |
 * | interval      | interval                  | interval                        | string          |
 * | json          | jsonb                     | jsonb                           | any JSON        |
 * | binary/base64 | text (base64)             | text                            | base64 string   |
 * | enum          | text + CHECK constraint   | text with enum                  | string union    |
 */
import type { FieldIR } from "../ir.js";
import { ts } from "./writer.js";
import { MONEY_PATTERN } from "../2-analyze/types.js";

export interface ColumnCode {
  /** pg-core builder function to import. */
  builder: string;
  /** The builder call, e.g. `varchar("name", { length: 255 })`. */
  call: string;
}

export function columnCode(field: FieldIR): ColumnCode {
  const col = ts(field.column);
  switch (field.type) {
    case "string":
      return { builder: "varchar", call: `varchar(${col}, { length: ${field.length ?? field.maxLength ?? 255} })` };
    case "email":
    case "slug":
      return { builder: "varchar", call: `varchar(${col}, { length: ${Math.max(field.maxLength ?? 255, 1)} })` };
    case "url":
      return { builder: "varchar", call: `varchar(${col}, { length: ${field.maxLength ?? 2048} })` };
    case "phone":
      return { builder: "varchar", call: `varchar(${col}, { length: ${field.maxLength ?? 32} })` };
    case "text":
    case "binary":
    case "base64":
      return { builder: "text", call: `text(${col})` };
    case "uuid":
      return { builder: "uuid", call: `uuid(${col})` };
    case "smallint":
      return { builder: "smallint", call: `smallint(${col})` };
    case "integer":
      return { builder: "integer", call: `integer(${col})` };
    case "bigint":
      return { builder: "bigint", call: `bigint(${col}, { mode: "number" })` };
    case "number":
    case "double":
      return { builder: "doublePrecision", call: `doublePrecision(${col})` };
    case "real":
      return { builder: "real", call: `real(${col})` };
    case "decimal": {
      const precision = field.precision ?? 12;
      const scale = field.scale ?? 2;
      return { builder: "numeric", call: `numeric(${col}, { precision: ${precision}, scale: ${scale}, mode: "number" })` };
    }
    case "money":
      return { builder: "numeric", call: `numeric(${col}, { precision: ${field.precision ?? 19}, scale: ${field.scale ?? 4} })` };
    case "boolean":
      return { builder: "boolean", call: `boolean(${col})` };
    case "date":
      return { builder: "date", call: `date(${col})` };
    case "time":
      return { builder: "time", call: `time(${col})` };
    case "timestamp":
      return { builder: "timestamp", call: `timestamp(${col}, { withTimezone: true, precision: 3 })` };
    case "timestamplocal":
      return { builder: "timestamp", call: `timestamp(${col}, { precision: 3 })` };
    case "interval":
      return { builder: "interval", call: `interval(${col})` };
    case "json":
      return { builder: "jsonb", call: `jsonb(${col})` };
    case "enum":
      return { builder: "text", call: `text(${col}, { enum: [${(field.enumValues ?? []).map(ts).join(", ")}] })` };
  }
}

/** The zod validator for a field's value in a JSON body (without optional/nullable). */
export function zodForBody(field: FieldIR): string {
  const base = zodScalar(field);
  if (!field.array) return base;
  return `z.array(${base})`;
}

function withLength(expr: string, field: FieldIR, defaultMax?: number): string {
  let out = expr;
  if (field.minLength !== undefined) out += `.min(${field.minLength})`;
  else if (field.notNull) out += `.min(1)`;
  const max = field.maxLength ?? field.length ?? defaultMax;
  if (max !== undefined) out += `.max(${max})`;
  if (field.pattern !== undefined) out += `.regex(${regexLiteral(field.pattern)})`;
  return out;
}

function withRange(expr: string, field: FieldIR): string {
  let out = expr;
  if (field.min !== undefined) out += `.min(${field.min})`;
  if (field.max !== undefined) out += `.max(${field.max})`;
  return out;
}

export function regexLiteral(pattern: string): string {
  // RegExp#source escapes what a literal needs (a bare "/"), and leaves "\/" as it is.
  return `/${new RegExp(pattern).source}/`;
}

type FormatType = "email" | "url" | "phone" | "slug";

/** What `phoneNumber()` (runtime-lib/validation.ts) accepts, for OpenAPI's `pattern`. */
export const PHONE_PATTERN = String.raw`^\+?(?:[ ()-]*\d){7,15}[ ()-]*$`;
/** Lower-case words joined by `-`. */
export const SLUG_PATTERN = String.raw`^[a-z0-9]+(?:-[a-z0-9]+)*$`;
/** The schemes a `url` field takes (OpenAPI's `pattern` for it). */
export const URL_PATTERN = String.raw`^https?://`;

/**
 * The string types with a format, checked the same way in bodies, path parameters and query
 * strings: the validator and the default maximum length (the column's).
 */
const FORMATS: Readonly<Record<FormatType, { expr: string; maxLength: number }>> = {
  email: { expr: "z.email()", maxLength: 255 },
  // Web addresses only: a `javascript:` or `data:` URL stored and later rendered as a link runs script.
  url: { expr: `z.url({ protocol: /^https?$/, error: "must be an http or https URL" })`, maxLength: 2048 },
  // runtime-lib/validation.ts: E.164-like, 7 to 15 digits with an optional leading +.
  phone: { expr: "phoneNumber()", maxLength: 32 },
  slug: { expr: `z.string().regex(/${SLUG_PATTERN}/, { error: "must be a slug (lower-case words joined by -)" })`, maxLength: 255 },
};

const isFormat = (type: FieldIR["type"]): type is FormatType => Object.hasOwn(FORMATS, type);

/** A money amount, sent as a decimal string in bodies, queries and paths alike. */
const MONEY = `z.string().regex(/${MONEY_PATTERN.source}/, { error: "must be a decimal amount as a string, e.g. \\"12.50\\"" })`;

function zodScalar(field: FieldIR): string {
  switch (field.type) {
    case "string":
      return withLength("z.string()", field, field.length ?? 255);
    case "text":
      return withLength("z.string()", field);
    case "email":
    case "url":
    case "phone":
    case "slug":
      return `${withLength(FORMATS[field.type].expr, field, FORMATS[field.type].maxLength)}${field.lowercase ? ".toLowerCase()" : ""}`;
    case "uuid":
      return "z.uuid()";
    case "smallint":
      return withRange("z.int()", { ...field, min: field.min ?? -32768, max: field.max ?? 32767 });
    case "integer":
      return withRange("z.int32()", field);
    case "bigint":
      return withRange("z.int()", field);
    case "number":
    case "double":
    case "real":
      return withRange("z.number()", field);
    case "decimal": {
      const precision = field.precision ?? 12;
      const scale = field.scale ?? 2;
      const limit = 10 ** (precision - scale);
      return withRange("z.number()", { ...field, min: field.min ?? -limit + 10 ** -scale, max: field.max ?? limit - 10 ** -scale });
    }
    case "money":
      return MONEY;
    case "boolean":
      return "z.boolean()";
    case "date":
      return "z.iso.date()";
    case "time":
      return "z.iso.time()";
    case "timestamp":
    case "timestamplocal":
      return "isoDateTime()";
    case "interval":
      return "z.string().max(64)";
    case "json":
      return "z.json()";
    case "binary":
    case "base64":
      return "z.base64()";
    case "enum":
      return `z.enum([${(field.enumValues ?? []).map(ts).join(", ")}])`;
  }
}

/** The zod validator for a field used as a query-string filter (`?featured=true`). */
export function zodForQuery(field: FieldIR): string {
  switch (field.type) {
    // Bounded like the column, so an out-of-range filter is a query error, not a database one.
    case "smallint":
      return "queryInt().pipe(z.int().min(-32768).max(32767))";
    case "integer":
      return "queryInt().pipe(z.int32())";
    case "bigint":
      return "queryInt()";
    case "number":
    case "double":
    case "real":
    case "decimal":
      return "queryNumber()";
    case "boolean":
      return "queryBoolean()";
    case "timestamp":
    case "timestamplocal":
      return "queryDateTime()";
    case "uuid":
      return "z.uuid()";
    case "date":
      return "z.iso.date()";
    case "time":
      return "z.iso.time()";
    case "money":
      return MONEY;
    case "enum":
      return `z.enum([${(field.enumValues ?? []).map(ts).join(", ")}])`;
    case "email":
    case "url":
    case "phone":
    case "slug":
      return `${FORMATS[field.type].expr}.max(${field.maxLength ?? FORMATS[field.type].maxLength})`;
    default:
      return "z.string().max(1024)";
  }
}

/** The runtime-lib helpers a zod expression uses. */
export function validationHelpers(expr: string): string[] {
  return ["isoDateTime", "phoneNumber", "queryBoolean", "queryDateTime", "queryInt", "queryNumber"].filter((name) => expr.includes(`${name}()`));
}

/** The TypeScript type Drizzle reads for a column of this field (what handlers see in rows). */
export function tsType(field: FieldIR): string {
  let base: string;
  switch (field.type) {
    case "smallint":
    case "integer":
    case "bigint":
    case "number":
    case "double":
    case "real":
    case "decimal":
      base = "number";
      break;
    case "boolean":
      base = "boolean";
      break;
    case "timestamp":
    case "timestamplocal":
      base = "Date";
      break;
    case "json":
      base = "unknown";
      break;
    case "enum":
      base = (field.enumValues ?? []).map(ts).join(" | ") || "string";
      break;
    default:
      base = "string";
  }
  if (field.array) base = base.includes("|") ? `(${base})[]` : `${base}[]`;
  return field.notNull ? base : `${base} | null`;
}

/** The zod validator for a path or query parameter (a string coerced to its type), with its constraints. */
export function zodForParam(field: FieldIR): string {
  let expr = zodForQuery(field);
  const numeric = ["smallint", "integer", "bigint", "number", "double", "real", "decimal"].includes(field.type);
  if (numeric && (field.min !== undefined || field.max !== undefined)) {
    expr += `.pipe(z.number()${field.min !== undefined ? `.min(${field.min})` : ""}${field.max !== undefined ? `.max(${field.max})` : ""})`;
  } else if (isFormat(field.type) || expr === "z.string().max(1024)") {
    // Strings: the format of the type (email, url, phone, slug), then the declared constraints.
    const base = isFormat(field.type) ? FORMATS[field.type] : { expr: "z.string()", maxLength: 1024 };
    expr = `${base.expr}${field.minLength !== undefined ? `.min(${field.minLength})` : ""}.max(${field.maxLength ?? base.maxLength})${field.pattern !== undefined ? `.regex(${regexLiteral(field.pattern)})` : ""}`;
  }
  if (field.default?.kind === "literal" && field.default.value !== null) return `${expr}.default(${JSON.stringify(field.type === "money" ? String(field.default.value) : field.default.value)})`;
  return field.notNull ? expr : `${expr}.optional()`;
}
