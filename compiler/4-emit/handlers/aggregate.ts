/**
 * `type: aggregate` → one prepared SELECT of aggregates (per shape of the filters sent). The
 * values are numbers: count and sum are never null (sum of no rows is 0), avg, min and max are
 * null over no rows. PostgreSQL sends bigint and numeric results as text; they are decoded here
 * (the sum of a bigint column stays text past 2^53, where a number would be rounded).
 */
import type { AggregateHandlerIR } from "../../ir.js";
import { key } from "../writer.js";
import { entityOf, Placeholders, statementName, type RouteModule } from "./inputs.js";
import { preparedStatement } from "./query.js";
import { buildWhere, shapeLine, valuesObject, whereExpr } from "./where.js";

export function emitAggregate(m: RouteModule, h: AggregateHandlerIR, status: number): void {
  const { imports } = m;
  const entity = entityOf(m.ir, h.entity);
  const t = entity.varName;
  imports.add("../db/client.js", "db").add(`../db/tables/${entity.fileName}.js`, t);
  const fields = [
    ...h.groupBy.map((g) => `  ${key(g)}: ${t}.${g},`),
    ...h.operations.map((op) => {
      const col = op.field === undefined ? undefined : `${t}.${op.field}`;
      let expr: string;
      switch (op.fn) {
        case "count":
          imports.add("drizzle-orm", "count");
          expr = col ? `count(${col})` : "count()";
          break;
        case "sum": {
          imports.add("drizzle-orm", "sql");
          // The sum of a bigint column can pass 2^53: exact digits as text then, not a rounded number.
          const big = entity.fields.find((f) => f.name === op.field)?.type === "bigint";
          if (big) imports.add("../lib/queries.js", "integerOrText");
          expr = big ? `sql<number | string>\`coalesce(sum(\${${col}}), 0)\`.mapWith(integerOrText)` : `sql<number>\`coalesce(sum(\${${col}}), 0)\`.mapWith(Number)`;
          break;
        }
        case "avg":
          imports.add("drizzle-orm", "sql").add("../lib/queries.js", "numberOrNull");
          expr = `sql\`avg(\${${col}})\`.mapWith(numberOrNull)`;
          break;
        default:
          // min/max decode like the column itself (numbers stay numbers, timestamps become dates).
          imports.add("drizzle-orm", op.fn);
          expr = `${op.fn}(${col})`;
      }
      return `  ${key(op.alias)}: ${expr},`;
    }),
  ];
  m.top.push(`/** The result of ${m.ep.method} ${m.ep.path}${h.groupBy.length ? `, one row per ${h.groupBy.join(", ")}` : ""}. */\nconst aggregates = {\n${fields.join("\n")}\n};`);
  const where = buildWhere(m, entity, h.filters, new Placeholders());
  const cond = whereExpr(m, where, "    ");
  const chain = [".select(aggregates)", `.from(${t})`, ...(cond ? [`.where(${cond})`] : [])];
  if (h.groupBy.length) {
    imports.add("drizzle-orm", "asc");
    chain.push(`.groupBy(${h.groupBy.map((g) => `${t}.${g}`).join(", ")})`, `.orderBy(${h.groupBy.map((g) => `asc(${t}.${g})`).join(", ")})`);
  }
  const call = preparedStatement(m, "statement", chain, where.shape.length > 0, undefined, statementName(m.ep), `The aggregates of ${entity.name}`);
  const shape = shapeLine(where);
  if (shape) m.lines.push(shape);
  const code = status === 200 ? "" : `, ${status}`;
  if (h.groupBy.length) m.lines.push(`  const rows = await ${call}.execute(${valuesObject(where.values)});`, `  return c.json(rows${code});`);
  // Without GROUP BY an aggregate query returns exactly one row.
  else m.lines.push(`  const [result] = await ${call}.execute(${valuesObject(where.values)});`, `  return c.json(result${code});`);
}
