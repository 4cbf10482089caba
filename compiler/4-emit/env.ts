import type { ConfigString } from "../ir.js";
import { ts } from "./writer.js";

/**
 * A config string as a TypeScript expression read at runtime. `${VAR}` becomes
 * `process.env.VAR`, so secrets stay in the environment and never reach src/.
 */
export function envExpression(value: ConfigString): string {
  if (value.kind === "literal") return ts(value.value);
  const parts = value.parts.map((p) => ("text" in p ? ts(p.text) : p.fallback !== undefined ? `(process.env.${p.env} || ${ts(p.fallback)})` : `process.env.${p.env}`));
  if (parts.length === 1) return parts[0]!;
  return `[${parts.map((p) => (p.startsWith("process.env.") ? `${p} ?? ""` : p)).join(", ")}].join("")`;
}

/** The variables a config string reads that have no fallback: what must be set for it to have a value. */
export function requiredVariables(value: ConfigString): string[] {
  return value.kind === "env" ? value.parts.flatMap((p) => ("env" in p && p.fallback === undefined ? [p.env] : [])) : [];
}

/** Same, as a number (`PORT`, pool sizes). */
export function envNumber(value: ConfigString | number, fallback: number): string {
  if (typeof value === "number") return String(value);
  if (value.kind === "literal") return String(Number(value.value) || fallback);
  return `Number(${envExpression(value)} ?? ${fallback})`;
}

/** A config string as an expression of type `string` (an unset variable without a fallback reads as ""). */
export function envText(value: ConfigString): string {
  const expr = envExpression(value);
  if (value.kind === "literal" || expr.startsWith("(") || expr.startsWith("[")) return expr;
  return `(${expr} ?? "")`;
}
