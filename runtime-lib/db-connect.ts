import { connect, type Socket } from "node:net";
import { Duplex } from "node:stream";

/** Where postgres.js wants to connect (its parsed options). */
export interface ConnectTarget {
  host: string[];
  port: number[];
  /** A Unix socket path, when the URL names one. */
  path?: string | false;
  /** Seconds. */
  connect_timeout: number;
}

/**
 * Opens the postgres.js pool's connections (its `socket` option), with a short cool-down after
 * an attempt fails.
 *
 * While PostgreSQL is down or starting up every attempt fails, and requests should get their 503
 * at once instead of queueing behind attempts that cannot succeed. It matters more than it seems:
 * postgres.js 3.4 keeps retrying, without limit or timeout, a connection whose last query died
 * with the server, for as long as the server answers "the database system is starting up"
 * (57P03), and the requests waiting on it hang until PostgreSQL is ready.
 *
 * So after a failed attempt (a connection error or timeout, or a connection that closes within
 * `shortLivedMs` of opening, as refused logins do), further attempts fail at once for
 * `cooldownMs` with the code DB_UNREACHABLE (answered as 503); the first attempt after that finds
 * out whether the database is back.
 *
 * The socket is handed over only once it is connected: postgres.js writes its startup message as
 * soon as it has a socket from this option, and a connection that fails before that write went
 * out is left unable to send it on its next attempt. A failed attempt hands over a stand-in that
 * fails on that first write instead.
 */
export function connectWithCooldown(cooldownMs = 250, shortLivedMs = 15_000): (target: ConnectTarget) => Promise<Socket | Duplex> {
  let coolUntil = 0;
  let next = 0;
  const failed = () => {
    coolUntil = Date.now() + cooldownMs;
  };
  return async (target) => {
    if (Date.now() < coolUntil) return refused(Object.assign(new Error("Database unreachable: a connection attempt failed moments ago"), { code: "DB_UNREACHABLE" }));
    const i = next++ % target.host.length;
    const socket = target.path ? connect(target.path) : connect(target.port[i] ?? target.port[0] ?? 5432, target.host[i]);
    // postgres.js names the TLS server after socket.host (its own sockets carry it too).
    Object.assign(socket, { host: target.host[i] });
    return new Promise<Socket | Duplex>((resolve) => {
      const fail = (err: Error) => {
        clearTimeout(timer);
        socket.destroy();
        failed();
        resolve(refused(err));
      };
      const timer = setTimeout(() => fail(Object.assign(new Error("Database connection timed out"), { code: "CONNECT_TIMEOUT" })), target.connect_timeout * 1000);
      socket.once("error", fail);
      socket.once("connect", () => {
        clearTimeout(timer);
        socket.removeListener("error", fail);
        const opened = Date.now();
        socket.once("close", () => {
          if (Date.now() - opened < shortLivedMs) failed();
        });
        resolve(socket);
      });
    });
  };
}

/** A stand-in socket whose first write fails with `error` (postgres.js writes its startup message at once). */
function refused(error: Error): Duplex {
  const socket = new Duplex({
    read() {},
    write(_chunk, _encoding, callback) {
      callback(error);
    },
  });
  setTimeout(() => socket.destroyed || socket.destroy(error), 100).unref();
  return socket;
}
