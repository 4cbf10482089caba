/**
 * Graceful shutdown of the emitted Node server: on SIGTERM it stops accepting connections,
 * lets the requests in flight finish, closes the database and exits 0.
 */
import { connect } from "node:net";
import { describe, expect, it } from "vitest";
import { serveFixture } from "./harness.js";

describe("SIGTERM", () => {
  const served = serveFixture("endpoints");

  it("finishes the request in flight, refuses new connections, exits 0", async () => {
    const port = Number(new URL(served.server.base).port);
    const exited = new Promise<number | null>((resolve) => served.server.child.once("exit", (code) => resolve(code)));
    const inFlight = fetch(`${served.server.base}/api/v1/slow?ms=1500`).then(async (r) => ({ status: r.status, body: (await r.json()) as unknown }));
    await new Promise((r) => setTimeout(r, 300));
    process.kill(served.server.child.pid!, "SIGTERM");
    await new Promise((r) => setTimeout(r, 200));
    const refused = await new Promise<boolean>((resolve) => {
      const socket = connect(port, "127.0.0.1");
      socket.once("connect", () => {
        socket.destroy();
        resolve(false);
      });
      socket.once("error", () => resolve(true));
    });
    expect(refused).toBe(true);
    expect(await inFlight).toEqual({ status: 200, body: { waited: 1500 } });
    expect(await exited).toBe(0);
  }, 30_000);
});
