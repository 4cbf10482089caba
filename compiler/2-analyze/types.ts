import type { BaseType } from "../ir.js";

/** Every type name a config may use, folded onto the IR's base types. */
export const TYPE_ALIASES: Readonly<Record<string, BaseType>> = {
  string: "string", varchar: "string", text: "text", email: "email", url: "url", uri: "url", phone: "phone", slug: "slug", uuid: "uuid",
  int: "integer", integer: "integer", int32: "integer", uint: "integer", serial: "integer",
  int8: "smallint", int16: "smallint", smallint: "smallint",
  int64: "bigint", bigint: "bigint", bigserial: "bigint",
  number: "number", decimal: "decimal", numeric: "decimal", money: "money",
  float: "real", real: "real", float4: "real", double: "double", float8: "double",
  boolean: "boolean", bool: "boolean",
  date: "date", time: "time",
  timestamp: "timestamp", timestamptz: "timestamp", datetime: "timestamp", datetimetz: "timestamp",
  timestamplocal: "timestamplocal", datetimelocal: "timestamplocal",
  interval: "interval", duration: "interval",
  json: "json", jsonb: "json", object: "json",
  binary: "binary", bytes: "binary", bytea: "binary", base64: "base64",
  enum: "enum",
};

/** The base type a type name stands for; own keys only, so `toString` or `constructor` is not a type. */
export const baseTypeOf = (name: string): BaseType | undefined => (Object.hasOwn(TYPE_ALIASES, name) ? TYPE_ALIASES[name] : undefined);

export const STRING_TYPES: ReadonlySet<BaseType> = new Set(["string", "text", "email", "url", "phone", "slug"]);
export const INTEGER_TYPES: ReadonlySet<BaseType> = new Set(["smallint", "integer", "bigint"]);
export const NUMERIC_TYPES: ReadonlySet<BaseType> = new Set(["smallint", "integer", "bigint", "number", "decimal", "money", "real", "double"]);

export interface TypeParams {
  length?: number;
  minLength?: number;
  maxLength?: number;
  min?: number;
  max?: number;
  pattern?: string;
  precision?: number;
  scale?: number;
  enumValues?: string[];
}

/** Reads `(3..50)`, `(100)`, `(/re/)`, `(10, 2)`, `(min: 0, max: 9)`, `(a, b)` for a base type. */
export function parseTypeParams(type: BaseType, raw: string): { params: TypeParams; error?: string } {
  const params: TypeParams = {};
  const text = raw.trim();
  if (type === "enum") {
    const values = text.split(",").map((v) => v.trim().replace(/^(["'])(.*)\1$/, "$2")).filter((v) => v !== "");
    if (values.length === 0) return { params, error: "an enum needs at least one value, e.g. enum(draft, published)" };
    if (new Set(values).size !== values.length) return { params, error: "an enum value is listed twice" };
    params.enumValues = values;
    return { params };
  }
  if (text.startsWith("/") && text.endsWith("/") && text.length > 2) {
    if (!STRING_TYPES.has(type)) return { params, error: `a pattern is only allowed on string types, not ${type}` };
    params.pattern = text.slice(1, -1);
    return { params };
  }
  const range = /^(-?\d+(?:\.\d+)?)?\s*\.\.\s*(-?\d+(?:\.\d+)?)?$/.exec(text);
  if (range) {
    const lo = range[1] === undefined ? undefined : Number(range[1]);
    const hi = range[2] === undefined ? undefined : Number(range[2]);
    if (lo !== undefined && hi !== undefined && lo > hi) return { params, error: `the range ${text} is empty: the lower bound is above the upper bound` };
    if (STRING_TYPES.has(type)) {
      params.minLength = lo;
      params.maxLength = hi;
    } else if (NUMERIC_TYPES.has(type)) {
      params.min = lo;
      params.max = hi;
    } else return { params, error: `a range is not allowed on ${type}` };
    return { params };
  }
  const parts = text.split(",").map((p) => p.trim()).filter((p) => p !== "");
  const positional: number[] = [];
  for (const part of parts) {
    const named = /^(\w+)\s*:\s*(.+)$/.exec(part);
    if (named) {
      const key = named[1]!;
      const value = Number(named[2]);
      if (!["min", "max", "minLength", "maxLength", "length", "precision", "scale"].includes(key)) {
        if (type === "money") continue; // money(usd) currency codes are documentation only
        return { params, error: `"${key}" is not a type parameter; use min, max, minLength, maxLength, length, precision or scale` };
      }
      if (!Number.isFinite(value)) return { params, error: `${key} must be a number` };
      (params as Record<string, number>)[key] = value;
    } else if (/^-?\d+$/.test(part)) {
      positional.push(Number(part));
    } else if (type === "money" && /^[A-Za-z]{3}$/.test(part)) {
      continue;
    } else {
      return { params, error: `cannot read "${part}" as a type parameter` };
    }
  }
  if (positional.length > 0) {
    if (type === "decimal" || type === "money") {
      params.precision = positional[0];
      if (positional[1] !== undefined) params.scale = positional[1];
      if (positional.length > 2) return { params, error: "decimal takes (precision, scale)" };
    } else if (STRING_TYPES.has(type)) {
      if (positional.length > 1) return { params, error: `${type} takes one length, e.g. ${type}(100)` };
      params.length = positional[0];
      params.maxLength = positional[0];
    } else {
      return { params, error: `${type} does not take positional parameters` };
    }
  }
  if (params.scale !== undefined && params.precision !== undefined && params.scale > params.precision) {
    return { params, error: "the scale of a decimal cannot exceed its precision" };
  }
  return { params };
}

/** A money amount as it travels (a decimal string, up to 15 digits and 4 decimals): bodies, queries and defaults. */
export const MONEY_PATTERN = /^-?\d{1,15}(\.\d{1,4})?$/;

/** English plurals the suffix rules get wrong: `Person` is served at /people, as Rails and Django users expect. */
const IRREGULAR_PLURALS: Readonly<Record<string, string>> = {
  person: "people", child: "children", man: "men", woman: "women", mouse: "mice", goose: "geese", foot: "feet", tooth: "teeth", ox: "oxen",
  leaf: "leaves", life: "lives", knife: "knives", wife: "wives", half: "halves", shelf: "shelves", wolf: "wolves", thief: "thieves", loaf: "loaves",
  analysis: "analyses", crisis: "crises", thesis: "theses", criterion: "criteria", phenomenon: "phenomena", series: "series", species: "species",
};

/** The plural of an English word, irregular ones included (`person` → `people`): what URL paths use. */
export function pluralize(word: string): string {
  const irregular = IRREGULAR_PLURALS[word.toLowerCase()];
  if (irregular !== undefined) return word[0] === word[0]!.toUpperCase() ? irregular[0]!.toUpperCase() + irregular.slice(1) : irregular;
  return regularPlural(word);
}

const IRREGULAR_SINGULARS: Readonly<Record<string, string>> = Object.fromEntries(Object.entries(IRREGULAR_PLURALS).map(([one, many]) => [many, one]));

/** The singular of a lower-case English plural, irregular ones included (`people` → `person`, `categories` → `category`). */
export function singularize(word: string): string {
  const irregular = IRREGULAR_SINGULARS[word];
  if (irregular !== undefined) return irregular;
  if (/[^aeiou]ies$/.test(word)) return word.slice(0, -3) + "y";
  if (/(s|x|z|ch|sh)es$/.test(word)) return word.slice(0, -2);
  if (/[^s]s$/.test(word)) return word.slice(0, -1);
  return word;
}

/** The suffix rules alone (`person` → `persons`): default table names keep them, so a table never changes name. */
export function regularPlural(word: string): string {
  if (/[^aeiou]y$/i.test(word)) return word.slice(0, -1) + "ies";
  if (/(s|x|z|ch|sh)$/i.test(word)) return word + "es";
  return word + "s";
}

/** Words by name: the same few names (entities, fields) are split many times per compile. */
const words = new Map<string, readonly string[]>();

/** The words of a name, lower case: `BlogPost` → blog, post; `created_at` → created, at. A new array each call. */
export function wordsOf(name: string): string[] {
  let found = words.get(name);
  if (found === undefined) {
    found = name
      .replace(/([a-z0-9])([A-Z])/g, "$1 $2")
      .replace(/([A-Z]+)([A-Z][a-z])/g, "$1 $2")
      .split(/[\s_-]+/)
      .filter((w) => w !== "")
      .map((w) => w.toLowerCase());
    if (words.size > 100_000) words.clear();
    words.set(name, found);
  }
  return [...found];
}

export const snakeCase = (name: string) => wordsOf(name).join("_");
export const kebabCase = (name: string) => wordsOf(name).join("-");
export const camelCase = (name: string) => wordsOf(name).map((w, i) => (i === 0 ? w : w[0]!.toUpperCase() + w.slice(1))).join("");
export const pascalCase = (name: string) => wordsOf(name).map((w) => w[0]!.toUpperCase() + w.slice(1)).join("");

/** Pluralises the last word only: BlogPost → blog_posts, Category → categories. */
export function pluralWords(name: string, irregular = true): string[] {
  const words = wordsOf(name);
  words[words.length - 1] = (irregular ? pluralize : regularPlural)(words[words.length - 1]!);
  return words;
}
