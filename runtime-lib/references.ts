import { referenceMissing } from "./errors.js";

/** A prepared point lookup: the row with this key, if it is one a reference may name. */
export interface ReferenceLookup {
  execute(values: Record<string, unknown>): Promise<unknown>;
}

/**
 * Checks that every key in `values` names a row `lookup` finds; null and undefined name nothing.
 * The database's foreign key already refuses a key with no row at all: this covers the rows it
 * cannot see as gone (soft-deleted ones) or as out of the caller's reach (a row policy of the
 * referenced entity; `bound` holds the caller values it compares with). Each distinct key is
 * looked up once; throws 422 VALIDATION_REFERENCE naming `field`.
 */
export async function requireLive(lookup: ReferenceLookup, values: readonly unknown[], field: string, bound: Readonly<Record<string, unknown>> = {}): Promise<void> {
  const keys = [...new Set(values.filter((v) => v !== undefined && v !== null))];
  if (keys.length === 0) return;
  const found = await Promise.all(keys.map((id) => lookup.execute({ ...bound, id })));
  if (found.some((rows) => !Array.isArray(rows) || rows.length === 0)) throw referenceMissing(field);
}
