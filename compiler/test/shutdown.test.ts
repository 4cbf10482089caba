/**
 * Graceful shutdown of the emitted Node server: on SIGTERM it stops accepting connections,
 * lets the requests in flight finish, closes the database and exits 0.
 */
import { connect } from "node:net";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createDatabase, freshRedisUrl, prepareProject, removeProject, type RunningServer, startServer } from "./harness.js";

describe("SIGTERM", () => {
  let dir = "";
  let db: Awaited<ReturnType<typeof createDatabase>> | undefined;
  let server: RunningServer | undefined;

  beforeAll(async () => {
    dir = await prepareProject("endpoints");
    db = await createDatabase("yamac_shutdown");
    server = await startServer(dir, { DATABASE_URL: db.url, REDIS_URL: await freshRedisUrl() });
  }, 120_000);

  afterAll(async () => {
    await server?.stop();
    await db?.drop();
    removeProject(dir);
  });

  it("finishes the request in flight, refuses new connections, exits 0", async () => {
    const port = Number(new URL(server!.base).port);
    const exited = new Promise<number | null>((resolve) => server!.child.once("exit", (code) => resolve(code)));
    const inFlight = fetch(`${server!.base}/api/v1/slow?ms=1500`).then(async (r) => ({ status: r.status, body: (await r.json()) as unknown }));
    await new Promise((r) => setTimeout(r, 300));
    process.kill(server!.child.pid!, "SIGTERM");
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
