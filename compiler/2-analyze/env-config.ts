/**
 * `config:`: the environment variables the app reads, typed. Each entry becomes a zod check in
 * src/env.ts, which the app runs at start (every problem listed at once), and a line of
 * .env.example. Also collects every `${VAR}` the config references, for .env.example.
 *
 *   config:
 *     STRIPE_KEY: { type: string, required: true, secret: true, description: Stripe API key }
 *     PAGE_SIZE: number = 20          # shorthand: <type>[!] [= default]
 *     PUBLIC_URL: url!
 *     FEATURE_X: false                # an optional string
 */
import { closest, type DiagnosticBag } from "../diagnostics.js";
import type { ConfigVarIR, EnvReferenceIR } from "../ir.js";
import type { ConfigPath, ParsedConfig } from "../1-parse/parse.js";
import type { RawConfig } from "./config-schema.js";
import { compareText } from "../order.js";

const TYPES = ["string", "number", "integer", "boolean", "url", "email", "enum"] as const;
type VarType = (typeof TYPES)[number];

const ENV_NAME = /^[A-Za-z_][A-Za-z0-9_]*$/;
const SHORTHAND = /^\s*([a-z]+)\s*(!)?\s*(?:=\s*(.*?))?\s*$/;
const ENV_REF = /\$\{([A-Za-z_][A-Za-z0-9_]*)(?::-([^}]*))?\}/g;

/** A default written as text (shorthand, or a string in the long form), as the variable's type. */
function typedDefault(type: VarType, raw: string | number | boolean): string | number | boolean | undefined {
  if (type === "number" || type === "integer") {
    const n = typeof raw === "number" ? raw : typeof raw === "string" && raw.trim() !== "" ? Number(raw) : NaN;
    return Number.isFinite(n) && (type === "number" || Number.isInteger(n)) ? n : undefined;
  }
  if (type === "boolean") {
    if (typeof raw === "boolean") return raw;
    const t = String(raw).toLowerCase();
    return ["true", "1", "yes", "on"].includes(t) ? true : ["false", "0", "no", "off"].includes(t) ? false : undefined;
  }
  return String(raw);
}

export function analyzeConfigVars(config: RawConfig, parsed: ParsedConfig, diagnostics: DiagnosticBag): ConfigVarIR[] {
  const out: ConfigVarIR[] = [];
  const seen = new Map<string, string>();
  for (const [name, raw] of Object.entries(config.config ?? {})) {
    const path: ConfigPath = ["config", name];
    const loc = parsed.locate(path, "key");
    if (!/^[A-Za-z_][A-Za-z0-9_]*$/.test(name)) {
      diagnostics.error("bad-config-var", `config.${name}: "${name}" is not an identifier`, loc, "name variables like environment variables, e.g. STRIPE_KEY (letters, digits, _)");
      continue;
    }
    let type: VarType = "string";
    let required = false;
    let rawDefault: string | number | boolean | undefined;
    let defaultPath: ConfigPath = path;
    const v: ConfigVarIR = { name, envVar: name, type, required, secret: false, loc };
    if (raw === true || raw === false || raw === null) {
      required = raw === true;
    } else if (typeof raw === "string") {
      const m = SHORTHAND.exec(raw);
      const t = m?.[1];
      if (!m || !(TYPES as readonly string[]).includes(t!) || t === "enum") {
        const s = t ? closest(t, TYPES) : undefined;
        diagnostics.error("bad-config-var", `config.${name}: "${raw}" is not a variable type`, parsed.locate(path), s && s !== "enum" ? `did you mean "${s}"?` : "write <type>[!] [= default] with a type of string, number, integer, boolean, url, email (e.g. `number = 20`, `url!`), or the long form for enums");
        continue;
      }
      type = t as VarType;
      required = m[2] === "!";
      rawDefault = m[3] === undefined ? undefined : m[3].replace(/^(["'])(.*)\1$/, "$2");
    } else {
      const values = raw.values ?? raw.enum;
      type = raw.type ?? (values ? "enum" : "string");
      required = raw.required === true;
      rawDefault = raw.default;
      defaultPath = [...path, "default"];
      if (values && type !== "enum") diagnostics.error("bad-config-var", `config.${name}: values are only allowed with type: enum`, parsed.locate([...path, raw.values ? "values" : "enum"], "key"), "write `type: enum`, or remove the values");
      if (type === "enum" && !values) diagnostics.error("bad-config-var", `config.${name}: an enum needs its values`, parsed.locate([...path, "type"]), "add e.g. `values: [json, pretty]`");
      if (values) v.values = values.map(String);
      if (raw.format !== undefined) {
        const numeric = type === "number" || type === "integer";
        const ok = raw.format === "port" ? numeric : type === "string";
        if (!ok) diagnostics.error("bad-config-var", `config.${name}: format ${raw.format} does not apply to a ${type}`, parsed.locate([...path, "format"]), raw.format === "port" ? "use it with type: integer" : "use it with type: string");
        v.format = raw.format;
      }
      if (raw.pattern !== undefined) {
        try {
          new RegExp(raw.pattern);
          v.pattern = raw.pattern;
        } catch (err) {
          diagnostics.error("bad-config-var", `config.${name}: pattern is not a regular expression: ${(err as Error).message}`, parsed.locate([...path, "pattern"]));
        }
        if (type !== "string") diagnostics.error("bad-config-var", `config.${name}: pattern applies to strings only`, parsed.locate([...path, "pattern"]), "use it with type: string");
      }
      const numeric = type === "number" || type === "integer";
      const min = numeric ? raw.min : raw.minLength ?? raw.min;
      const max = numeric ? raw.max : raw.maxLength ?? raw.max;
      if ((min !== undefined || max !== undefined) && !(numeric || type === "string")) {
        diagnostics.error("bad-config-var", `config.${name}: min/max apply to strings (length) and numbers only`, parsed.locate([...path, raw.min !== undefined ? "min" : raw.max !== undefined ? "max" : raw.minLength !== undefined ? "minLength" : "maxLength"], "key"));
      }
      if (min !== undefined) v.min = min;
      if (max !== undefined) v.max = max;
      if (raw.secret) v.secret = true;
      if (raw.description !== undefined) v.description = raw.description;
      if (raw.example !== undefined) {
        if (raw.secret) diagnostics.error("bad-config-var", `config.${name} is a secret: it cannot have an example value`, parsed.locate([...path, "example"], "key"), "remove `example:`; describe the value in `description:` instead");
        else v.example = String(raw.example);
      }
      if (raw.envVar !== undefined) v.envVar = raw.envVar;
      if (raw.secret && rawDefault !== undefined) diagnostics.error("bad-config-var", `config.${name} is a secret: a default would put its value in the config and in src/`, parsed.locate([...path, "default"], "key"), "remove the default and set the variable in the environment (.env for local runs)");
    }
    v.type = type;
    if (!ENV_NAME.test(v.envVar)) diagnostics.error("bad-config-var", `config.${name}: "${v.envVar}" is not an environment variable name`, loc);
    const clash = seen.get(v.envVar);
    if (clash) diagnostics.error("bad-config-var", `config.${name} and config.${clash} both read ${v.envVar}`, loc, "remove one of them");
    seen.set(v.envVar, name);
    if (rawDefault !== undefined) {
      const value = typedDefault(type, rawDefault);
      const bad = value === undefined || (type === "enum" && v.values && !v.values.includes(String(value)));
      if (bad) diagnostics.error("bad-config-var", `config.${name}: the default ${JSON.stringify(rawDefault)} is not ${type === "enum" ? `a value of the enum (${v.values?.join(", ")})` : `${/^[aeiou]/.test(type) ? "an" : "a"} ${type}`}`, parsed.locate(defaultPath), "change the default or the type");
      else v.default = value;
      if (required && !bad) diagnostics.warn("bad-config-var", `config.${name} is required and has a default: the default is used when it is unset, so it is never missing`, loc, "drop `required` (or `!`), or the default");
    }
    v.required = required && v.default === undefined;
    out.push(v);
  }
  return out.sort((a, b) => compareText(a.envVar, b.envVar));
}

/** Keys whose values are handler code and templates: their `${…}` are the code's own placeholders, not environment references. */
const CODE_KEYS = new Set(["handler", "handlerTemplates"]);

/**
 * Calls `visit` on every string of the config outside handler code that holds a `$` (a reference
 * needs one), with its path. One path array is extended and shortened during the walk; a copy is
 * made only for the strings visited.
 */
function eachDollarString(value: unknown, visit: (text: string, path: (string | number)[]) => void): void {
  const path: (string | number)[] = [];
  const walk = (v: unknown): void => {
    if (typeof v === "string") {
      if (v.includes("$")) visit(v, [...path]);
    } else if (Array.isArray(v)) {
      for (let i = 0; i < v.length; i++) {
        path.push(i);
        walk(v[i]);
        path.pop();
      }
    } else if (v && typeof v === "object") {
      for (const [k, child] of Object.entries(v)) {
        if (CODE_KEYS.has(k)) continue;
        path.push(k);
        walk(child);
        path.pop();
      }
    }
  };
  walk(value);
}

/** Every `${VAR}` in the config's strings, with the config path that holds it. */
export function collectEnvReferences(value: unknown, parsed: ParsedConfig): EnvReferenceIR[] {
  const out: EnvReferenceIR[] = [];
  eachDollarString(value, (text, path) => {
    for (const m of text.matchAll(ENV_REF)) out.push({ env: m[1]!, ...(m[2] !== undefined ? { fallback: m[2] } : {}), path: path.join("."), loc: parsed.locate(path) });
  });
  return out.sort((a, b) => compareText(a.env, b.env) || compareText(a.path, b.path));
}

/** `${VAR`, `${1X}`, `${A-B}`: references that look meant but are not read (the text stays literal). */
export function checkEnvReferenceSyntax(value: unknown, parsed: ParsedConfig, diagnostics: DiagnosticBag): void {
  eachDollarString(value, (text, path) => {
    const bad = /\$\{[^}]*\}?/.exec(text.replace(ENV_REF, ""));
    if (bad) diagnostics.warn("bad-env-reference", `"${bad[0]}" in ${path.join(".")} is not a \${VAR} reference: it stays literal text`, parsed.locate(path), "write ${NAME} or ${NAME:-default}, with NAME made of letters, digits and _ (not starting with a digit)");
  });
}
