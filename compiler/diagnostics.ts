/**
 * Diagnostics: every phase reports problems here instead of throwing, so one compile
 * reports all errors at once. A diagnostic always carries a file:line:col.
 */
import { compareText } from "./order.js";

export interface SourceLocation {
  /** Path of the config file as the user named it (relative to the project). */
  file: string;
  /** 1-based. */
  line: number;
  /** 1-based. */
  col: number;
  /** Length of the highlighted span in characters (at least 1). */
  length?: number;
}

export type Severity = "error" | "warning";

export interface Diagnostic {
  severity: Severity;
  /** Stable identifier, e.g. "unknown-type". Listed in docs/diagnostics.md. */
  code: string;
  /** What is wrong, in one sentence. */
  message: string;
  /** How to fix it. */
  hint?: string;
  location: SourceLocation;
}

export class DiagnosticBag {
  readonly items: Diagnostic[] = [];

  error(code: string, message: string, location: SourceLocation, hint?: string): void {
    this.items.push({ severity: "error", code, message, location, hint });
  }

  warn(code: string, message: string, location: SourceLocation, hint?: string): void {
    this.items.push({ severity: "warning", code, message, location, hint });
  }

  get hasErrors(): boolean {
    return this.items.some((d) => d.severity === "error");
  }

  /** Sorted by position so output is stable and reads top to bottom. */
  sorted(): Diagnostic[] {
    return [...this.items].sort(
      (a, b) =>
        compareText(a.location.file, b.location.file) ||
        a.location.line - b.location.line ||
        a.location.col - b.location.col ||
        compareText(a.message, b.message),
    );
  }
}

/** Edit distance counting a swap of two neighbouring letters as one edit (the commonest typo); capped for speed. */
function distance(a: string, b: string): number {
  const m = a.length;
  const n = b.length;
  if (Math.abs(m - n) > 3) return 99;
  const d = Array.from({ length: m + 1 }, (_, i) => Array.from({ length: n + 1 }, (_, j) => (i === 0 ? j : j === 0 ? i : 0)));
  for (let i = 1; i <= m; i++) {
    for (let j = 1; j <= n; j++) {
      d[i]![j] = Math.min(d[i - 1]![j]! + 1, d[i]![j - 1]! + 1, d[i - 1]![j - 1]! + (a[i - 1] === b[j - 1] ? 0 : 1));
      if (i > 1 && j > 1 && a[i - 1] === b[j - 2] && a[i - 2] === b[j - 1]) d[i]![j] = Math.min(d[i]![j]!, d[i - 2]![j - 2]! + 1);
    }
  }
  return d[m]![n]!;
}

/** The closest candidate to a misspelt name, or undefined when nothing is close. */
export function closest(name: string, candidates: Iterable<string>): string | undefined {
  const lower = name.toLowerCase();
  let best: string | undefined;
  let bestScore = Infinity;
  for (const candidate of candidates) {
    const score = candidate.toLowerCase() === lower ? 0 : distance(lower, candidate.toLowerCase());
    if (score < bestScore) {
      best = candidate;
      bestScore = score;
    }
  }
  const limit = Math.max(1, Math.min(3, Math.floor(name.length / 3)));
  return bestScore <= limit ? best : undefined;
}

export function didYouMean(name: string, candidates: Iterable<string>): string | undefined {
  const match = closest(name, candidates);
  return match === undefined ? undefined : `did you mean "${match}"?`;
}

interface FormatOptions {
  color: boolean;
  /** The config text, to print the offending line under each diagnostic. */
  sources?: ReadonlyMap<string, string>;
}

/**
 * Formats diagnostics the way compilers users know do:
 *
 *   yama.yaml:12:13: error: unknown type "strng" [unknown-type]
 *      12 |       name: strng!
 *         |             ^^^^^
 *     = hint: did you mean "string"?
 */
export function formatDiagnostics(diagnostics: readonly Diagnostic[], options: FormatOptions): string {
  const paint = (code: string, text: string) => (options.color ? `\x1b[${code}m${text}\x1b[0m` : text);
  const out: string[] = [];
  const lines = new Map<string, string[]>();
  const lineOf = (file: string, line: number) => {
    let all = lines.get(file);
    if (all === undefined) {
      all = options.sources?.get(file)?.split(/\r?\n/) ?? [];
      lines.set(file, all);
    }
    return all[line - 1];
  };
  for (const d of diagnostics) {
    const { file, line, col, length = 1 } = d.location;
    const label = d.severity === "error" ? paint("1;31", "error") : paint("1;33", "warning");
    out.push(`${paint("1", `${file}:${line}:${col}`)}: ${label}: ${d.message} ${paint("2", `[${d.code}]`)}`);
    const text = lineOf(file, line);
    if (text !== undefined) {
      const gutter = String(line).length;
      out.push(`  ${String(line)} | ${text}`);
      out.push(`  ${" ".repeat(gutter)} | ${" ".repeat(Math.max(0, col - 1))}${paint(d.severity === "error" ? "31" : "33", "^".repeat(Math.max(1, Math.min(length, text.length - col + 1))))}`);
    }
    if (d.hint) out.push(`  = hint: ${d.hint}`);
  }
  const errors = diagnostics.filter((d) => d.severity === "error").length;
  const warnings = diagnostics.length - errors;
  if (diagnostics.length > 0) {
    const parts = [];
    if (errors) parts.push(`${errors} error${errors === 1 ? "" : "s"}`);
    if (warnings) parts.push(`${warnings} warning${warnings === 1 ? "" : "s"}`);
    out.push(parts.join(", "));
  }
  return out.join("\n");
}
