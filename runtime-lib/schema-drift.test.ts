import { describe, expect, it } from "vitest";
import { normalizeType } from "./schema-drift.js";

/** drizzle-kit's snapshot types on the left, PostgreSQL's format_type() on the right: both must normalize alike. */
describe("normalizeType", () => {
  const same: [string, string][] = [
    ["varchar(80)", "character varying(80)"],
    ["varchar", "character varying"],
    ["char(2)", "character(2)"],
    ["numeric(10, 2)", "numeric(10,2)"],
    ["decimal(10,2)", "numeric(10,2)"],
    ["timestamp", "timestamp without time zone"],
    ["timestamp(3)", "timestamp(3) without time zone"],
    ["timestamp with time zone", "timestamp with time zone"],
    ["timestamptz", "timestamp with time zone"],
    ["time", "time without time zone"],
    ["serial", "integer"],
    ["bigserial", "bigint"],
    ["smallserial", "smallint"],
    ["int4", "integer"],
    ["double precision", "double precision"],
    ["text[]", "text[]"],
    ["varchar(20)[]", "character varying(20)[]"],
    ['"public"."status"', "status"],
    ["status[]", "status[]"],
  ];
  it.each(same)("%s ~ %s", (snapshot, live) => {
    expect(normalizeType(snapshot)).toBe(normalizeType(live));
  });
  it("tells different types apart", () => {
    expect(normalizeType("varchar(80)")).not.toBe(normalizeType("character varying(81)"));
    expect(normalizeType("timestamp")).not.toBe(normalizeType("timestamp with time zone"));
    expect(normalizeType("text")).not.toBe(normalizeType("text[]"));
  });
});
