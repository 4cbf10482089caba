import { readFileSync } from "node:fs";
import { join } from "node:path";
import Ajv2020 from "ajv/dist/2020.js";
import { describe, expect, it } from "vitest";
import { parse } from "yaml";
import { configJsonSchema } from "../json-schema.js";
import { FIXTURES, fixtureNames } from "./snapshot-lib.js";

describe("the JSON Schema of yama.yaml", () => {
  const ajv = new Ajv2020({ allErrors: true, strict: false });
  const validate = ajv.compile(configJsonSchema());

  it.each(fixtureNames())("fixtures/%s/yama.yaml validates against it", (name) => {
    const config = parse(readFileSync(join(FIXTURES, name, "yama.yaml"), "utf8"), { merge: true }) as unknown;
    const ok = validate(config);
    expect(ok, JSON.stringify(validate.errors?.slice(0, 3))).toBe(true);
  });

  it("flags a misspelt key, as the compiler does", () => {
    expect(validate({ entites: {} })).toBe(false);
    expect(validate.errors).toContainEqual(expect.objectContaining({ keyword: "additionalProperties", params: { additionalProperty: "entites" } }));
    expect(validate({ entities: { Post: { feilds: {} } } })).toBe(false);
  });
});
