/** The request context handlers receive: `ctx.status()` takes response statuses only. */
import { Hono } from "hono";
import { describe, expect, it } from "vitest";
import { requestContext, respond } from "./context.js";
import { type AppEnv, errorHandler } from "./http.js";
import type { Logger } from "./logger.js";

const silent: Logger = { debug: () => {}, info: () => {}, warn: () => {}, error: () => {}, child: () => silent };

function app(code: number): Hono<AppEnv> {
  const a = new Hono<AppEnv>();
  a.onError(errorHandler({ report: () => {} }));
  a.get("/", (c) => {
    const ctx = requestContext(c, silent, {}, {}, undefined).status(code);
    return respond(c, ctx.statusCode, { ok: true }, 200);
  });
  return a;
}

describe("ctx.status", () => {
  it("sets the status of the response", async () => {
    expect((await app(202).request("/")).status).toBe(202);
    expect((await app(418).request("/")).status).toBe(418);
  });

  it("a code that is not a response status is the handler's mistake: 500 envelope, never sent as is", async () => {
    for (const code of [999, 99, 200.5, Number.NaN]) {
      const res = await app(code).request("/");
      expect(res.status).toBe(500);
      expect(await res.json()).toMatchObject({ error: { code: "INTERNAL_ERROR" } });
    }
  });
});
