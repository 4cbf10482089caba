/**
 * A view of one part of the config that the handler analyzers read: its value, and where each
 * part of it is written. Templates (`handlerTemplates:`) are views too: a template's body with
 * its `${param}` placeholders replaced by the arguments of one use, each part still pointing at
 * the text it came from (the template, or the argument at the use site).
 */
import { closest, type DiagnosticBag, type SourceLocation } from "../../diagnostics.js";
import type { ConfigPath, ParsedConfig } from "../../1-parse/parse.js";

export type Reporter = Pick<DiagnosticBag, "error" | "warn">;

export interface ConfigNode {
  /** The value (template placeholders substituted); undefined when absent. */
  readonly value: unknown;
  at(key: string | number): ConfigNode;
  loc(part?: "key" | "value"): SourceLocation;
  /** The config path of the text `value` was read from, when no template text was interpolated into it. */
  readonly path?: ConfigPath;
}

export const isRecord = (v: unknown): v is Record<string, unknown> => typeof v === "object" && v !== null && !Array.isArray(v);

function valueAt(root: unknown, path: ConfigPath): unknown {
  let v = root;
  for (const k of path) {
    if (Array.isArray(v) && typeof k === "number") v = v[k];
    else if (isRecord(v) && Object.hasOwn(v, String(k))) v = v[String(k)];
    else return undefined;
  }
  return v;
}

/** The config text at `path`. */
export function configNode(parsed: ParsedConfig, path: ConfigPath): ConfigNode {
  return {
    value: valueAt(parsed.value, path),
    path,
    at: (key) => configNode(parsed, [...path, key]),
    loc: (part) => parsed.locate(path, part),
  };
}

/** A value with no text of its own (a missing template argument): reported at `where`. */
function detached(value: unknown, where: SourceLocation): ConfigNode {
  return { value, at: (key) => detached(isRecord(value) || Array.isArray(value) ? (value as Record<string, unknown>)[key as string] : undefined, where), loc: () => where };
}

/** `${name}` placeholders of templates: plain identifiers, so `${query.x}` of SQL handlers is left alone. */
export const TEMPLATE_PARAM = /\$\{([A-Za-z_][A-Za-z0-9_]*)\}/g;
const WHOLE_PARAM = /^\$\{([A-Za-z_][A-Za-z0-9_]*)\}$/;
const MISSING = Symbol("missing");

function substitute(value: unknown, args: ReadonlyMap<string, ConfigNode>): unknown {
  if (typeof value === "string") {
    const whole = WHOLE_PARAM.exec(value);
    if (whole) return args.has(whole[1]!) ? args.get(whole[1]!)!.value : MISSING;
    return value.replace(TEMPLATE_PARAM, (text, name: string) => {
      const arg = args.get(name)?.value;
      return typeof arg === "string" || typeof arg === "number" || typeof arg === "boolean" ? String(arg) : text;
    });
  }
  if (Array.isArray(value)) return value.map((v) => substitute(v, args)).filter((v) => v !== MISSING);
  if (isRecord(value)) return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, substitute(v, args)] as const).filter(([, v]) => v !== MISSING));
  return value;
}

const hasParams = (value: unknown): boolean =>
  typeof value === "string" ? new RegExp(TEMPLATE_PARAM.source).test(value) : Array.isArray(value) ? value.some(hasParams) : isRecord(value) ? Object.values(value).some(hasParams) : false;

/** A template body seen through the arguments of one use. A placeholder with no argument removes the key it is the value of. */
export function templateNode(body: ConfigNode, args: ReadonlyMap<string, ConfigNode>): ConfigNode {
  const value = substitute(body.value, args);
  return {
    value: value === MISSING ? undefined : value,
    path: hasParams(body.value) ? undefined : body.path,
    at(key) {
      const child = body.at(key);
      const whole = typeof child.value === "string" ? WHOLE_PARAM.exec(child.value) : null;
      if (whole) return args.get(whole[1]!) ?? detached(undefined, child.loc());
      return templateNode(child, args);
    },
    loc: (part) => body.loc(part),
  };
}

/** Every `${param}` in a value: its name, the node it is in, and whether it is that node's whole value. */
export function templateUses(node: ConfigNode, out: { name: string; node: ConfigNode; whole: boolean }[] = []): { name: string; node: ConfigNode; whole: boolean }[] {
  const v = node.value;
  if (typeof v === "string") {
    const whole = WHOLE_PARAM.exec(v);
    if (whole) out.push({ name: whole[1]!, node, whole: true });
    else for (const m of v.matchAll(TEMPLATE_PARAM)) out.push({ name: m[1]!, node, whole: false });
  }
  if (Array.isArray(v)) v.forEach((_, i) => templateUses(node.at(i), out));
  if (isRecord(v)) for (const k of Object.keys(v)) templateUses(node.at(k), out);
  return out;
}

/** Reports keys of a mapping that are not in `allowed`, with a suggestion. */
export function checkKeys(node: ConfigNode, allowed: readonly string[], what: string, report: Reporter): void {
  if (!isRecord(node.value)) return;
  for (const key of Object.keys(node.value)) {
    if (allowed.includes(key)) continue;
    const s = closest(key, allowed);
    report.error("unknown-key", `unknown key "${key}" in ${what}`, node.at(key).loc("key"), s ? `did you mean "${s}"?` : `allowed here: ${allowed.join(", ")}`);
  }
}

/** A required string key; reports when it is missing or not a string. */
export function requireString(node: ConfigNode, key: string, what: string, report: Reporter, example: string): string | undefined {
  const child = node.at(key);
  if (child.value === undefined || child.value === null) {
    report.error("missing-key", `${what} needs \`${key}:\``, node.loc("key"), `add e.g. \`${key}: ${example}\``);
    return undefined;
  }
  if (typeof child.value !== "string" || child.value.trim() === "") {
    report.error("bad-value", `\`${key}\` of ${what} should be a non-empty string`, child.loc(), `write e.g. \`${key}: ${example}\``);
    return undefined;
  }
  return child.value.trim();
}

/** An optional string key. */
export function optionalString(node: ConfigNode, key: string, what: string, report: Reporter): string | undefined {
  const child = node.at(key);
  if (child.value === undefined || child.value === null) return undefined;
  if (typeof child.value !== "string") {
    report.error("bad-value", `\`${key}\` of ${what} should be a string`, child.loc());
    return undefined;
  }
  return child.value;
}
