/**
 * Writes over HTTP on PostgreSQL, column type by column type: every writable type a prepared
 * INSERT binds (timestamps through their column's encoder), PUT and PATCH of the same fields, and
 * database errors that name the field the request sent (a duplicate unique value, a foreign key
 * with no row), not a constraint or a column.
 */
import { describe, expect, it } from "vitest";
import { call, serveConfig } from "./harness.js";

const CONFIG = `name: write-types
version: 1.0.0
entities:
  Venue:
    fields:
      id: uuid!
      name: string!
    crud: true
  Event:
    fields:
      id: uuid!
      code: string(1..20)! unique
      startsAt: timestamp!
      endsAt: timestamp?
      localAt: timestamplocal?
      day: date?
      slot: time?
      price: decimal(8,2)?
      seats: integer?
      big: bigint?
      open: boolean = true
      fee: money = 0
      venue: Venue?
    crud: true
`;

type Json = Record<string, unknown>;

describe("writes of every column type, and database errors naming fields", () => {
  const served = serveConfig("write_types", CONFIG);
  const api = (method: string, path: string, json?: unknown) => call(served.server.base, method, path, json);

  it("POST, PUT and PATCH bind every type, required and optional", async () => {
    const venue = (await api("POST", "/venues", { name: "Hall" })).body as Json;
    const full = await api("POST", "/events", {
      code: "E1", startsAt: "2026-03-01T10:00:00.123Z", endsAt: "2026-03-01T12:00:00+02:00", localAt: "2026-03-01T09:30:00",
      day: "2026-03-01", slot: "18:30:00", price: 12.5, seats: 40, big: 9007199254740991, open: false, venueId: venue.id,
    });
    expect(full.status, full.text).toBe(201);
    expect(full.body).toMatchObject({ code: "E1", startsAt: "2026-03-01T10:00:00.123Z", endsAt: "2026-03-01T10:00:00.000Z", day: "2026-03-01", slot: "18:30:00", seats: 40, open: false, venueId: venue.id });

    const minimal = await api("POST", "/events", { code: "E2", startsAt: "2026-03-02T10:00:00Z" });
    expect(minimal.status, minimal.text).toBe(201);
    expect(minimal.body).toMatchObject({ code: "E2", startsAt: "2026-03-02T10:00:00.000Z", endsAt: null, open: true });
    expect(Number((minimal.body as Json).fee)).toBe(0);

    const id = (minimal.body as Json).id;
    const patched = await api("PATCH", `/events/${id}`, { endsAt: "2026-03-02T11:00:00Z", slot: "07:05:00" });
    expect(patched.status, patched.text).toBe(200);
    expect(patched.body).toMatchObject({ endsAt: "2026-03-02T11:00:00.000Z", slot: "07:05:00" });
    const put = await api("PUT", `/events/${id}`, { code: "E2", startsAt: "2026-04-01T00:00:00Z" });
    expect(put.status, put.text).toBe(200);
    expect(put.body).toMatchObject({ startsAt: "2026-04-01T00:00:00.000Z", endsAt: null });
  });

  it("money and time filters are checked before any query: a bad value is a 400 VALIDATION_QUERY naming the field", async () => {
    for (const [name, value] of [["fee", "abc"], ["slot", "25:00:00"], ["slot", "abc"]] as const) {
      const bad = await api("GET", `/events?${name}=${value}`);
      expect(bad.status, bad.text).toBe(400);
      expect((bad.body as { error: Json }).error).toMatchObject({ code: "VALIDATION_QUERY", details: [{ field: name }] });
    }
    expect((await api("GET", "/events?fee=0&slot=18:30:00")).status).toBe(200);
  });

  it("a duplicate unique value and a missing referenced row name the request's field", async () => {
    expect((await api("POST", "/events", { code: "DUP", startsAt: "2026-05-01T00:00:00Z" })).status).toBe(201);
    const dup = await api("POST", "/events", { code: "DUP", startsAt: "2026-05-01T00:00:00Z" });
    expect(dup.status).toBe(409);
    expect((dup.body as { error: { code: string; details: Json[] } }).error).toMatchObject({ code: "CONFLICT", details: [{ field: "code", rule: "unique" }] });

    const missing = await api("POST", "/events", { code: "X", startsAt: "2026-05-01T00:00:00Z", venueId: "00000000-0000-4000-8000-000000000000" });
    expect(missing.status).toBe(422);
    expect((missing.body as { error: Json }).error).toMatchObject({ code: "VALIDATION_REFERENCE", details: [{ field: "venueId", message: "referenced row not found", rule: "foreign_key" }] });
  });
});
