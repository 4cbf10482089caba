/**
 * The error handler during a database outage: every request still gets its 503 envelope, but the
 * error is reported once and then at most every OUTAGE_REPORT_MS, with a count of the 503s between.
 */
import { Hono } from "hono";
import { afterEach, describe, expect, it, vi } from "vitest";
import { type AppEnv, errorHandler, OUTAGE_REPORT_MS } from "./http.js";

function refused(): Error {
  return Object.assign(new Error("connect ECONNREFUSED 127.0.0.1:5432"), { code: "ECONNREFUSED" });
}

function app(report: (err: unknown) => void): Hono<AppEnv> {
  const a = new Hono<AppEnv>();
  a.onError(errorHandler({ report }));
  a.get("/down", () => {
    throw refused();
  });
  a.get("/bug", () => {
    throw new Error("a bug");
  });
  return a;
}

afterEach(() => {
  vi.useRealTimers();
  vi.restoreAllMocks();
});

describe("errorHandler during a database outage", () => {
  it("answers every request 503 but reports the outage once per interval, with a count", async () => {
    vi.useFakeTimers({ now: 1_000_000 });
    const stderr = vi.spyOn(console, "error").mockImplementation(() => {});
    const reported: unknown[] = [];
    const a = app((err) => reported.push(err));
    for (let i = 0; i < 50; i++) {
      const res = await a.request("/down");
      expect(res.status).toBe(503);
      expect(await res.json()).toMatchObject({ error: { code: "DB_UNAVAILABLE" } });
    }
    expect(reported).toHaveLength(1);
    expect(stderr).not.toHaveBeenCalled();

    vi.setSystemTime(1_000_000 + OUTAGE_REPORT_MS);
    expect((await a.request("/down")).status).toBe(503);
    expect(reported).toHaveLength(2);
    expect(stderr).toHaveBeenCalledWith("database unavailable: 49 more request(s) answered 503 since the last report");
  });

  it("keeps reporting every other 500", async () => {
    const reported: unknown[] = [];
    const a = app((err) => reported.push(err));
    for (let i = 0; i < 3; i++) expect((await a.request("/bug")).status).toBe(500);
    expect(reported).toHaveLength(3);
  });
});
