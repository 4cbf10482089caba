/**
 * Job queues on BullMQ (`@betagors/yama-queue-bullmq`), as `ctx.queue` in handlers:
 *
 *   plugins:
 *     "@betagors/yama-queue-bullmq":
 *       connection: { host: ${REDIS_HOST}, port: ${REDIS_PORT} }   # or url: ${REDIS_URL} (the default)
 *       queues:
 *         - name: emails
 *           concurrency: 5
 *           processor: jobs/send-email.ts     # runs each job: export default async function (job, ctx)
 *           attempts: 3
 *           backoff: 10s
 *
 * Compiled to src/plugins/queue.ts (the queues, typed by queue name: a job's data is what the
 * queue's processor takes), and, when a queue has a processor, src/workers.ts (the workers and the
 * JobContext processors receive) and src/worker.ts (a process that runs only the workers). The
 * Node server runs the workers too, unless QUEUE_WORKERS=false.
 */
import { z } from "zod";
import { resolveHandlerFile } from "../2-analyze/endpoints.js";
import type { OutputFile } from "../4-emit/index.js";
import { file, header, Imports, key, moduleSpecifier, ts } from "../4-emit/writer.js";
import type { HandlerIR, ProjectIR } from "../ir.js";
import { usesPino } from "./logging.js";
import { durationMs } from "./rate-limit.js";
import { checkRedisSecrets, connectionMembers, connectionOf, connectionVariables, redisConnection } from "./redis-connection.js";
import type { ContextMember, YamaPlugin } from "./types.js";

const QUEUE_NAME = z.string().regex(/^[A-Za-z][A-Za-z0-9_-]*$/, "must be a name such as emails or image-resize");
const duration = z.union([z.number().int().nonnegative(), z.string().regex(/^(\d+)\s*(ms|s|m|h|d)$/, "must be milliseconds or a duration such as 500ms, 10s or 1m")]);
const queueSettings = {
  /** Jobs each worker runs at once. */
  concurrency: z.number().int().positive().default(1),
  /** The file whose function runs each job (`handler:` is accepted too). */
  processor: z.string().min(1).optional(),
  handler: z.string().min(1).optional(),
  /** Tries per job; BullMQ's default is one (no retry). */
  attempts: z.number().int().positive().default(1),
  /** Delay before the first retry, doubled at each further one. */
  backoff: duration.optional(),
  /** Completed and failed jobs kept in Redis. */
  keepCompleted: z.number().int().nonnegative().default(1000),
  keepFailed: z.number().int().nonnegative().default(5000),
};

const options = z.strictObject({
  /** Where Redis is: `{url}` or `{host, port, password, db}`, or a URL string. Default: `${REDIS_URL}`. */
  connection: redisConnection.optional(),
  url: z.string().min(1).optional(),
  /** Prefix of every Redis key (BullMQ's default). */
  prefix: z.string().min(1).default("bull"),
  queues: z.union([z.array(z.strictObject({ name: QUEUE_NAME, ...queueSettings })), z.record(QUEUE_NAME, z.strictObject(queueSettings).nullable())]),
});

type RawOptions = z.output<typeof options>;

interface QueueDef {
  name: string;
  concurrency: number;
  attempts: number;
  backoffMs?: number;
  keepCompleted: number;
  keepFailed: number;
  /** Where the queue is declared (its `processor:` when it has one, for errors). */
  path: (string | number)[];
  processorSpec?: string;
  /** Resolved by analyze. */
  processor?: Extract<HandlerIR, { kind: "file" }>;
}

/** The options, with the queues as one list and their processor files resolved (by analyze). */
export type QueueOptions = RawOptions & { resolved?: QueueDef[] };

export const QUEUE_PLUGIN = "@betagors/yama-queue-bullmq";

/** The queues as a list, whichever form the config wrote them in. */
function queueList(opts: RawOptions): QueueDef[] {
  const entries: [string, z.output<z.ZodObject<typeof queueSettings>> | null, (string | number)[]][] = Array.isArray(opts.queues)
    ? opts.queues.map((q, i) => [q.name, q, ["queues", i]])
    : Object.entries(opts.queues).map(([name, q]) => [name, q, ["queues", name]]);
  return entries.map(([name, q, path]) => {
    const s = q ?? { concurrency: 1, attempts: 1, keepCompleted: 1000, keepFailed: 5000 };
    const spec = q?.processor ?? q?.handler;
    return {
      name,
      concurrency: s.concurrency,
      attempts: s.attempts,
      ...(q?.backoff !== undefined ? { backoffMs: durationMs(q.backoff) } : {}),
      keepCompleted: s.keepCompleted,
      keepFailed: s.keepFailed,
      path,
      ...(spec !== undefined ? { processorSpec: spec } : {}),
    };
  });
}

export const queuePlugin: YamaPlugin<QueueOptions> = {
  name: QUEUE_PLUGIN,
  aliases: ["queue-bullmq", "@betagors/yama-bullmq", "bullmq"],
  options,
  analyze(opts, ctx) {
    const at = (...rest: (string | number)[]) => ctx.parsed.locate([...ctx.path, ...rest]);
    checkRedisSecrets(opts.connection, opts.url, (...rest) => at(...rest), ctx.diagnostics);
    const queues = queueList(opts);
    if (queues.length === 0) ctx.diagnostics.error("bad-plugin-option", "the queue plugin declares no queues", at("queues"), "add e.g. `queues: [{name: emails, concurrency: 5}]`");
    const seen = new Set<string>();
    for (const q of queues) {
      if (seen.has(q.name)) ctx.diagnostics.error("bad-plugin-option", `queue ${q.name} is declared twice`, at(...q.path), "give each queue its own name");
      seen.add(q.name);
      if (q.processorSpec === undefined) continue;
      const raw = Array.isArray(opts.queues) ? opts.queues[q.path[1] as number] : opts.queues[q.name];
      const field = raw?.processor !== undefined ? "processor" : "handler";
      const resolved = resolveHandlerFile(q.processorSpec, at(...q.path, field), ctx.host, ctx.diagnostics);
      if (resolved?.kind === "file") q.processor = resolved;
    }
    opts.resolved = queues;
  },
  emit(opts, ir) {
    const queues = opts.resolved ?? queueList(opts);
    const c = connectionOf(opts.connection, opts.url);
    const imports = new Imports().add("../lib/queue.js", "bullmqQueues").type("../lib/queue.js", "QueueOptions");
    if (usesPino(ir)) imports.add("./logging.js", "handlerLogger");
    else imports.add("../lib/logger.js", "createLogger");
    const processed = queues.filter((q) => q.processor !== undefined);
    if (processed.length) imports.type("../lib/queue.js", "JobDataOf");
    for (const q of processed) {
      const from = moduleSpecifier("src/plugins", q.processor!.file);
      imports.type(from, q.processor!.exportName === processorName(q) ? processorName(q) : `${q.processor!.exportName} as ${processorName(q)}`);
    }
    const variables = connectionVariables(c);
    const conn = connectionMembers(c, "    ");
    const settings = queues.map((q) => `    ${key(q.name)}: { concurrency: ${q.concurrency}, attempts: ${q.attempts}${q.backoffMs !== undefined ? `, backoffMs: ${q.backoffMs}` : ""}, keepCompleted: ${q.keepCompleted}, keepFailed: ${q.keepFailed} },`);
    const types = queues.map((q) => `  ${key(q.name)}: ${q.processor ? `JobDataOf<typeof ${processorName(q)}>` : "unknown"};`);
    const body = `/** What each queue's jobs carry: the data its processor takes (\`unknown\` for a queue without one). */
export type QueueJobs = {
${types.join("\n")}
};

/** The queues of yama.yaml: where Redis is and how each queue runs its jobs. */
export const queueOptions: QueueOptions<keyof QueueJobs> = {
  connection: {
${conn.join("\n")}
  },
  variables: [${variables.map(ts).join(", ")}],
  prefix: ${ts(opts.prefix)},
  queues: {
${settings.join("\n")}
  },
};

/** Adds jobs: \`ctx.queue.add(${ts(queues[0]?.name ?? "name")}, data)\` (BullMQ on Redis; see src/lib/queue.ts). */
export const queue = bullmqQueues<QueueJobs>(queueOptions, ${usesPino(ir) ? `handlerLogger({ component: "queue" })` : `createLogger({ app: ${ts(ir.name)}, component: "queue" })`});`;
    const use = ir.plugins.find((p) => p.name === QUEUE_PLUGIN);
    const files: OutputFile[] = [{ path: "src/plugins/queue.ts", content: header("job queues", use?.loc ?? ir.configFile) + file(imports.toString(), body) }];
    const context: ContextMember[] = ir.endpoints.length > 0 ? [{ name: "queue", imports: { "./plugins/queue.js": ["queue"] }, doc: "Adds jobs to the queues of yama.yaml (src/plugins/queue.ts).", type: "typeof queue", value: "queue" }] : [];
    return {
      files,
      context,
      dependencies: { bullmq: "^6.7.0", ioredis: "^6.0.0" },
      ...(processed.length
        ? {
            startup: [{ imports: { "./workers.js": ["startWorkers"] }, statement: "// Queue workers run in this process too; QUEUE_WORKERS=false leaves them to `npm run worker` processes.\nconst workers = process.env.QUEUE_WORKERS === \"false\" ? undefined : startWorkers();" }],
            shutdown: [{ imports: {}, call: "workers?.close()", beforeDatabase: true }],
            scripts: { worker: "node --import tsx src/worker.ts" },
          }
        : {}),
    };
  },
};

/** The local name of a queue's processor in the emitted modules. */
const processorName = (q: QueueDef): string => `${q.name.replace(/[-_]+([A-Za-z0-9])/g, (_, ch: string) => ch.toUpperCase())}Processor`;

/**
 * src/workers.ts and src/worker.ts, when a queue has a processor: the workers, the JobContext a
 * processor receives (the database, the repositories, the queues, a logger bound to the job, and
 * the plugins' members that do not need a request, such as `email`), and a process that runs only
 * the workers.
 */
export function emitWorkers(ir: ProjectIR, members: readonly ContextMember[]): OutputFile[] {
  const use = ir.plugins.find((p) => p.name === QUEUE_PLUGIN);
  const queues = use ? ((use.options as QueueOptions).resolved ?? []).filter((q) => q.processor !== undefined) : [];
  if (queues.length === 0) return [];
  const withEntities = ir.endpoints.length > 0;
  const shared = members.filter((m) => !m.requestScoped && m.name !== "queue");
  const imports = new Imports()
    .add("./db/client.js", "db")
    .add("./lib/queue.js", "runWorkers")
    .type("./lib/queue.js", "RunningWorkers")
    .type("./lib/logger.js", "Logger")
    .add("./plugins/queue.js", "queue", "queueOptions")
    .type("./plugins/queue.js", "QueueJobs");
  if (withEntities) imports.add("./entities.js", "entities").type("./entities.js", "Entities");
  if (usesPino(ir)) imports.add("./plugins/logging.js", "handlerLogger");
  else imports.add("./lib/logger.js", "createLogger");
  for (const m of shared) {
    for (const [from, names] of Object.entries(m.imports)) imports.add(from, ...names);
    for (const [from, names] of Object.entries(m.typeImports ?? {})) imports.type(from, ...names);
  }
  for (const q of queues) {
    const from = moduleSpecifier("src", q.processor!.file);
    if (q.processor!.exportName === "default") imports.default(from, processorName(q));
    else imports.add(from, q.processor!.exportName === processorName(q) ? processorName(q) : `${q.processor!.exportName} as ${processorName(q)}`);
  }
  const fields = [
    "  /** Drizzle, as in handlers. */\n  db: typeof db;",
    ...(withEntities ? ["  /** The typed repositories, as in handlers. */\n  entities: Entities;"] : []),
    "  /** The queues, to add follow-up jobs. */\n  queue: typeof queue;",
    "  /** A logger bound to the queue, the job's id and the attempt. */\n  logger: Logger;",
    ...shared.map((m) => `  /** ${m.doc} */\n  ${m.name}: ${m.type};`),
  ];
  const values = ["db", ...(withEntities ? ["entities"] : []), "queue", "logger: jobLogger", ...shared.map((m) => (m.value === m.name ? m.name : `${m.name}: ${m.value}`))];
  const body = `export type { Job } from "./lib/queue.js";

/** What a job processor receives besides the job: \`export default async function (job: Job<Data>, ctx: JobContext)\`. */
export interface JobContext {
${fields.join("\n")}
}

const logger: Logger = ${usesPino(ir) ? `handlerLogger({ component: "workers" })` : `createLogger({ app: ${ts(ir.name)}, component: "workers" })`};

/** Starts the workers: ${queues.map((q) => `${q.name} (${q.processor!.file}, ${q.concurrency} at a time)`).join(", ")}. */
export function startWorkers(): RunningWorkers {
  return runWorkers<QueueJobs, JobContext>(
    queueOptions,
    { ${queues.map((q) => `${key(q.name)}: ${processorName(q)}`).join(", ")} },
    (_job, jobLogger) => ({ ${values.join(", ")} }),
    logger,
  );
}`;
  const worker = new Imports().add("./db/client.js", "database").add("./workers.js", "startWorkers");
  const first = `import "./load-env.js";\n${ir.config.length ? 'import "./env.js";\n' : ""}`;
  const workerBody = `/**
 * \`npm run worker\`: runs the queue workers without the HTTP server (run the server with
 * QUEUE_WORKERS=false to leave every job to such processes). SIGTERM lets running jobs finish.
 * It shares the server's database through DATABASE_URL: PGlite's files open in one process only.
 */
const workers = startWorkers();
console.log(${ts(`${ir.name} workers running: ${queues.map((q) => q.name).join(", ")}`)});

function shutdown(signal: string): void {
  console.log(\`\${signal} received, waiting for running jobs\`);
  workers
    .close()
    .then(() => database.close())
    .then(
      () => process.exit(0),
      () => process.exit(1),
    );
}

process.once("SIGTERM", () => shutdown("SIGTERM"));
process.once("SIGINT", () => shutdown("SIGINT"));`;
  return [
    { path: "src/workers.ts", content: header("queue workers", use!.loc) + file(imports.toString(), body) },
    { path: "src/worker.ts", content: header("queue worker process", use!.loc) + first + file(worker.toString(), workerBody) },
  ];
}
