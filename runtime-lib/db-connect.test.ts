import { createServer, type Socket } from "node:net";
import type { Duplex } from "node:stream";
import { describe, expect, it } from "vitest";
import { connectWithCooldown } from "./db-connect.js";

/** What a socket from the factory does on its first write: the error code, or "connected". */
function outcome(socket: Socket | Duplex): Promise<string> {
  return new Promise((resolve) => {
    socket.once("error", (err: NodeJS.ErrnoException) => resolve(err.code ?? "error"));
    socket.write("startup", (err) => {
      if (!err) {
        socket.destroy();
        resolve("connected");
      }
    });
  });
}

async function closedPort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
  const port = (server.address() as { port: number }).port;
  await new Promise<void>((r) => server.close(() => r()));
  return port;
}

describe("connectWithCooldown", () => {
  it("fails attempts at once for a moment after one fails, then tries again", async () => {
    const port = await closedPort();
    const target = { host: ["127.0.0.1"], port: [port], connect_timeout: 5 };
    const open = connectWithCooldown(200);
    expect(await outcome(await open(target))).toBe("ECONNREFUSED");
    const started = performance.now();
    expect(await outcome(await open(target))).toBe("DB_UNREACHABLE");
    expect(performance.now() - started).toBeLessThan(100);
    await new Promise((r) => setTimeout(r, 250));
    // The cool-down is over: a real attempt again, which succeeds once something listens.
    const server = createServer((s) => s.on("data", () => {}));
    await new Promise<void>((r) => server.listen(port, "127.0.0.1", r));
    try {
      expect(await outcome(await open(target))).toBe("connected");
    } finally {
      server.close();
    }
  });

  it("counts a connection that closes right after opening (a refused login) as a failure", async () => {
    const server = createServer((s) => s.end());
    await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
    const target = { host: ["127.0.0.1"], port: [(server.address() as { port: number }).port], connect_timeout: 5 };
    const open = connectWithCooldown(10_000);
    try {
      const first = await open(target);
      await new Promise((r) => first.once("close", r));
      expect(await outcome(await open(target))).toBe("DB_UNREACHABLE");
    } finally {
      server.close();
    }
  });

});
