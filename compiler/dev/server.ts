/**
 * The server of `yamac dev`: a child process (host.ts, `node --import tsx` in the project) prepared
 * ahead, so a start skips Node's and the libraries' start-up. It runs either as a dev host that
 * each build is swapped into (`start(load)`, then `swap(load)`: the same process keeps the
 * listener and the database), or as the emitted src/server.ts (`start()`: a restart per build).
 * Its output is passed through with a prefix; it is stopped with SIGTERM (its own graceful
 * shutdown) and, if it does not exit in time, SIGKILL. After each start the next process is
 * prepared, for the next full restart.
 */
import { type ChildProcess, spawn } from "node:child_process";
import { fileURLToPath } from "node:url";
import { packageFile } from "../paths.js";
import type { HostLoad, HostReply } from "./host.js";

export interface ServerOptions {
  dir: string;
  port: number;
  env: NodeJS.ProcessEnv;
  /** Called with each line the server prints. */
  print: (line: string) => void;
}

interface Standby {
  child: ChildProcess;
  ready: Promise<boolean>;
}

export class DevServer {
  private child: ChildProcess | undefined;
  private standby: Standby | undefined;
  /** How the last start went: from a standby process, or a cold spawn. */
  lastStart: "standby" | "cold" | undefined;
  /** Whether the running process is a dev host (builds are swapped in) rather than src/server.ts. */
  private hostMode = false;
  /** Whether the host has served a build (a first load that failed leaves it up, not listening). */
  private served = false;

  constructor(private readonly options: ServerOptions) {}

  get running(): boolean {
    return this.child !== undefined && this.child.exitCode === null && this.child.signalCode === null;
  }

  /** A dev host is running and serving: a new build can be swapped in. */
  get hosting(): boolean {
    return this.running && this.hostMode;
  }

  /** Something answers requests (a server, or a host with a build loaded). */
  get serving(): boolean {
    return this.running && (!this.hostMode || this.served);
  }

  get pid(): number | undefined {
    return this.child?.pid;
  }

  /** Starts a standby process for the next restart (see host.ts). */
  prepare(): void {
    if (this.standby) return;
    const { dir, port, env } = this.options;
    const child = spawn(process.execPath, ["--import", "tsx", fileURLToPath(packageFile("compiler/dev/host.ts"))], {
      cwd: dir,
      env: { ...env, PORT: String(port), NODE_ENV: env.NODE_ENV ?? "development" },
      stdio: ["ignore", "pipe", "pipe", "ipc"],
    });
    const ready = new Promise<boolean>((resolve) => {
      child.once("message", () => resolve(true));
      child.once("exit", () => resolve(false));
    });
    // Its output is read once it becomes the server; until then it is kept.
    child.stdout!.pause();
    child.stderr!.pause();
    this.standby = { child, ready };
  }

  /** Drops the standby (its preloaded runtime library changed, or dev is exiting). */
  async discardStandby(): Promise<void> {
    const s = this.standby;
    this.standby = undefined;
    if (!s || s.child.exitCode !== null || s.child.signalCode !== null) return;
    const exited = new Promise<void>((resolve) => s.child.once("exit", () => resolve()));
    s.child.kill("SIGKILL");
    await exited;
  }

  /**
   * Starts the server (from the standby when one is ready): with `load`, as a dev host serving
   * that build; without, as src/server.ts. Resolves once it listens; rejects if it exits first
   * or the build fails to load.
   */
  async start(load?: HostLoad): Promise<void> {
    // A standby prepared earlier, or (first start, or after a discard) one started now.
    this.lastStart = this.standby ? "standby" : "cold";
    this.prepare();
    const s = this.standby!;
    this.standby = undefined;
    this.child = s.child;
    this.hostMode = load !== undefined;
    this.served = false;
    if (!load) {
      if (!(await s.ready)) return this.listening(s.child);
      s.child.send({ start: true });
      await this.listening(s.child);
      return;
    }
    this.passOutput(s.child);
    if (!(await s.ready)) throw new Error(`the dev host exited (${s.child.signalCode ?? `code ${s.child.exitCode}`}) before it was ready`);
    await this.swap(load);
  }

  /** Loads a build into the running dev host; resolves once it serves it, rejects (the previous build still serving) if it fails. */
  async swap(load: HostLoad): Promise<{ importMs: number; migrateMs: number }> {
    const child = this.child!;
    const reply = await new Promise<HostReply | undefined>((resolve) => {
      const onExit = () => resolve(undefined);
      child.once("exit", onExit);
      child.once("message", (message: HostReply) => {
        child.off("exit", onExit);
        resolve(message);
      });
      child.send({ load });
    });
    if (!reply) throw new Error(`the dev host exited (${child.signalCode ?? `code ${child.exitCode}`})`);
    if ("failed" in reply) throw new Error(reply.failed);
    if (!("loaded" in reply)) throw new Error("unexpected reply from the dev host");
    this.served = true;
    return { importMs: reply.importMs, migrateMs: reply.migrateMs };
  }

  /** Prints the child's output line by line (stdout and stderr), passing each chunk to `observe` too. */
  private passOutput(child: ChildProcess, observe?: (chunk: string) => void): void {
    const { print } = this.options;
    const onChunk = (chunk: string) => {
      for (const line of chunk.split("\n")) if (line.trim() !== "") print(line);
      observe?.(chunk);
    };
    child.stdout!.setEncoding("utf8").on("data", onChunk).resume();
    child.stderr!.setEncoding("utf8").on("data", onChunk).resume();
  }

  private listening(child: ChildProcess): Promise<void> {
    return new Promise((resolve, reject) => {
      let listening = false;
      let output = "";
      this.passOutput(child, (chunk) => {
        if (listening) return;
        output += chunk;
        if (output.includes("listening on")) {
          listening = true;
          resolve();
        }
      });
      const failed = () => {
        if (!listening) reject(new Error(`the server exited (${child.signalCode ?? `code ${child.exitCode}`}) before listening`));
      };
      // Output still buffered in the pipes is read before the failure is reported.
      if (child.exitCode !== null || child.signalCode !== null) setTimeout(failed, 50);
      else child.once("exit", () => setTimeout(failed, 50));
    });
  }

  /** Stops the server and waits for it to exit. */
  async stop(): Promise<void> {
    const child = this.child;
    if (!child || child.exitCode !== null || child.signalCode !== null) return;
    const exited = new Promise<void>((resolve) => child.once("exit", () => resolve()));
    child.kill("SIGTERM");
    const timer = setTimeout(() => child.kill("SIGKILL"), 5_000);
    await exited;
    clearTimeout(timer);
  }

  /** Stops the server and the standby. */
  async close(): Promise<void> {
    await Promise.all([this.stop(), this.discardStandby()]);
  }
}
