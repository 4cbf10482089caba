import { Validator } from "@seriousme/openapi-schema-validator";
import { describe, expect, it } from "vitest";
import { fixtureNames, snapshotFiles } from "./snapshot-lib.js";

describe("src/openapi.json", () => {
  it.each(fixtureNames())("%s: valid OpenAPI 3.1", async (name) => {
    const text = snapshotFiles(name).get("src/openapi.json");
    expect(text).toBeDefined();
    const validator = new Validator();
    const result = await validator.validate(JSON.parse(text!) as Parameters<Validator["validate"]>[0]);
    expect(result.errors ?? [], JSON.stringify(result.errors)).toEqual([]);
    expect(result.valid).toBe(true);
  });

  it("describes CRUD and endpoints with their parameters, bodies and the error envelope", () => {
    const doc = JSON.parse(snapshotFiles("endpoints").get("src/openapi.json")!) as { paths: Record<string, Record<string, { parameters?: { name: string }[]; requestBody?: unknown; responses: Record<string, unknown> }>> };
    const reprice = doc.paths["/api/v1/products/{id}/reprice"]!.post!;
    expect(reprice.parameters!.map((p) => p.name)).toEqual(["id"]);
    expect(reprice.requestBody).toMatchObject({ content: { "application/json": { schema: { $ref: "#/components/schemas/PriceChange" } } } });
    expect(Object.keys(reprice.responses)).toEqual(expect.arrayContaining(["201", "400", "404"]));
    const shop = JSON.parse(snapshotFiles("shop").get("src/openapi.json")!) as { paths: Record<string, Record<string, { parameters?: { name: string }[] }>> };
    expect(shop.paths["/products"]!.get!.parameters!.map((p) => p.name)).toEqual(expect.arrayContaining(["limit", "offset", "sort", "search", "include", "fields", "featured"]));
  });
});
