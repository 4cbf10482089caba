/**
 * Path parameters checked with the precompiled regular expressions of runtime-lib/params.ts
 * (uuidParam, intParam, …): cheaper per request than a zod object over `c.req.param()`, and the
 * same 400 (VALIDATION_PARAMS naming the parameter) in every kind of route.
 */
import type { FieldIR } from "../ir.js";
import { type Imports, ts } from "./writer.js";

/** The expression reading and checking path parameter `name`, whose values are `field`'s. */
export function pathParam(field: FieldIR, name: string, imports: Imports): string {
  const args = (extra = "") => `c.req.param(${ts(name)})${name === "id" && extra === "" ? "" : `, ${ts(name)}`}${extra}`;
  switch (field.type) {
    case "uuid":
      imports.add("../lib/params.js", "uuidParam");
      return `uuidParam(${args()})`;
    case "integer":
    case "smallint":
      imports.add("../lib/params.js", "intParam");
      return `intParam(${args()})`;
    case "bigint":
      imports.add("../lib/params.js", "bigintParam");
      return `bigintParam(${args()})`;
    default:
      imports.add("../lib/params.js", "stringParam");
      return `stringParam(${args(`, ${field.maxLength ?? field.length ?? 255}`)})`;
  }
}

/** Whether pathParam() checks everything the field declares (else the route validates with zod). */
export function checkedByPathParam(field: FieldIR): boolean {
  if (field.array || !field.notNull) return false;
  if (field.type === "uuid") return true;
  return (field.type === "integer" || field.type === "smallint") && field.min === undefined && field.max === undefined;
}
