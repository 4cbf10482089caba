/**
 * `type: relation` → the related rows of one parent, by relation kind:
 *   belongsTo / hasOne   one statement: the parent LEFT JOIN its related row (404 for either missing)
 *   hasMany              the rows whose foreign key holds the parent's id; the parent's existence
 *                        is checked only when there are none (404)
 *   manyToMany           the target rows joined through the junction; likewise
 * Soft-deleted rows count as missing on both sides.
 */
import type { EntityIR, RelationHandlerIR } from "../../ir.js";
import { junctionSides } from "../../ir-lookup.js";
import { junctionFile } from "../db-schema.js";
import { key } from "../writer.js";
import { entityOf, inputExpr, pkOf, selection, statementName, type RouteModule } from "./inputs.js";
import { buildOrder, paging } from "./order.js";
import { preparedStatement } from "./query.js";
import { policyConditions, valuesObject } from "./where.js";

/**
 * `cond`, with the soft-delete test of `entity` (read through `table`) when it has one, and the
 * row policy of its CRUD list (caller values bound by name, added to `values`).
 */
function live(m: RouteModule, entity: EntityIR, table: string, cond: string, values: [string, string][]): string {
  const extra: string[] = [];
  if (entity.softDelete) {
    m.imports.add("drizzle-orm", "isNull");
    extra.push(`isNull(${table}.${entity.softDelete.field})`);
  }
  // A policy's conditions name the entity's table; through an alias they would test the other side.
  const policy = policyConditions(m, entity, values);
  extra.push(...(table === entity.varName ? policy : policy.map((c) => c.replace(`(${entity.varName}.`, `(${table}.`))));
  if (extra.length === 0) return cond;
  m.imports.add("drizzle-orm", "and");
  return `and(${[cond, ...extra].join(", ")})`;
}

export function emitRelation(m: RouteModule, h: RelationHandlerIR, status: number): void {
  const { imports } = m;
  const parent = entityOf(m.ir, h.entity);
  const rel = parent.relations.find((r) => r.name === h.relation)!;
  const target = entityOf(m.ir, rel.target);
  const p = parent.varName;
  const ppk = pkOf(parent);
  const tpk = pkOf(target);
  const id = inputExpr(h.parentId);
  const code = status === 200 ? "" : `, ${status}`;
  imports.add("../db/client.js", "db").add("drizzle-orm", "eq", "sql").add(`../db/tables/${parent.fileName}.js`, p).add(`../db/tables/${target.fileName}.js`, target.varName).add("../lib/errors.js", "NotFoundError");
  const parentMissing = `throw new NotFoundError(\`${parent.name} \${${id}} not found\`);`;
  /** The caller values the parent's and the related rows' policies bind (none without policies). */
  const parentValues: [string, string][] = [];
  const byParentId = live(m, parent, p, `eq(${p}.${ppk.name}, sql.placeholder("id"))`, parentValues);
  // belongsTo and hasOne read parent and related row in one statement; the others read the rows alone.
  const rowValues: [string, string][] = rel.kind === "belongsTo" || rel.kind === "hasOne" ? [...parentValues] : [];

  if (rel.kind === "belongsTo" || rel.kind === "hasOne") {
    // A relation to the same entity reads the related row through an alias.
    let t = target.varName;
    if (target === parent) {
      imports.add("drizzle-orm/pg-core", "alias");
      t = "related";
      m.top.push(`/** ${target.name} again, as the related row. */\nconst related = alias(${target.varName}, "related");`);
    }
    const visible = target.fields.filter((f) => !f.writeOnly && !f.sensitive && f.name !== target.softDelete?.field);
    const join = rel.kind === "belongsTo" ? `eq(${t}.${tpk.name}, ${p}.${rel.foreignKey})` : `eq(${t}.${rel.foreignKey}, ${p}.${ppk.name})`;
    m.top.push(`/** ${parent.name} by id, with its ${rel.name} (${rel.kind} ${target.name}); \`related\` is null when it has none. */
const statement = db
  .select({
    found: ${p}.${ppk.name},
    related: {
${visible.map((f) => `      ${key(f.name)}: ${t}.${f.name},`).join("\n")}
    },
  })
  .from(${p})
  .leftJoin(${t}, ${live(m, target, t, join, rowValues)})
  .where(${byParentId})
  .orderBy(${(imports.add("drizzle-orm", "asc"), `asc(${t}.${tpk.name})`)})
  .limit(1)
  .prepare(${statementName(m.ep)});`);
    m.lines.push(
      `  const [row] = await statement.execute(${valuesObject([["id", id], ...rowValues])});`,
      `  if (!row) ${parentMissing}`,
      `  if (!row.related) throw new NotFoundError(\`${parent.name} \${${id}} has no ${rel.name}\`);`,
      `  return c.json(row.related${code});`,
    );
    return;
  }

  imports.add("../lib/prepared.js", "direct");
  m.top.push(`/** Whether the parent ${parent.name} exists. */\nconst parent = direct(db.select({ found: ${p}.${ppk.name} }).from(${p}).where(${byParentId}).prepare(${statementName(m.ep, "_parent")}));`);
  const order = buildOrder(m, target, h.orderBy);
  const page = paging(m, h.pagination);
  let chain: string[];
  const t = target.varName;
  if (rel.kind === "hasMany") {
    const sel = selection(m, target);
    chain = [`.select(${sel})`, `.from(${t})`, `.where(${live(m, target, t, `eq(${t}.${rel.foreignKey}, sql.placeholder("id"))`, rowValues)})`];
  } else {
    const { junction: j, mine: side, theirs: other } = junctionSides(rel);
    imports.add(`../db/tables/${junctionFile(j)}.js`, j.varName);
    const sel = selection(m, target, "columns", true);
    chain = [`.select(${sel})`, `.from(${t})`, `.innerJoin(${j.varName}, eq(${j.varName}.${other.field}, ${t}.${tpk.name}))`, `.where(${live(m, target, t, `eq(${j.varName}.${side.field}, sql.placeholder("id"))`, rowValues)})`];
  }
  chain.push(`.orderBy(${order.args})`, ...page.chain);
  const call = preparedStatement(m, "statement", chain, false, order.sortExpr, statementName(m.ep), `The ${target.name} rows of one ${parent.name} (${parent.name}.${rel.name}, ${rel.kind})`);
  // Rows first: the parent's existence is only in question when there are none (one query, not two).
  m.lines.push(
    `  const rows = await ${call}.execute(${valuesObject([["id", id], ...rowValues, ...page.values])});`,
    `  if (rows.length === 0) {`,
    `    const [found] = await parent.execute(${valuesObject([["id", id], ...parentValues])});`,
    `    if (!found) ${parentMissing}`,
    `  }`,
    `  return c.json(${page.respond("rows")}${code});`,
  );
}
