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

  it("lists the routes the auth module serves: /auth endpoints and OAuth sign-in", () => {
    const doc = JSON.parse(snapshotFiles("auth-users").get("src/openapi.json")!) as { paths: Record<string, Record<string, { security?: unknown; responses: Record<string, unknown> }>> };
    const auth = Object.keys(doc.paths).filter((p) => p.startsWith("/auth/")).sort();
    expect(auth).toEqual(["/auth/change-password", "/auth/github", "/auth/github/callback", "/auth/google", "/auth/google/callback", "/auth/login", "/auth/logout", "/auth/me", "/auth/refresh", "/auth/register"]);
    expect(doc.paths["/auth/me"]!.get!.security).toEqual([{ bearerAuth: [] }]);
    expect(doc.paths["/auth/login"]!.post!.security).toBeUndefined();
    expect(Object.keys(doc.paths["/auth/register"]!.post!.responses)).toEqual(expect.arrayContaining(["201", "400", "409"]));
  });
});
