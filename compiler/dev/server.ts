/**
 * The emitted server as a child process of `yamac dev`: src/server.ts imported with tsx (as
 * `npm start` runs it) in a process prepared ahead (standby.ts), its output passed through with a
 * prefix, stopped with SIGTERM (its own graceful shutdown) and, if it does not exit in time,
 * SIGKILL. After each start the next process is prepared, so a restart skips Node's and the
 * libraries' start-up.
 */
import { type ChildProcess, spawn } from "node:child_process";
import { fileURLToPath } from "node:url";

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

  constructor(private readonly options: ServerOptions) {}

  get running(): boolean {
    return this.child !== undefined && this.child.exitCode === null && this.child.signalCode === null;
  }

  get pid(): number | undefined {
    return this.child?.pid;
  }

  /** Starts a standby process for the next restart (see standby.ts). */
  prepare(): void {
    if (this.standby) return;
    const { dir, port, env } = this.options;
    const child = spawn(process.execPath, ["--import", "tsx", fileURLToPath(new URL("./standby.ts", import.meta.url))], {
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

  /** Starts the server (from the standby when one is ready); resolves once it listens, rejects if it exits first. */
  async start(): Promise<void> {
    // A standby prepared earlier, or (first start, or after a discard) one started now.
    this.lastStart = this.standby ? "standby" : "cold";
    this.prepare();
    const s = this.standby!;
    this.standby = undefined;
    this.child = s.child;
    if (!(await s.ready)) return this.listening(s.child);
    s.child.send({ start: true });
    await this.listening(s.child);
  }

  private listening(child: ChildProcess): Promise<void> {
    const { print } = this.options;
    return new Promise((resolve, reject) => {
      let listening = false;
      let output = "";
      const onLine = (chunk: string) => {
        output += chunk;
        for (const line of chunk.split("\n")) if (line.trim() !== "") print(line);
        if (!listening && output.includes("listening on")) {
          listening = true;
          resolve();
        }
      };
      child.stdout!.setEncoding("utf8").on("data", onLine).resume();
      child.stderr!.setEncoding("utf8").on("data", onLine).resume();
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
