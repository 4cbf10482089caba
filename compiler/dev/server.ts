/**
 * The emitted server as a child process of `yamac dev`: started with tsx (as `npm start` runs
 * it), its output passed through with a prefix, stopped with SIGTERM (its own graceful shutdown)
 * and, if it does not exit in time, SIGKILL.
 */
import { type ChildProcess, spawn } from "node:child_process";

export interface ServerOptions {
  dir: string;
  port: number;
  env: NodeJS.ProcessEnv;
  /** Called with each line the server prints. */
  print: (line: string) => void;
}

export class DevServer {
  private child: ChildProcess | undefined;

  constructor(private readonly options: ServerOptions) {}

  get running(): boolean {
    return this.child !== undefined && this.child.exitCode === null && this.child.signalCode === null;
  }

  get pid(): number | undefined {
    return this.child?.pid;
  }

  /** Starts the server; resolves once it listens, rejects if it exits first. */
  start(): Promise<void> {
    const { dir, port, env, print } = this.options;
    const child = spawn(process.execPath, ["--import", "tsx", "src/server.ts"], {
      cwd: dir,
      env: { ...env, PORT: String(port), NODE_ENV: env.NODE_ENV ?? "development" },
      stdio: ["ignore", "pipe", "pipe"],
    });
    this.child = child;
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
      child.stdout!.setEncoding("utf8").on("data", onLine);
      child.stderr!.setEncoding("utf8").on("data", onLine);
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
}
