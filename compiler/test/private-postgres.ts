/**
 * A throw-away PostgreSQL server of its own (initdb into a temporary folder, pg_ctl on a free
 * port), for tests that stop and start the database. The shared server on 5432 is never touched.
 * PostgreSQL refuses to run as root: when this process is root, the server runs as the `postgres`
 * system user through runuser.
 */
import { execFile, spawnSync } from "node:child_process";
import { promisify } from "node:util";
import { chmodSync, chownSync, existsSync, mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir, userInfo } from "node:os";
import { join } from "node:path";
import { freePort } from "./harness.js";

export interface PrivatePostgres {
  port: number;
  /** postgres://postgres@127.0.0.1:<port>/postgres */
  url: string;
  dataDir: string;
  /** pg_ctl start; resolves once the server accepts connections. */
  start(): Promise<void>;
  /** pg_ctl stop: "fast" ends sessions with an error, "immediate" kills the server without a checkpoint. */
  stop(mode: "fast" | "immediate"): Promise<void>;
  /** Stops the server (if running) and removes its files. */
  destroy(): Promise<void>;
  /** The server's log, for failure messages. */
  log(): string;
}

/** The folder of initdb and pg_ctl: PG_BIN, else `pg_config --bindir`, else Debian's PostgreSQL 15 folder. */
function binDir(): string | undefined {
  const candidates: string[] = [];
  if (process.env.PG_BIN) candidates.push(process.env.PG_BIN);
  const config = spawnSync("pg_config", ["--bindir"], { encoding: "utf8" });
  if (config.status === 0) candidates.push(config.stdout.trim());
  candidates.push("/usr/lib/postgresql/15/bin");
  return candidates.find((dir) => existsSync(join(dir, "initdb")) && existsSync(join(dir, "pg_ctl")));
}

/** How to run a command as a user PostgreSQL accepts: as is, or through runuser when this process is root. */
function runner(): { wrap: (cmd: string, args: string[]) => [string, string[]]; uid?: number; gid?: number } | string {
  if (userInfo().uid !== 0) return { wrap: (cmd, args) => [cmd, args] };
  const id = spawnSync("id", ["-u", "postgres"], { encoding: "utf8" });
  const gid = spawnSync("id", ["-g", "postgres"], { encoding: "utf8" });
  if (id.status !== 0 || gid.status !== 0) return "running as root and there is no `postgres` user to run PostgreSQL as";
  if (spawnSync("runuser", ["--help"]).error) return "running as root and runuser is not installed";
  return { wrap: (cmd, args) => ["runuser", ["-u", "postgres", "--", cmd, ...args]], uid: Number(id.stdout), gid: Number(gid.stdout) };
}

/** Why a private server cannot be started here, or undefined when it can. */
export function privatePostgresUnavailable(): string | undefined {
  if (!binDir()) return "initdb/pg_ctl not found (set PG_BIN or install the PostgreSQL server package)";
  const run = runner();
  return typeof run === "string" ? run : undefined;
}

export async function startPrivatePostgres(): Promise<PrivatePostgres> {
  const bin = binDir();
  const run = runner();
  if (!bin || typeof run === "string") throw new Error(privatePostgresUnavailable());
  const root = mkdtempSync(join(tmpdir(), "yamac-pg-"));
  const dataDir = join(root, "data");
  const logFile = join(root, "server.log");
  if (run.uid !== undefined) chownSync(root, run.uid, run.gid!);
  chmodSync(root, 0o700);
  // Asynchronous, so that a load generator in this process keeps running while the server stops and starts.
  const exec = async (cmd: string, args: string[]) => {
    const [file, argv] = run.wrap(join(bin, cmd), args);
    await promisify(execFile)(file, argv, { encoding: "utf8", timeout: 60_000 });
  };
  await exec("initdb", ["-D", dataDir, "-U", "postgres", "-A", "trust", "-E", "UTF8", "--no-sync"]);
  const port = await freePort();
  const options = `-p ${port} -c listen_addresses=127.0.0.1 -c unix_socket_directories=${root} -c max_connections=200`;
  let running = false;
  const pg: PrivatePostgres = {
    port,
    url: `postgres://postgres@127.0.0.1:${port}/postgres`,
    dataDir,
    async start() {
      await exec("pg_ctl", ["start", "-D", dataDir, "-l", logFile, "-w", "-t", "30", "-o", options]);
      running = true;
    },
    async stop(mode) {
      await exec("pg_ctl", ["stop", "-D", dataDir, "-m", mode, "-w", "-t", "30"]);
      running = false;
    },
    async destroy() {
      try {
        if (running) await pg.stop("immediate");
      } finally {
        rmSync(root, { recursive: true, force: true });
      }
    },
    log: () => (existsSync(logFile) ? readFileSync(logFile, "utf8") : ""),
  };
  try {
    await pg.start();
  } catch (err) {
    const log = pg.log();
    rmSync(root, { recursive: true, force: true });
    throw new Error(`private PostgreSQL did not start: ${String(err)}\n${log}`);
  }
  return pg;
}
