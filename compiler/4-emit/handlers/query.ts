/**
 * `type: query` → one prepared SELECT per shape (filters sent, sort order): the WHERE, ORDER BY
 * and LIMIT are decided here; a request only binds values.
 */
import type { QueryHandlerIR } from "../../ir.js";
import { entityOf, Placeholders, selection, statementName, type RouteModule } from "./inputs.js";
import { buildOrder, paging } from "./order.js";
import { buildWhere, shapeLine, valuesObject, whereExpr } from "./where.js";

/** Declares `statement` (prepared once per shape) and returns the arguments that pick it. */
export function preparedStatement(m: RouteModule, name: string, chain: string[], shaped: boolean, sortExpr: string | undefined, prepareName: string, doc: string): string {
  const params = [...(shaped ? ["shape: string"] : []), ...(sortExpr ? ["sort: string | undefined"] : [])];
  const body = `db\n${chain.map((c) => `    ${c}`).join("\n")}\n    .prepare(${prepareName})`;
  if (params.length === 0) {
    m.imports.add("../lib/prepared.js", "direct");
    m.top.push(`/** ${doc}, prepared once. */\nconst ${name} = direct(\n  ${body},\n);`);
    return name;
  }
  m.imports.add("../lib/prepared.js", "preparedPerShape");
  m.top.push(`/** ${doc}: one prepared statement per shape (${[shaped ? "filters sent" : "", sortExpr ? "sort order" : ""].filter(Boolean).join(", ")}). */\nconst ${name} = preparedPerShape((${params.join(", ")}) =>\n  ${body},\n);`);
  return `${name}(${[...(shaped ? ["shape"] : []), ...(sortExpr ? [sortExpr] : [])].join(", ")})`;
}

export function emitQuery(m: RouteModule, h: QueryHandlerIR, status: number): void {
  const entity = entityOf(m.ir, h.entity);
  const t = entity.varName;
  m.imports.add("../db/client.js", "db").add(`../db/tables/${entity.fileName}.js`, t);
  const sel = selection(m, entity);
  const where = buildWhere(m, entity, h.filters, new Placeholders(["limit", "offset"]));
  const order = buildOrder(m, entity, h.orderBy);
  const page = paging(m, h.pagination);
  const cond = whereExpr(m, where, "    ");
  const chain = [`.select(${sel})`, `.from(${t})`, ...(cond ? [`.where(${cond})`] : []), `.orderBy(${order.args})`, ...page.chain, ...(h.single ? [".limit(1)"] : [])];
  const call = preparedStatement(m, "statement", chain, where.shape.length > 0, order.sortExpr, statementName(m.ep), h.single ? `The first ${entity.name} matching the filters` : `The ${entity.name} rows matching the filters`);
  const shape = shapeLine(where);
  if (shape) m.lines.push(shape);
  const values = valuesObject([...where.values, ...page.values]);
  const code = status === 200 ? "" : `, ${status}`;
  if (h.single) {
    m.imports.add("../lib/errors.js", "NotFoundError");
    m.lines.push(`  const [row] = await ${call}.execute(${values});`, `  if (!row) throw new NotFoundError(${JSON.stringify(`No ${entity.name} matches`)});`, `  return c.json(row${code});`);
    return;
  }
  m.lines.push(`  const rows = await ${call}.execute(${values});`, `  return c.json(${page.respond("rows")}${code});`);
}
