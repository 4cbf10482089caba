import type { ConfigString } from "../ir.js";

const ENV_REF = /\$\{([A-Za-z_][A-Za-z0-9_]*)(?::-([^}]*))?\}/g;

/** Splits `postgres://${DB_HOST:-localhost}/app` into literal text and environment references. */
export function parseConfigString(value: string): ConfigString {
  const parts: ({ text: string } | { env: string; fallback?: string })[] = [];
  let last = 0;
  for (const match of value.matchAll(ENV_REF)) {
    if (match.index > last) parts.push({ text: value.slice(last, match.index) });
    parts.push(match[2] === undefined ? { env: match[1]! } : { env: match[1]!, fallback: match[2] });
    last = match.index + match[0].length;
  }
  if (parts.length === 0) return { kind: "literal", value };
  if (last < value.length) parts.push({ text: value.slice(last) });
  return { kind: "env", parts };
}

export const hasEnvReference = (value: string) => /\$\{[A-Za-z_][A-Za-z0-9_]*(?::-[^}]*)?\}/.test(value);

/** The value of a config string in `env`, as the emitted code computes it at runtime (an empty variable takes the fallback). */
export function resolveConfigString(value: ConfigString, env: Readonly<Record<string, string | undefined>>): string {
  if (value.kind === "literal") return value.value;
  return value.parts.map((p) => ("text" in p ? p.text : p.fallback !== undefined ? env[p.env] || p.fallback : env[p.env] ?? "")).join("");
}
