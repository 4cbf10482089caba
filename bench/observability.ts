/**
 * `npx tsx bench/observability.ts`: what the observability plugins cost per request. The
 * `observability` fixture is compiled twice, with its metrics, tracing and error-tracking plugins
 * and without them (auth and health stay), and both apps serve GET /products/:id (one prepared
 * query) from the same PostgreSQL database. wrk drives them alternately (A B A B …); the report
 * is the median requests per second of each and their ratio. Spans go to a local OTLP sink with
 * every request sampled (the most expensive setting).
 *
 * Environment: BENCH_ROUNDS (3), BENCH_SECONDS (5), BENCH_CONNECTIONS (50).
 */
import { createServer } from "node:http";
import { appendFileSync, cpSync, mkdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { execFileSync } from "node:child_process";
import { createDatabase, freePort, ROOT, startServer } from "../compiler/test/harness.js";
import { compileProject } from "../compiler/index.js";
import { generateProjectMigration } from "../compiler/migrate/generate.js";

const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 3);
const SECONDS = Number(process.env.BENCH_SECONDS ?? 5);
const CONNECTIONS = Number(process.env.BENCH_CONNECTIONS ?? 50);

async function prepare(name: string, withPlugins: boolean): Promise<string> {
  const dir = join(ROOT, ".yama", "bench-observability", name);
  rmSync(dir, { recursive: true, force: true });
  mkdirSync(dir, { recursive: true });
  cpSync(join(ROOT, "fixtures", "observability"), dir, { recursive: true });
  if (!withPlugins) {
    const text = readFileSync(join(dir, "yama.yaml"), "utf8");
    const kept = text.replace(/  "@betagors\/yama-(metrics|tracing|error-tracking)":\n(    .*\n|      .*\n|        .*\n)*/g, "").replace(/^monitoring:\n(  .*\n)*/m, "").replace(/^endpoints:[\s\S]*$/m, "");
    writeFileSync(join(dir, "yama.yaml"), kept);
  }
  const compiled = compileProject(dir);
  if (!compiled.ok) throw new Error(`${name} does not compile: ${JSON.stringify(compiled.diagnostics)}`);
  await generateProjectMigration(dir, { folder: "drizzle", allowDestructive: false });
  return dir;
}

function wrk(url: string): number {
  const out = execFileSync("wrk", ["-t1", `-c${CONNECTIONS}`, `-d${SECONDS}s`, url], { encoding: "utf8" });
  const m = /Requests\/sec:\s+([\d.]+)/.exec(out);
  if (!m || /Non-2xx/.test(out)) throw new Error(`wrk failed:\n${out}`);
  return Number(m[1]);
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;

const sink = createServer((req, res) => {
  req.resume();
  req.on("end", () => res.writeHead(200, { "content-type": "application/json" }).end("{}"));
});
const sinkPort = await freePort();
await new Promise<void>((resolve) => sink.listen(sinkPort, "127.0.0.1", resolve));

const dbs = { off: await createDatabase("yamac_bench_obs"), on: await createDatabase("yamac_bench_obs"), unsampled: await createDatabase("yamac_bench_obs") };
const [off, on] = [await prepare("off", false), await prepare("on", true)];
const env = { JWT_SECRET: "bench-secret-0123456789abcdef0123456789", OTEL_EXPORTER_OTLP_ENDPOINT: `http://127.0.0.1:${sinkPort}`, LOG_LEVEL: "warn" };
const servers = { off: await startServer(off, { ...env, DATABASE_URL: dbs.off.url }), on: await startServer(on, { ...env, DATABASE_URL: dbs.on.url }), unsampled: await startServer(on, { ...env, DATABASE_URL: dbs.unsampled.url, TRACE_SAMPLE_RATE: "0" }) };
try {
  // The same row (same id) in both databases.
  const id = "7c9e6679-7425-40de-944b-e07fc1f90ae7";
  for (const db of Object.values(dbs)) await db.sql`insert into products (id, name, price) values (${id}, 'Lamp', 40)`;
  const results = { off: [] as number[], on: [] as number[], unsampled: [] as number[] };
  const names = ["off", "on", "unsampled"] as const;
  for (const name of names) wrk(`${servers[name].base}/products/${id}`); // warm-up
  for (let round = 0; round < ROUNDS; round++) {
    for (const name of names) results[name].push(wrk(`${servers[name].base}/products/${id}`));
  }
  const line = `GET /products/:id, ${ROUNDS}×${SECONDS}s, wrk -c${CONNECTIONS}: without plugins ${median(results.off).toFixed(0)} req/s, with metrics+tracing+error tracking ${median(results.on).toFixed(0)} req/s (ratio ${(median(results.on) / median(results.off)).toFixed(2)}), the same with no trace sampled ${median(results.unsampled).toFixed(0)} req/s (ratio ${(median(results.unsampled) / median(results.off)).toFixed(2)}); rounds ${names.map((n) => `${n} ${results[n].map((r) => r.toFixed(0)).join("/")}`).join(", ")}`;
  console.log(line);
  if (process.env.BENCH_APPEND) appendFileSync(join(ROOT, "bench", "RESULTS.md"), `\n${line}\n`);
} finally {
  await servers.off.stop();
  await servers.on.stop();
  await servers.unsampled.stop();
  for (const db of Object.values(dbs)) await db.drop();
  sink.close();
}
