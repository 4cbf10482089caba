/** Query and path parameters as numbers (every value a body accepts, and nothing that is not a finite number), and lists. */
import { describe, expect, it } from "vitest";
import { z } from "zod";
import { integerOrText, queryList } from "./queries.js";
import { queryInt, queryNumber } from "./validation.js";

describe("query numbers", () => {
  it("queryInt takes every safe integer (what a bigint body accepts) and nothing beyond", () => {
    for (const text of ["0", "-1", "42", "9007199254740991", "-9007199254740991"]) expect(queryInt().parse(text)).toBe(Number(text));
    for (const text of ["9007199254740992", "12345678901234567", "1.5", "1e3", "", "0x10", " 1"]) expect(queryInt().safeParse(text).success).toBe(false);
  });

  it("queryNumber rejects values that overflow to Infinity", () => {
    for (const text of ["1.5", "-0.25", ".5", "1e-3", "1e308"]) expect(queryNumber().parse(text)).toBe(Number(text));
    for (const text of ["1e400", "-1e309", "abc", "1e", "--1"]) expect(queryNumber().safeParse(text).success).toBe(false);
  });
});

describe("queryList", () => {
  const list = queryList(z.string().max(20));
  it("splits on commas and trims; empty parts are not values", () => {
    expect(list.parse("a, b,c")).toEqual(["a", "b", "c"]);
    expect(list.parse("a,,b,")).toEqual(["a", "b"]);
  });
  it("an empty list is refused, not a list of one empty string", () => {
    for (const empty of ["", ",", " , "]) expect(list.safeParse(empty).success).toBe(false);
  });
});

describe("integerOrText", () => {
  it("a number while exact, the digits past 2^53", () => {
    expect(integerOrText("42")).toBe(42);
    expect(integerOrText("-9007199254740991")).toBe(-9007199254740991);
    expect(integerOrText("9007199255741491")).toBe("9007199255741491");
    expect(integerOrText(7)).toBe(7);
  });
});
