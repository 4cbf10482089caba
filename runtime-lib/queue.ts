/**
 * Job queues on BullMQ (Redis), as `ctx.queue` in handlers and `job` processors in workers.
 *
 * Producers (`add`, `addBulk`) create each queue's BullMQ Queue on first use, so an app starts
 * without Redis; while Redis cannot be reached, adding fails within ADD_TIMEOUT_MS with a 503
 * (QUEUE_UNAVAILABLE) instead of waiting. After such a 503 the job may still be queued once
 * Redis answers: give jobs that must run once a `jobId`. Workers run the processors yama.yaml
 * names, `concurrency` jobs at a time each; a processor that throws fails the attempt, and BullMQ
 * retries it as the queue's `attempts` and `backoff` say.
 */
import { type ConnectionOptions, type Job, type JobsOptions, Queue, Worker } from "bullmq";
import { ServiceUnavailableError } from "./errors.js";
import type { Logger } from "./logger.js";

export type { Job } from "bullmq";

/** How long an add waits for Redis before answering 503. */
export const ADD_TIMEOUT_MS = 2_000;

/** Where Redis is: a URL, or host and port (any of them may come from an unset variable). */
export interface RedisConnection {
  url?: string;
  host?: string;
  port?: number;
  username?: string;
  password?: string;
  db?: number;
  tls?: boolean;
}

export interface QueueSettings {
  /** Jobs a worker runs at once. */
  concurrency: number;
  /** Tries per job (1: no retry). */
  attempts: number;
  /** First retry delay in ms, doubled at each further try. */
  backoffMs?: number;
  /** Completed and failed jobs kept in Redis (the oldest go first). */
  keepCompleted: number;
  keepFailed: number;
}

export interface QueueOptions<Name extends string> {
  connection: RedisConnection;
  /** The environment variables the connection reads, named in the 503 when none is set. */
  variables: readonly string[];
  /** Prefix of every Redis key of the queues. */
  prefix: string;
  queues: Readonly<Record<Name, QueueSettings>>;
}

/** What `add` takes besides the data: a delay, a priority, an id that makes adding idempotent. */
export type AddOptions = Pick<JobsOptions, "delay" | "priority" | "jobId" | "lifo" | "attempts">;

/** The data each queue's jobs carry, by queue name. */
export type JobData = Record<string, unknown>;

export interface JobQueues<D extends JobData> {
  /** Adds one job; resolves to its id. */
  add<N extends keyof D & string>(queue: N, data: D[N], options?: AddOptions): Promise<{ id: string }>;
  /** Adds several jobs to one queue at once (a single round trip). */
  addBulk<N extends keyof D & string>(queue: N, jobs: readonly { data: D[N]; options?: AddOptions }[]): Promise<{ ids: string[] }>;
  /** BullMQ's Queue itself, for what `add` does not cover (counts, pausing, schedulers). */
  queue<N extends keyof D & string>(name: N): Queue<D[N]>;
  /** Closes the connections of the queues used so far. */
  close(): Promise<void>;
}

/** The connection as BullMQ takes it; undefined when none of its variables is set. */
function connectionOf(c: RedisConnection): ConnectionOptions | undefined {
  if (!c.url && !c.host) return undefined;
  const { tls, ...rest } = c;
  const defined = Object.fromEntries(Object.entries(rest).filter(([, v]) => v !== undefined && v !== ""));
  return { ...defined, ...(tls ? { tls: {} } : {}) };
}

function unavailable(options: QueueOptions<string>, reason: string): ServiceUnavailableError {
  return new ServiceUnavailableError(reason === "unset" ? `Queues are not configured: set ${options.variables.join(" or ") || "the Redis connection"}` : `The job queue is unavailable (${reason})`, "QUEUE_UNAVAILABLE");
}

async function within<T>(work: Promise<T>, options: QueueOptions<string>): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(unavailable(options, `Redis did not answer within ${ADD_TIMEOUT_MS} ms`)), ADD_TIMEOUT_MS);
  });
  try {
    return await Promise.race([work, timeout]);
  } catch (err) {
    if (err instanceof ServiceUnavailableError) throw err;
    throw unavailable(options, err instanceof Error ? err.message : String(err));
  } finally {
    clearTimeout(timer);
  }
}

/** Redis errors repeat on every reconnect: each distinct one is logged once a minute. */
function errorLog(logger: Logger, what: string): (err: Error) => void {
  const last = new Map<string, number>();
  return (err) => {
    const now = Date.now();
    if (now - (last.get(err.message) ?? -Infinity) < 60_000) return;
    last.set(err.message, now);
    logger.error(`${what}: ${err.message}`, err);
  };
}

export function bullmqQueues<D extends JobData>(options: QueueOptions<keyof D & string>, logger: Logger): JobQueues<D> {
  const open = new Map<string, Queue>();
  const opts = options as QueueOptions<string>;
  const queueOf = (name: string): Queue => {
    let queue = open.get(name);
    if (queue !== undefined) return queue;
    const connection = connectionOf(options.connection);
    if (connection === undefined) throw unavailable(opts, "unset");
    const settings = opts.queues[name]!;
    queue = new Queue(name, {
      // Fail fast while Redis is away instead of buffering commands.
      connection: { ...connection, enableOfflineQueue: false, maxRetriesPerRequest: 1 },
      prefix: options.prefix,
      defaultJobOptions: {
        attempts: settings.attempts,
        ...(settings.backoffMs !== undefined ? { backoff: { type: "exponential", delay: settings.backoffMs } } : {}),
        removeOnComplete: { count: settings.keepCompleted },
        removeOnFail: { count: settings.keepFailed },
      },
    });
    queue.on("error", errorLog(logger, `queue ${name}`));
    open.set(name, queue);
    return queue;
  };
  return {
    async add(name, data, addOptions) {
      const job = await within(queueOf(name).add(name, data, addOptions), opts);
      return { id: job.id! };
    },
    async addBulk(name, jobs) {
      const added = await within(queueOf(name).addBulk(jobs.map((j) => ({ name, data: j.data, ...(j.options ? { opts: j.options } : {}) }))), opts);
      return { ids: added.map((job) => job.id!) };
    },
    queue: (name) => queueOf(name) as Queue<D[typeof name]>,
    async close() {
      await Promise.all([...open.values()].map((q) => q.close()));
      open.clear();
    },
  };
}

/** A processor of one queue's jobs: what it returns is stored as the job's result. */
export type Processor<Data, C> = (job: Job<Data>, ctx: C) => unknown;

/** The data type a processor takes (for typing `ctx.queue.add` from the processor files). */
export type JobDataOf<P> = P extends (job: Job<infer Data>, ...rest: never[]) => unknown ? Data : unknown;

export interface RunningWorkers {
  /** Stops taking jobs and waits for the running ones to finish. */
  close(): Promise<void>;
}

/**
 * Starts one BullMQ Worker per queue that has a processor. Each job gets a context from
 * `context` (the database, the repositories, the queues, a logger bound to the job).
 */
export function runWorkers<D extends JobData, C>(options: QueueOptions<keyof D & string>, processors: { readonly [N in keyof D]?: Processor<D[N], C> }, context: (job: Job, logger: Logger) => C, logger: Logger): RunningWorkers {
  const connection = connectionOf(options.connection);
  const opts = options as QueueOptions<string>;
  if (connection === undefined) {
    logger.error(`queue workers not started: set ${opts.variables.join(" or ") || "the Redis connection"}`);
    return { close: async () => {} };
  }
  const workers: Worker[] = [];
  for (const [name, processor] of Object.entries(processors) as [string, Processor<unknown, C> | undefined][]) {
    if (processor === undefined) continue;
    const worker = new Worker(
      name,
      async (job: Job) => {
        const jobLogger = logger.child({ queue: name, jobId: job.id, attempt: job.attemptsMade + 1 });
        return processor(job, context(job, jobLogger));
      },
      // Workers wait for Redis (blocking commands must not give up).
      { connection: { ...connection, maxRetriesPerRequest: null }, prefix: options.prefix, concurrency: opts.queues[name]!.concurrency },
    );
    worker.on("failed", (job, err) => {
      if (job !== undefined) logger.error(`job ${job.id} of queue ${name} failed (attempt ${job.attemptsMade} of ${job.opts.attempts ?? 1})`, err);
    });
    worker.on("error", errorLog(logger, `worker ${name}`));
    workers.push(worker);
  }
  return {
    async close() {
      await Promise.all(workers.map((w) => w.close()));
    },
  };
}
