/**
 * `npm run bench:targets`: the bench fixture built for every target (`yamac build`, minified as
 * for production): bundle size per target, raw and gzip; then the Lambda bundle's cold start in
 * a new process each time (Node start, import of the bundle, first invocation of GET
 * /products/:id through an API Gateway v2 event), on the PostgreSQL database `npm run bench`
 * seeds (BENCH_DATABASE_URL). Median of RUNS (5).
 */
import { execFileSync } from "node:child_process";
import { cpSync, mkdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import postgres from "postgres";
import { buildProject } from "../compiler/build.js";
import { compileProject } from "../compiler/index.js";

const ROOT = fileURLToPath(new URL("..", import.meta.url));
const APP = join(ROOT, ".yama", "bench-targets", "app");
const DB_URL = process.env.BENCH_DATABASE_URL ?? "postgres://postgres@127.0.0.1:5432/yamac_bench";
const RUNS = Number(process.env.RUNS ?? 5);
const TARGETS = ["node", "lambda", "vercel", "netlify", "workers"] as const;

rmSync(APP, { recursive: true, force: true });
mkdirSync(APP, { recursive: true });
cpSync(join(ROOT, "bench/fixture/yama.yaml"), join(APP, "yama.yaml"));
// Lambda answers buffered (API Gateway) here: the streaming handler needs the Lambda runtime's globals.
writeFileSync(join(APP, "yama.yaml"), `${readFileSync(join(APP, "yama.yaml"), "utf8")}\ndeployment:\n  targets: [${TARGETS.filter((t) => t !== "node").join(", ")}]\n`);
const compiled = compileProject(APP);
if (!compiled.ok) throw new Error(`bench fixture does not compile for every target: ${JSON.stringify(compiled.diagnostics)}`);
const bundles = await buildProject(APP, compiled.ir!, { out: "dist", minify: true, sourcemap: false, targets: [...TARGETS] });

const kib = (n: number) => `${(n / 1024).toFixed(0)} KiB`;
console.log(`Bundles of the bench app (\`yamac build\`, minified), ${new Date().toISOString().slice(0, 10)}:\n`);
console.log("| target | file | size | gzip |");
console.log("|---|---|---:|---:|");
for (const b of bundles) console.log(`| ${b.target} | dist/${b.file} | ${kib(b.bytes)} | ${kib(b.gzipBytes)} |`);

const sql = postgres(DB_URL, { max: 1, onnotice: () => {} });
const [product] = await sql<{ id: string }[]>`select id from products limit 1`;
await sql.end();
if (!product) throw new Error(`no products in ${DB_URL}: run \`npm run bench\` first`);

/** A new Node process: import the Lambda bundle and invoke it once; times measured inside and from the parent. */
const probe = `
const t0 = performance.now();
const { handler } = await import(${JSON.stringify(join(APP, "dist/lambda/index.mjs"))});
const t1 = performance.now();
const event = { version: "2.0", routeKey: "$default", rawPath: "/products/${product.id}", rawQueryString: "", headers: { host: "localhost" },
  requestContext: { http: { method: "GET", path: "/products/${product.id}", protocol: "HTTP/1.1", sourceIp: "127.0.0.1", userAgent: "bench" }, requestId: "bench", routeKey: "$default", stage: "$default", timeEpoch: Date.now() },
  isBase64Encoded: false };
const res = await handler(event, { callbackWaitsForEmptyEventLoop: false });
const t2 = performance.now();
if (res.statusCode !== 200) { console.error(JSON.stringify(res)); process.exit(1); }
console.log(JSON.stringify({ boot: t0, importMs: t1 - t0, invokeMs: t2 - t1 }));
process.exit(0);
`;
const samples: { total: number; boot: number; importMs: number; invokeMs: number }[] = [];
for (let i = 0; i < RUNS; i++) {
  const started = performance.now();
  const out = execFileSync(process.execPath, ["--input-type=module", "-e", probe], { cwd: join(APP, "dist"), env: { ...process.env, DATABASE_URL: DB_URL, NODE_ENV: "production" }, encoding: "utf8" });
  const total = performance.now() - started;
  samples.push({ total, ...(JSON.parse(out.trim().split("\n").at(-1)!) as { boot: number; importMs: number; invokeMs: number }) });
}
const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
const ms = (x: number) => `${x.toFixed(0)} ms`;
console.log(`\nLambda cold start (new process each time, GET /products/:id on PostgreSQL), median of ${RUNS}:\n`);
console.log("| spawn → answer | Node start | import of the bundle | first invocation (connects, queries) | runs (spawn → answer) |");
console.log("|---:|---:|---:|---:|---|");
console.log(`| ${ms(median(samples.map((s) => s.total)))} | ${ms(median(samples.map((s) => s.boot)))} | ${ms(median(samples.map((s) => s.importMs)))} | ${ms(median(samples.map((s) => s.invokeMs)))} | ${samples.map((s) => s.total.toFixed(0)).join(", ")} |`);
