/**
 * `npm run bench:pglite`: the emitted app on its embedded database (PGlite, in process) against
 * the hand-written baseline on PGlite (bench/reference/pglite.ts: the same point routes written
 * against PGlite's query API). Each app gets its own copy of one data directory, migrated by the
 * emitted app and seeded like `npm run bench` (10,000 products, 50,000 reviews). Alternating
 * rounds as in `npm run bench`; BENCH_ROUNDS (3), BENCH_SECONDS (5), BENCH_CONNECTIONS (10: PGlite
 * is one connection, so requests queue in the app either way).
 */
import { cpSync, mkdirSync, rmSync } from "node:fs";
import { cpus } from "node:os";
import { join } from "node:path";
import { PGlite } from "@electric-sql/pglite";
import { compileProject } from "../compiler/index.js";
import { generateProjectMigration } from "../compiler/migrate/generate.js";
import { fmt, median, ROOT, routes, type Sample, start, wrk } from "./load.js";

const DIR = join(ROOT, ".yama", "bench-pglite");
const APP = join(DIR, "app");
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 3);
const SECONDS = Number(process.env.BENCH_SECONDS ?? 5);
const CONNECTIONS = Number(process.env.BENCH_CONNECTIONS ?? 10);

rmSync(DIR, { recursive: true, force: true });
mkdirSync(APP, { recursive: true });
cpSync(join(ROOT, "bench/fixture/yama.yaml"), join(APP, "yama.yaml"));
if (!compileProject(APP).ok) throw new Error("bench fixture does not compile");
await generateProjectMigration(APP, { folder: "drizzle", allowDestructive: false });

console.log("preparing: migrate (the emitted app's own start), seed, copy …");
const emittedData = join(DIR, "emitted-data");
const pglite = { DATABASE_URL: "", YAMA_DATA_DIR: emittedData, YAMA_PGLITE_TEMPLATE: join(DIR, "template") };
const first = await start("emitted", ["src/server.ts"], APP, 3301, pglite);
first.child.kill("SIGTERM");
await new Promise((r) => first.child.once("exit", r));
const seed = await PGlite.create(emittedData);
await seed.exec(`
  insert into products (name, description, price, featured, created_at)
    select 'Product ' || g || case when g % 7 = 0 then ' anvil' else '' end, 'A fine product number ' || g, (g % 1000) + 0.99, g % 5 = 0, now() - (g || ' minutes')::interval
    from generate_series(1, 10000) g;
  insert into reviews (product_id, rating, body, created_at)
    select p.id, 1 + (r % 5), 'Review ' || r, now() - (r || ' seconds')::interval
    from (select id, row_number() over (order by id) as n from products) p
    join generate_series(1, 50000) r on (r % 10000) + 1 = p.n;
  analyze;`);
const ids = (await seed.query<{ id: string }>("select id from products order by random() limit 500")).rows.map((r) => r.id);
await seed.close();
const referenceData = join(DIR, "reference-data");
cpSync(emittedData, referenceData, { recursive: true });

const emitted = await start("emitted", ["src/server.ts"], APP, 3301, pglite);
const reference = await start("reference", [join(ROOT, "bench/reference/pglite.ts")], ROOT, 3302, { PGLITE_DATA_DIR: referenceData });
const apps = [reference, emitted];
const rs = routes(ids).filter((r) => !r.name.startsWith("list"));
const samples = new Map<string, { emitted: Sample[]; reference: Sample[] }>();
try {
  for (const route of rs) for (const app of apps) wrk(app, route, 2, CONNECTIONS);
  for (let round = 0; round < ROUNDS; round++) {
    for (const route of rs) {
      const s = samples.get(route.name) ?? { emitted: [], reference: [] };
      for (const app of round % 2 === 0 ? apps : [...apps].reverse()) s[app.name as "emitted" | "reference"].push(wrk(app, route, SECONDS, CONNECTIONS));
      samples.set(route.name, s);
      console.log(`round ${round + 1}/${ROUNDS} ${route.name}: emitted ${fmt(s.emitted.at(-1)!.rps)} req/s, reference ${fmt(s.reference.at(-1)!.rps)} req/s`);
    }
  }
} finally {
  for (const app of apps) app.child.kill("SIGTERM");
}

console.log(`\nMeasured ${new Date().toISOString().slice(0, 10)} with \`npm run bench:pglite\` (${ROUNDS} rounds × ${SECONDS} s per route and app, wrk -t1 -c${CONNECTIONS} on CPU 1, servers on CPU 0, ${cpus().length} cores, Node ${process.version}).\n`);
console.log("| route | emitted req/s | reference req/s | ratio min–median–max | emitted p99 (ms) | reference p99 (ms) | server CPU µs/req emitted / reference | peak RSS emitted / reference (MB) | non-2xx |");
console.log("|---|---:|---:|---|---:|---:|---|---|---:|");
for (const [name, s] of samples) {
  const ratios = s.emitted.map((e, i) => e.rps / s.reference[i]!.rps);
  console.log(
    `| ${name} | ${fmt(median(s.emitted.map((x) => x.rps)))} | ${fmt(median(s.reference.map((x) => x.rps)))} | ${fmt(Math.min(...ratios), 2)}–${fmt(median(ratios), 2)}–${fmt(Math.max(...ratios), 2)} | ${fmt(median(s.emitted.map((x) => x.p99)), 1)} | ${fmt(median(s.reference.map((x) => x.p99)), 1)} | ${fmt(median(s.emitted.map((x) => x.cpuUs)))} / ${fmt(median(s.reference.map((x) => x.cpuUs)))} | ${fmt(Math.max(...s.emitted.map((x) => x.peakMb)))} / ${fmt(Math.max(...s.reference.map((x) => x.peakMb)))} | ${s.emitted.reduce((a, x) => a + x.errors, 0)} / ${s.reference.reduce((a, x) => a + x.errors, 0)} |`,
  );
}
