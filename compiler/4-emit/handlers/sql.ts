/**
 * `type: sql` → the statement as a Drizzle `sql` template: the SQL text is fixed at compile time
 * and every placeholder becomes a bound parameter (an absent optional input is bound as NULL).
 */
import type { SqlHandlerIR } from "../../ir.js";
import { bindExpr, type RouteModule } from "./inputs.js";

/** Text inside a template literal: `\`, the backtick and `${` are escaped so the SQL arrives unchanged. */
const templateText = (text: string) => text.replace(/\\/g, "\\\\").replace(/`/g, "\\`").replace(/\$\{/g, "\\${");

export function emitSql(m: RouteModule, h: SqlHandlerIR, status: number): void {
  m.imports.add("../db/client.js", "db").add("drizzle-orm", "sql").add("../lib/queries.js", "rowsOf");
  let template = templateText(h.chunks[0]!);
  h.inputs.forEach((input, i) => {
    template += `\${${bindExpr(input)}${input.required ? "" : " ?? null"}}${templateText(h.chunks[i + 1]!)}`;
  });
  const multiline = template.includes("\n");
  const statement = multiline ? `sql\`\n${template.replace(/^\n/, "").replace(/\n?$/, "\n")}\`` : `sql\`${template}\``;
  m.lines.push(`  // The statement of ${m.ir.configFile}:${h.loc.line}${h.inputs.length ? "; the request's values are bound as parameters, never spliced into it" : ""}.`);
  m.lines.push(`  const rows = rowsOf(await db.execute(${statement}));`);
  const code = status === 200 ? "" : `, ${status}`;
  if (h.single) {
    m.imports.add("../lib/errors.js", "NotFoundError");
    m.lines.push(`  const [row] = rows;`, `  if (!row) throw new NotFoundError("No row found");`, `  return c.json(row${code});`);
  } else m.lines.push(`  return c.json(rows${code});`);
}
