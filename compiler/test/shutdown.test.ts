/**
 * Graceful shutdown of the emitted Node server: on SIGTERM it stops accepting connections,
 * lets the requests in flight finish, closes the database and exits 0; under load too, where
 * keep-alive clients would otherwise hold it open until it is killed.
 */
import { connect } from "node:net";
import { describe, expect, it } from "vitest";
import { createDatabase, prepareProjectFrom, removeProject, serveFixture, startServer } from "./harness.js";
import { startLoad } from "./load-client.js";

function refusesConnections(port: number): Promise<boolean> {
  return new Promise<boolean>((resolve) => {
    const socket = connect(port, "127.0.0.1");
    socket.once("connect", () => {
      socket.destroy();
      resolve(false);
    });
    socket.once("error", () => resolve(true));
  });
}

describe("SIGTERM", () => {
  const served = serveFixture("endpoints");

  it("finishes the request in flight, refuses new connections, exits 0", async () => {
    const port = Number(new URL(served.server.base).port);
    const exited = new Promise<number | null>((resolve) => served.server.child.once("exit", (code) => resolve(code)));
    const inFlight = fetch(`${served.server.base}/api/v1/slow?ms=1500`).then(async (r) => ({ status: r.status, body: (await r.json()) as unknown }));
    await new Promise((r) => setTimeout(r, 300));
    process.kill(served.server.child.pid!, "SIGTERM");
    await new Promise((r) => setTimeout(r, 200));
    expect(await refusesConnections(port)).toBe(true);
    expect(await inFlight).toEqual({ status: 200, body: { waited: 1500 } });
    expect(await exited).toBe(0);
  }, 30_000);
});

describe("SIGTERM under load", () => {
  it("answers every request it accepted (reads and writes), then refuses connections and exits 0", async () => {
    const dir = await prepareProjectFrom("bench/fixture");
    const db = await createDatabase("yamac_shutdown_load");
    const server = await startServer(dir, { DATABASE_URL: db.url, NODE_ENV: "production" });
    try {
      const port = Number(new URL(server.base).port);
      const seeded = await fetch(`${server.base}/products`, { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify({ name: "Seed", price: 1 }) });
      const id = ((await seeded.json()) as { id: string }).id;
      // 200 keep-alive connections, half reading, half writing, back to back.
      const load = startLoad({
        base: server.base,
        connections: 200,
        timeoutMs: 20_000,
        next: (w, seq) => ((w + seq) % 2 === 0 ? { method: "GET", path: `/products/${id}` } : { method: "POST", path: "/products", body: JSON.stringify({ name: `Load ${w}-${seq}`, price: 2.5 }) }),
      });
      await new Promise((r) => setTimeout(r, 2000));
      const exited = new Promise<number | null>((resolve) => server.child.once("exit", (code) => resolve(code)));
      const termAt = load.elapsed();
      process.kill(server.child.pid!, "SIGTERM");
      // The listener closes as soon as the busy event loop gets to the signal.
      let refused = false;
      while (!refused && load.elapsed() - termAt < 2000) refused = (await refusesConnections(port)) || (await new Promise((r) => setTimeout(r, 50)), false);
      expect(refused).toBe(true);
      expect(await exited).toBe(0);
      const exitedAfterMs = load.elapsed() - termAt;
      const outcomes = await load.stop();

      const beforeTerm = outcomes.filter((o) => o.startedAt < termAt);
      expect(beforeTerm.length).toBeGreaterThan(200);
      // Everything sent before the signal was answered with success: nothing reset, nothing dropped.
      expect(beforeTerm.filter((o) => o.status < 200 || o.status > 299)).toEqual([]);
      // Afterwards requests either went out on a connection that was still open (and were answered)
      // or found the port closed; none was cut off.
      const failures = outcomes.filter((o) => o.status < 200 || o.status > 299);
      expect(failures.filter((o) => o.code !== "ECONNREFUSED")).toEqual([]);
      expect(failures.length).toBeGreaterThan(0);
      // Every write the server made was acknowledged to its client, and the reverse.
      const created = outcomes.filter((o) => o.status === 201).length;
      const [{ n }] = await db.sql<{ n: number }[]>`select count(*)::int as n from products`;
      expect(n).toBe(created + 1);
      expect(exitedAfterMs).toBeLessThan(5000);
    } finally {
      await server.stop();
      await db.drop();
      removeProject(dir);
    }
  }, 90_000);
});
