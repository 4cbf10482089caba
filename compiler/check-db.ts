/**
 * `yamac check --db`: every `type: sql` handler's statement is prepared against a real
 * database (Parse and Describe only: nothing is executed) and PostgreSQL's errors are reported
 * as diagnostics at their position in yama.yaml. Off unless asked for.
 */
import postgres from "postgres";
import type { Diagnostic } from "./diagnostics.js";
import type { ProjectIR, SqlHandlerIR } from "./ir.js";
import { positionIn } from "./2-analyze/handlers/sql.js";

/** The offset in the statement as written of an offset in its `$n` form. */
export function writtenOffset(h: SqlHandlerIR, offset: number): number {
  let shift = 0;
  for (const p of h.placeholders) {
    if (p.at > offset) break;
    if (offset < p.at + p.length) return p.at + shift;
    shift += p.replaced - p.length;
  }
  return offset + shift;
}

interface PgError {
  message: string;
  code?: string;
  position?: string;
  hint?: string;
}

/** Prepares each sql handler's statement; returns one diagnostic per statement PostgreSQL rejects. */
export async function checkSqlHandlers(ir: ProjectIR, url: string): Promise<Diagnostic[]> {
  const handlers = ir.endpoints.flatMap((e) => (e.handler.kind === "sql" ? [{ endpoint: e, h: e.handler }] : []));
  const out: Diagnostic[] = [];
  if (handlers.length === 0) return out;
  const sql = postgres(url, { max: 1, onnotice: () => {}, connect_timeout: 10 });
  try {
    for (const { endpoint, h } of handlers) {
      try {
        await sql.unsafe(h.positional, [], { prepare: true }).describe();
      } catch (err) {
        const e = err as PgError;
        if (e.code === undefined || !/^[0-9A-Z]{5}$/.test(e.code)) throw err;
        const at = e.position === undefined ? undefined : writtenOffset(h, Number(e.position) - 1);
        const token = at === undefined ? 1 : (/^[\w$.]+/.exec(h.text.slice(at))?.[0].length ?? 1);
        out.push({
          severity: "error",
          code: "sql-error",
          message: `PostgreSQL rejects the statement of ${endpoint.method} ${endpoint.path}: ${e.message} (${e.code})`,
          hint: e.hint,
          location: at === undefined ? h.loc : positionIn(h.text, h.lines, h.loc, at, token),
        });
      }
    }
  } finally {
    await sql.end({ timeout: 5 });
  }
  return out;
}
