/**
 * Job queues on BullMQ (`@betagors/yama-queue-bullmq`) against the real Redis on 127.0.0.1: a
 * handler adds a job with `ctx.queue.add`, the worker in the server process runs its processor
 * with the job context (repositories), failing jobs are retried as configured, a separate worker
 * process (src/worker.ts) takes the jobs of a server started with QUEUE_WORKERS=false, and a
 * Redis that cannot be reached gives a 503 in the envelope. The queue names and job data are
 * typed from the processor files.
 */
import { execFileSync, spawn } from "node:child_process";
import { randomUUID } from "node:crypto";
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { Queue } from "bullmq";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { compileText } from "../index.js";
import { call, createDatabase, freePort, prepareProjectFromText, removeProject, ROOT, type RunningServer, startServer } from "./harness.js";

const PREFIX = `yamac-test-${randomUUID().slice(0, 8)}`;
const REDIS_URL = "redis://127.0.0.1:6379/0";

const CONFIG = `name: queued
plugins:
  "@betagors/yama-queue-bullmq":
    connection:
      url: \${REDIS_URL}
    prefix: ${PREFIX}
    queues:
      - name: welcome-emails
        concurrency: 2
        processor: jobs/welcome.ts
        attempts: 3
        backoff: 50ms
      - name: audit
entities:
  Member:
    fields:
      email: email!
      welcomed: boolean = false
    crud: true
endpoints:
  - path: /members/{id}/welcome
    method: POST
    auth: false
    params: { id: uuid! }
    handler: handlers/welcome.ts
`;

const FILES: Record<string, string> = {
  "jobs/welcome.ts": `import type { Job, JobContext } from "../src/workers.js";

export default async function welcome(job: Job<{ memberId: string }>, ctx: JobContext) {
  const member = await ctx.entities.Member.findById(job.data.memberId);
  if (!member) throw new Error(\`no member \${job.data.memberId}\`);
  await ctx.entities.Member.update(member.id, { welcomed: true });
  ctx.logger.info("welcomed", { memberId: member.id });
  return { welcomed: member.email };
}
`,
  "handlers/welcome.ts": `import type { WelcomeContext } from "../src/endpoints/welcome.js";

export default async function welcome(ctx: WelcomeContext) {
  const job = await ctx.queue.add("welcome-emails", { memberId: ctx.params.id });
  ctx.status(202);
  return { jobId: job.id };
}
`,
};

const until = async <T>(what: string, probe: () => Promise<T | undefined>, ms = 20_000): Promise<T> => {
  const end = Date.now() + ms;
  for (;;) {
    const value = await probe();
    if (value !== undefined) return value;
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 100));
  }
};

describe("job queues on BullMQ", () => {
  let dir = "";
  let server: RunningServer | undefined;
  const welcome = new Queue("welcome-emails", { connection: { url: REDIS_URL }, prefix: PREFIX });

  beforeAll(async () => {
    dir = await prepareProjectFromText("queue", CONFIG, FILES);
    server = await startServer(dir, { REDIS_URL });
  }, 120_000);
  afterAll(async () => {
    await server?.stop();
    await welcome.obliterate({ force: true });
    await new Queue("audit", { connection: { url: REDIS_URL }, prefix: PREFIX }).obliterate({ force: true });
    await welcome.close();
    removeProject(dir);
  });

  const member = async (base: string) => {
    const res = await call(base, "POST", "/members", { email: `m-${randomUUID().slice(0, 6)}@example.com` });
    expect(res.status, res.text).toBe(201);
    return (res.body as { id: string }).id;
  };

  it("runs a job a handler adds, in the server's worker, with the repositories in its context", async () => {
    const id = await member(server!.base);
    const res = await call(server!.base, "POST", `/members/${id}/welcome`);
    expect(res.status, res.text).toBe(202);
    const { jobId } = res.body as { jobId: string };
    expect(jobId).toMatch(/^\d+$/);
    await until("the member to be welcomed", async () => ((await call(server!.base, "GET", `/members/${id}`)).body as { welcomed: boolean }).welcomed || undefined);
    const job = await until("the job to complete", async () => {
      const j = await welcome.getJob(jobId);
      return j && (await j.isCompleted()) ? j : undefined;
    });
    expect(job.returnvalue).toMatchObject({ welcomed: expect.stringMatching(/@example\.com$/) });
    expect(job.data).toEqual({ memberId: id });
  });

  it("retries a failing job as `attempts` and `backoff` say, then keeps it as failed", async () => {
    const missing = randomUUID();
    const res = await call(server!.base, "POST", `/members/${missing}/welcome`);
    expect(res.status).toBe(202);
    const job = await until("the job to fail for good", async () => {
      const j = await welcome.getJob((res.body as { jobId: string }).jobId);
      return j && (await j.isFailed()) ? j : undefined;
    });
    expect(job.attemptsMade).toBe(3);
    expect(job.failedReason).toBe(`no member ${missing}`);
    await until("the failure to be logged", async () => (server!.output.join("") + server!.stderr.join("")).includes(`no member ${missing}`) || undefined);
  });

  it("types the queues: the project passes tsc --strict; an unknown queue or the wrong job data does not", () => {
    const tsc = () => execFileSync(join(ROOT, "node_modules/.bin/tsc"), ["--noEmit", "-p", dir], { encoding: "utf8", stdio: "pipe" });
    tsc();
    const handler = join(dir, "handlers/welcome.ts");
    for (const wrong of [FILES["handlers/welcome.ts"]!.replace('"welcome-emails"', '"welcome-email"'), FILES["handlers/welcome.ts"]!.replace("memberId:", "memberID:")]) {
      writeFileSync(handler, wrong);
      expect(tsc).toThrow();
    }
    writeFileSync(handler, FILES["handlers/welcome.ts"]!);
    tsc();
  }, 120_000);

  it("answers 503 in the envelope, within seconds, when Redis cannot be reached or is not configured", async () => {
    const port = await freePort();
    for (const [env, message] of [
      [{ REDIS_URL: `redis://127.0.0.1:${port}` }, /queue is unavailable/],
      [{ REDIS_URL: "" }, /set REDIS_URL/],
    ] as const) {
      const down = await startServer(dir, { ...env, YAMA_DATA_DIR: join(dir, ".yama", `data-down-${port}-${env.REDIS_URL.length}`) });
      try {
        const id = await member(down.base);
        const started = Date.now();
        const res = await call(down.base, "POST", `/members/${id}/welcome`);
        expect(Date.now() - started).toBeLessThan(5_000);
        expect(res.status, res.text).toBe(503);
        expect(res.body).toMatchObject({ error: { code: "QUEUE_UNAVAILABLE", message: expect.stringMatching(message), requestId: expect.any(String) } });
      } finally {
        await down.stop();
      }
    }
  }, 120_000);
  // Last: it stops the server whose worker the tests above use.
  it("leaves jobs to `npm run worker` processes with QUEUE_WORKERS=false (on PostgreSQL); the worker exits 0 on SIGTERM", async () => {
    // SIGTERM: the server stops taking requests, lets its worker finish and exits 0.
    await server!.stop();
    expect(server!.child.exitCode).toBe(0);
    const db = await createDatabase("yamac_queue");
    const web = await startServer(dir, { REDIS_URL, QUEUE_WORKERS: "false", DATABASE_URL: db.url });
    try {
      const id = await member(web.base);
      const res = await call(web.base, "POST", `/members/${id}/welcome`);
      expect(res.status).toBe(202);
      const jobId = (res.body as { jobId: string }).jobId;
      // No worker runs yet: the job waits.
      await new Promise((r) => setTimeout(r, 500));
      expect(await (await welcome.getJob(jobId))!.getState()).toBe("waiting");
      const worker = spawn(process.execPath, ["--import", "tsx", "src/worker.ts"], { cwd: dir, env: { ...process.env, REDIS_URL, DATABASE_URL: db.url, NODE_ENV: "test" }, stdio: ["ignore", "pipe", "pipe"] });
      let out = "";
      worker.stdout!.on("data", (c: Buffer) => (out += c.toString()));
      worker.stderr!.on("data", (c: Buffer) => (out += c.toString()));
      const exited = new Promise<number | null>((resolve) => worker.once("exit", (code) => resolve(code)));
      try {
        await until("the worker process to start", async () => out.includes("workers running: welcome-emails") || undefined, 60_000);
        await until("the worker process to welcome the member", async () => ((await call(web.base, "GET", `/members/${id}`)).body as { welcomed: boolean }).welcomed || undefined);
      } finally {
        worker.kill("SIGTERM");
        expect(await exited, out).toBe(0);
      }
      expect(web.output.join("")).not.toContain("welcomed");
    } finally {
      await web.stop();
      await db.drop();
    }
  }, 120_000);
});

describe("queue plugin diagnostics", () => {
  const errors = (lines: string[], extra = "") => compileText(["name: t", "plugins:", '  "@betagors/yama-queue-bullmq":', ...lines].join("\n") + "\n" + extra).diagnostics.filter((d) => d.severity === "error");

  it("rejects secrets written into the config, duplicate and missing queues, and the workers target", () => {
    expect(errors(["    connection: { host: localhost, password: hunter2 }", "    queues: [{name: a}]"]).map((d) => d.code)).toEqual(["secret-in-config"]);
    expect(errors(["    connection: redis://u:pw@localhost:6379", "    queues: [{name: a}]"]).map((d) => d.code)).toEqual(["secret-in-config"]);
    expect(errors(["    queues: [{name: a}, {name: a}]"]).map((d) => [d.code, d.message])).toEqual([["bad-plugin-option", "queue a is declared twice"]]);
    expect(errors(["    queues: []"]).map((d) => d.code)).toEqual(["bad-plugin-option"]);
    expect(errors(["    queues: [{name: 'bad name'}]"]).map((d) => d.code)).toEqual(["bad-plugin-option"]);
    expect(errors(["    queues: [{name: a, concurrency: 0}]"]).map((d) => d.code)).toEqual(["bad-plugin-option"]);
    expect(errors(["    queues: {emails: {concurrency: 5}, audit: ~}"])).toEqual([]);
    expect(errors(["    queues: [{name: a}]"], "deployment:\n  targets: [workers]\n").map((d) => d.code)).toEqual(["target-node-only"]);
  });

  it("checks processor files when it can read the project", () => {
    const result = compileText(["name: t", "plugins:", '  "@betagors/yama-queue-bullmq":', "    queues:", "      - name: a", "        processor: jobs/missing.ts", "      - name: b", "        processor: jobs/none.ts"].join("\n") + "\n", "yama.yaml", {
      readFile: (path) => (path === "jobs/none.ts" ? "export const x = 1;\n" : undefined),
    });
    const found = result.diagnostics.filter((d) => d.severity === "error").map((d) => [d.code, d.location.line]);
    expect(found).toEqual([
      ["missing-handler", 6],
      ["bad-handler", 8],
    ]);
  });
});
