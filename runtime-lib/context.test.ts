/** The request context handlers receive: `ctx.status()` takes response statuses only. */
import { Hono } from "hono";
import { describe, expect, it } from "vitest";
import { invoke, requestContext, respond } from "./context.js";
import { NotFoundError } from "./errors.js";
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

describe("invoke", () => {
  /** An app whose handler throws `thrown`, run through invoke as the generated endpoints do. */
  function throwing(thrown: unknown): { app: Hono<AppEnv>; reported: unknown[] } {
    const reported: unknown[] = [];
    const a = new Hono<AppEnv>();
    a.onError(errorHandler({ report: (err) => void reported.push(err) }));
    a.get("/", async (c) => respond(c, undefined, await invoke(() => {
      throw thrown;
    }, undefined), 200));
    return { app: a, reported };
  }

  it("a thrown value that is not an Error is a reported 500 with the envelope, not a bare 500", async () => {
    for (const thrown of ["a string", { code: 1 }, 42, null, undefined]) {
      const { app: a, reported } = throwing(thrown);
      const res = await a.request("/");
      expect(res.status).toBe(500);
      expect(await res.json()).toMatchObject({ error: { code: "INTERNAL_ERROR", message: "Internal server error" } });
      expect(reported).toHaveLength(1);
      expect((reported[0] as Error).cause).toBe(thrown);
    }
  });

  it("Errors pass through unchanged (an ApiError keeps its status)", async () => {
    const { app: a, reported } = throwing(new NotFoundError("Post 7 not found"));
    const res = await a.request("/");
    expect(res.status).toBe(404);
    expect(await res.json()).toMatchObject({ error: { code: "NOT_FOUND", message: "Post 7 not found" } });
    expect(reported).toHaveLength(0);
  });

  it("205 Reset Content is sent without a body", async () => {
    const a = new Hono<AppEnv>();
    a.get("/", (c) => respond(c, 205, { ignored: true }, 200));
    const res = await a.request("/");
    expect(res.status).toBe(205);
    expect(await res.text()).toBe("");
  });
});
