/**
 * ORDER BY and pagination of the statements emitted for `type: query` and `type: relation`.
 */
import type { EntityIR, OrderByIR, PaginationIR } from "../../ir.js";
import { comparable, visibleFields } from "../../2-analyze/handlers/common.js";
import { key, ts } from "../writer.js";
import { inputExpr, pkOf, type RouteModule } from "./inputs.js";

export interface Order {
  /** The `.orderBy(...)` arguments. */
  args: string;
  /** The request expression of a dynamic sort order (a `?sort=` string), when there is one. */
  sortExpr?: string;
}

/** Fields a `?sort=` parameter may name: the entity's visible, comparable fields. */
function sortableBlock(m: RouteModule, entity: EntityIR, table: string): void {
  const fields = visibleFields(entity).filter(comparable);
  m.top.push(`/** Fields the sort parameter may name (\`-createdAt,name\` or \`createdAt:desc\`). */\nconst sortable = {\n${fields.map((f) => `  ${key(f.name)}: ${table}.${f.name},`).join("\n")}\n};`);
}

/** The ORDER BY of a list: the configured order, then the primary key, so pages never overlap. */
export function buildOrder(m: RouteModule, entity: EntityIR, orderBy: OrderByIR | undefined, table = entity.varName): Order {
  const pk = pkOf(entity);
  if (orderBy?.kind === "input") {
    m.imports.add("../lib/pagination.js", "parseSort");
    sortableBlock(m, entity, table);
    const fallback = orderBy.default?.map((t) => `${t.direction === "desc" ? "-" : ""}${t.field}`).join(",");
    return { args: `...parseSort(sort, sortable, ${table}.${pk.name})`, sortExpr: fallback ? `${inputExpr(orderBy.input)} ?? ${ts(fallback)}` : inputExpr(orderBy.input) };
  }
  const terms = orderBy?.kind === "static" ? [...orderBy.terms] : [];
  if (!terms.some((t) => t.field === pk.name)) terms.push({ field: pk.name, direction: "asc" });
  for (const t of terms) m.imports.add("drizzle-orm", t.direction);
  return { args: terms.map((t) => `${t.direction}(${table}.${t.field})`).join(", ") };
}

/** `.limit()` and `.offset()` bound at execution: the limit is one more than the page, to know whether a next page exists. */
export function paging(m: RouteModule, pagination: PaginationIR | undefined): { chain: string[]; values: [string, string][]; respond: (rows: string) => string } {
  if (!pagination) return { chain: [], values: [], respond: (rows) => rows };
  m.imports.add("drizzle-orm", "sql").add("../lib/pagination.js", "offsetPage");
  const limit = inputExpr(pagination.limit);
  const offset = inputExpr(pagination.offset);
  return {
    chain: [`.limit(sql.placeholder("limit"))`, `.offset(sql.placeholder("offset"))`],
    values: [["limit", `${limit} + 1`], ["offset", offset]],
    respond: (rows) => `offsetPage(${rows}, ${limit}, ${offset})`,
  };
}
