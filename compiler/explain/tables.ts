/**
 * The Drizzle tables of a project, built in memory from the IR with the same column names the
 * emitted src/db/tables modules declare. `yamac explain` renders the routes' statements with
 * Drizzle's own SQL generator against them, so the text is what the emitted builders produce.
 */
import { pgTable, bigint, boolean, date, doublePrecision, integer, interval, jsonb, numeric, real, smallint, text, time, timestamp, uuid, varchar, type PgColumnBuilderBase, type PgTableWithColumns } from "drizzle-orm/pg-core";
import type { EntityIR, FieldIR, JunctionIR, ProjectIR } from "../ir.js";
import { columnCode } from "../4-emit/column-types.js";

// eslint-disable-next-line @typescript-eslint/no-explicit-any -- a table whose columns are only known at run time
export type AnyTable = PgTableWithColumns<any>;

function column(field: FieldIR): PgColumnBuilderBase {
  const name = field.column;
  let builder: PgColumnBuilderBase;
  switch (columnCode(field).builder) {
    case "varchar": builder = varchar(name); break;
    case "uuid": builder = uuid(name); break;
    case "smallint": builder = smallint(name); break;
    case "integer": builder = integer(name); break;
    case "bigint": builder = bigint(name, { mode: "number" }); break;
    case "doublePrecision": builder = doublePrecision(name); break;
    case "real": builder = real(name); break;
    case "numeric": builder = numeric(name); break;
    case "boolean": builder = boolean(name); break;
    case "date": builder = date(name); break;
    case "time": builder = time(name); break;
    case "timestamp": builder = timestamp(name, { withTimezone: field.type === "timestamp" }); break;
    case "interval": builder = interval(name); break;
    case "jsonb": builder = jsonb(name); break;
    default: builder = text(name);
  }
  return field.primary ? (builder as ReturnType<typeof text>).primaryKey() : builder;
}

export interface Tables {
  entity(name: string): AnyTable;
  junction(j: JunctionIR): AnyTable;
}

export function buildTables(ir: ProjectIR): Tables {
  const byEntity = new Map<string, AnyTable>();
  for (const e of ir.entities) byEntity.set(e.name, tableOf(e));
  const byJunction = new Map<string, AnyTable>();
  for (const j of ir.junctions) {
    byJunction.set(j.table, pgTable(j.table, { [j.from.field]: text(j.from.column), [j.to.field]: text(j.to.column) }) as AnyTable);
  }
  return {
    entity: (name) => byEntity.get(name)!,
    junction: (j) => byJunction.get(j.table)!,
  };
}

function tableOf(entity: EntityIR): AnyTable {
  return pgTable(entity.table, Object.fromEntries(entity.fields.map((f) => [f.name, column(f)]))) as AnyTable;
}
