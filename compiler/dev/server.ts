/**
 * The emitted server as a child process of `yamac dev`: src/server.ts run with tsx (as `npm start`
 * runs it), its output passed through with a prefix, stopped with SIGTERM (its own graceful
 * shutdown) and, if it does not exit in time, SIGKILL. After each start a standby process is
 * prepared (standby.ts) so the next restart skips Node's and the libraries' start-up.
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

  private spawn(args: string[], ipc: boolean): ChildProcess {
    const { dir, port, env } = this.options;
    return spawn(process.execPath, ["--import", "tsx", ...args], {
      cwd: dir,
      env: { ...env, PORT: String(port), NODE_ENV: env.NODE_ENV ?? "development" },
      stdio: ipc ? ["ignore", "pipe", "pipe", "ipc"] : ["ignore", "pipe", "pipe"],
    });
  }

  /** Starts a standby process for the next restart (see standby.ts). */
  prepare(): void {
    if (this.standby) return;
    const child = this.spawn([fileURLToPath(new URL("./standby.ts", import.meta.url))], true);
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
    const s = this.standby;
    this.standby = undefined;
    let child: ChildProcess;
    if (s && (await s.ready)) {
      child = s.child;
      child.send({ start: true });
      this.lastStart = "standby";
    } else {
      if (s) await new Promise<void>((resolve) => (s.child.exitCode !== null ? resolve() : s.child.once("exit", () => resolve())));
      child = this.spawn(["src/server.ts"], false);
      this.lastStart = "cold";
    }
    this.child = child;
    await this.listening(child);
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
      child.once("exit", (code, signal) => {
        if (!listening) reject(new Error(`the server exited (${signal ?? `code ${code}`}) before listening`));
      });
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
