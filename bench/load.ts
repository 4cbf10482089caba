/**
 * What the benchmarks share: starting a server pinned to CPU 0, the routes and their wrk scripts,
 * one wrk run (req/s, latency, server CPU time per request), and small number helpers.
 */
import { type ChildProcess, execFileSync, spawn } from "node:child_process";
import { mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { fileURLToPath } from "node:url";

export const ROOT = fileURLToPath(new URL("..", import.meta.url));

export function sh(cmd: string, args: string[], env: Record<string, string> = {}, cwd = ROOT): string {
  return execFileSync(cmd, args, { cwd, env: { ...process.env, ...env }, encoding: "utf8", stdio: ["ignore", "pipe", "pipe"] });
}

export interface Server {
  name: string;
  child: ChildProcess;
  port: number;
}

export async function start(name: string, args: string[], cwd: string, port: number, env: Record<string, string>): Promise<Server> {
  const child = spawn("taskset", ["-c", "0", process.execPath, "--import", "tsx", ...args], {
    cwd,
    env: { ...process.env, DATABASE_POOL_MAX: "10", PORT: String(port), HOST: "127.0.0.1", NODE_ENV: "production", LOG_LEVEL: "warn", ...env },
    stdio: ["ignore", "pipe", "inherit"],
  });
  await new Promise<void>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`${name} did not start`)), 60_000);
    child.stdout!.on("data", (d: Buffer) => {
      if (d.toString().includes("listening")) {
        clearTimeout(timer);
        resolve();
      }
    });
  });
  return { name, child, port };
}

/** The process's peak resident set size (VmHWM) since it started or since resetPeakRss, in MB. */
export function peakRssMb(pid: number): number {
  // taskset execs node in place, so the pid is node's.
  const status = readFileSync(`/proc/${pid}/status`, "utf8");
  return Number(/VmHWM:\s+(\d+)/.exec(status)?.[1] ?? 0) / 1024;
}

/** Restarts the peak resident set size from the current one (Linux: "5" to /proc/<pid>/clear_refs). */
export function resetPeakRss(pid: number): void {
  writeFileSync(`/proc/${pid}/clear_refs`, "5");
}

export interface Route {
  name: string;
  method: "GET" | "POST";
  /** Lua for wrk: picks a path per request. */
  script: string;
}

export function routes(ids: string[]): Route[] {
  const list = `ids = {${ids.map((i) => `"${i}"`).join(",")}}\n`;
  const pick = (suffix: string) => `${list}request = function() return wrk.format("GET", "/products/" .. ids[math.random(#ids)] .. "${suffix}") end\n`;
  return [
    { name: "GET by id", method: "GET", script: pick("") },
    { name: "list + search + filter + sort", method: "GET", script: `request = function() return wrk.format("GET", "/products?search=anvil&featured=true&sort=-price&limit=20") end\n` },
    { name: "relation (reviews of a product)", method: "GET", script: pick("/reviews") },
    { name: "aggregate (count/avg/sum)", method: "GET", script: pick("/stats") },
    {
      name: "POST create (validated)",
      method: "POST",
      script: `counter = 0\nrequest = function()\n  counter = counter + 1\n  return wrk.format("POST", "/products", {["content-type"] = "application/json"}, '{"name":"Bench ' .. counter .. '","price":12.5,"featured":true}')\nend\n`,
    },
  ];
}

export interface Sample {
  rps: number;
  /** Server CPU time (user + system) per request, in microseconds. */
  cpuUs: number;
  p50: number;
  p99: number;
  errors: number;
  /** The server's peak resident set size during the run (MB). */
  peakMb: number;
}

function ms(text: string): number {
  const m = /([\d.]+)(us|ms|s)/.exec(text);
  if (!m) return NaN;
  const v = Number(m[1]);
  return m[2] === "us" ? v / 1000 : m[2] === "s" ? v * 1000 : v;
}

/** CPU time a process has used, user + system, in seconds (clock ticks of 1/100 s). */
export function cpuSeconds(pid: number): number {
  const fields = readFileSync(`/proc/${pid}/stat`, "utf8").split(") ")[1]!.split(" ");
  return (Number(fields[11]) + Number(fields[12])) / 100;
}

export function wrk(app: Server, route: Route, seconds: number, connections: number): Sample {
  const script = join(ROOT, ".yama", "bench", `route-${app.port}.lua`);
  mkdirSync(join(ROOT, ".yama", "bench"), { recursive: true });
  writeFileSync(script, route.script);
  const cpuBefore = cpuSeconds(app.child.pid!);
  resetPeakRss(app.child.pid!);
  return wrkSample(sh("taskset", wrkArgs(app, script, seconds, connections)), app, cpuBefore);
}

/** `taskset` arguments that run wrk on CPU 1 against `app` with a Lua script, reporting latency percentiles. */
export function wrkArgs(app: Server, script: string, seconds: number, connections: number): string[] {
  return ["-c", "1", "wrk", "-t1", `-c${connections}`, `-d${seconds}s`, "--latency", "-s", script, `http://127.0.0.1:${app.port}`];
}

/**
 * A wrk report as a Sample; CPU per request from the server's CPU seconds when the run started,
 * peak memory since the run's resetPeakRss.
 */
export function wrkSample(out: string, app: Server, cpuBefore: number): Sample {
  const rps = Number(/Requests\/sec:\s+([\d.]+)/.exec(out)?.[1] ?? 0);
  const p50 = ms(/\s50%\s+(\S+)/.exec(out)?.[1] ?? "");
  const p99 = ms(/\s99%\s+(\S+)/.exec(out)?.[1] ?? "");
  const errors = Number(/Non-2xx or 3xx responses:\s+(\d+)/.exec(out)?.[1] ?? 0) + Number(/Socket errors:.*?(\d+)/.exec(out)?.[1] ?? 0);
  const requests = Number(/(\d+) requests in/.exec(out)?.[1] ?? 0);
  const cpuUs = requests > 0 ? ((cpuSeconds(app.child.pid!) - cpuBefore) * 1e6) / requests : NaN;
  return { rps, cpuUs, p50, p99, errors, peakMb: peakRssMb(app.child.pid!) };
}

export const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;

export const fmt = (x: number, d = 0) => x.toFixed(d);

