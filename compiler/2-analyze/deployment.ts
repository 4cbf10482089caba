/**
 * `deployment:`: which targets to compile, their options, and the features a target cannot run.
 * A feature that cannot work on a target is a compile error naming both (never a silent
 * fallback); one that works differently there (per-instance state) is a warning.
 */
import type { ParsedConfig } from "../1-parse/parse.js";
import type { DiagnosticBag, SourceLocation } from "../diagnostics.js";
import type { DeploymentIR, TargetName } from "../ir.js";
import { EMAIL_NODE_ONLY, EMAIL_PLUGINS } from "../plugins/email.js";
import type { PluginUseIR } from "../plugins/types.js";
import { slug } from "../../targets/settings.js";
import { parseConfigString } from "./config-string.js";
import type { RawConfig } from "./config-schema.js";

export const TARGET_NAMES: readonly (TargetName | "node")[] = ["node", "docker", "lambda", "netlify", "vercel", "workers"];

/** Targets that run the app as short-lived function instances: no local disk kept, no state shared between instances. */
export const SERVERLESS_TARGETS: readonly TargetName[] = ["lambda", "netlify", "vercel", "workers"];

/** The base image both Dockerfile stages use unless `deployment.docker.baseImage` says otherwise. */
export const DEFAULT_BASE_IMAGE = "node:20.20.2-bookworm-slim";

/** A Workers compatibility date the pinned workerd supports and that turns on process.env from vars and secrets. */
export const DEFAULT_COMPATIBILITY_DATE = "2026-04-01";

/** Options given on the command line; they add to what the config says. */
export interface DeploymentOverrides {
  /** `--target`: compile these targets too (besides `deployment.targets`). */
  targets?: readonly (TargetName | "node")[];
  pm2?: boolean;
  systemd?: boolean;
}

const DEPLOYMENT_KEYS = ["targets", "node", "docker", "workers", "lambda", "vercel", "migrations"];

/** Lambda's defaults (template.yaml) when `deployment.lambda` leaves them out. */
export const LAMBDA_DEFAULTS = { memory: 512, timeout: 15, runtime: "nodejs20.x", architecture: "x86_64" } as const;

/** Vercel's function settings (vercel.json) when `deployment.vercel.functions` leaves them out. */
export const VERCEL_DEFAULTS = { memory: 1024, maxDuration: 15 } as const;

/** The variable the database client reads its pool size from on Lambda when `database.pool.max` is not set. */
export const LAMBDA_POOL_VAR = "DATABASE_POOL_MAX";

/** `JWT_SECRET` -> `JwtSecret`: a CloudFormation parameter name (letters and digits). */
export const parameterName = (env: string) => env.toLowerCase().split(/_+/).filter(Boolean).map((w) => w[0]!.toUpperCase() + w.slice(1)).join("") || "Value";

/**
 * An image digest, or a tag naming a release rather than a moving line: at least major.minor
 * (PostgreSQL's `16.4` is a release; `node:20`, `lts` and `latest` move).
 */
export function isPinnedImage(image: string): boolean {
  return /@sha256:[0-9a-f]{64}$/.test(image) || /:[^/@:]*\d+\.\d+[^/@:]*$/.test(image);
}

export function analyzeDeployment(
  config: RawConfig,
  parsed: ParsedConfig,
  diagnostics: DiagnosticBag,
  context: { name: string; plugins: readonly PluginUseIR[] },
  overrides: DeploymentOverrides = {},
): { targets: TargetName[]; deployment: DeploymentIR } {
  const raw = config.deployment ?? {};
  const top: SourceLocation = { file: parsed.file, line: 1, col: 1 };
  const locations: DeploymentIR["locations"] = {};
  const listed: (TargetName | "node")[] = [];
  for (const [i, t] of (raw.targets ?? []).entries()) {
    listed.push(t);
    locations[t] ??= parsed.locate(["deployment", "targets", i]);
  }
  for (const t of overrides.targets ?? []) {
    listed.push(t);
    locations[t] ??= top;
  }
  for (const key of Object.keys(raw)) {
    if (!DEPLOYMENT_KEYS.includes(key)) diagnostics.warn("not-yet-compiled", `deployment.${key} is not compiled by this version of yamac; it is ignored`, parsed.locate(["deployment", key], "key"));
  }
  const targets = [...new Set(listed.filter((t): t is TargetName => t !== "node"))].sort();

  const node = raw.node ?? {};
  const pm2 = overrides.pm2 || node.pm2 ? { instances: (typeof node.pm2 === "object" ? node.pm2.instances : undefined) ?? 1 } : undefined;
  const systemd = overrides.systemd || node.systemd
    ? { user: (typeof node.systemd === "object" ? node.systemd.user : undefined) ?? "node", directory: (typeof node.systemd === "object" ? node.systemd.directory : undefined) ?? `/srv/${slug(context.name)}` }
    : undefined;

  const baseImage = raw.docker?.baseImage ?? DEFAULT_BASE_IMAGE;
  if (targets.includes("docker") && !isPinnedImage(baseImage)) {
    diagnostics.error("docker-unpinned-image", `the docker base image "${baseImage}" is not pinned: a rebuild could pick up another Node.js`, parsed.locate(["deployment", "docker", "baseImage"]), `name a full version or a digest, e.g. ${DEFAULT_BASE_IMAGE}`);
  }
  const deployment: DeploymentIR = {
    node: { ...(pm2 ? { pm2 } : {}), ...(systemd ? { systemd } : {}) },
    docker: { baseImage, image: raw.docker?.image ?? slug(context.name) },
    workers: {
      name: raw.workers?.name ?? slug(context.name),
      compatibilityDate: raw.workers?.compatibilityDate ?? DEFAULT_COMPATIBILITY_DATE,
      plan: raw.workers?.plan ?? "free",
      ...(raw.workers?.hyperdriveId ? { hyperdriveId: raw.workers.hyperdriveId } : {}),
    },
    lambda: analyzeLambda(config),
    vercel: {
      memory: raw.vercel?.functions?.memory ?? VERCEL_DEFAULTS.memory,
      maxDuration: raw.vercel?.functions?.maxDuration ?? VERCEL_DEFAULTS.maxDuration,
      ...(raw.vercel?.regions ? { regions: [...new Set(raw.vercel.regions)] } : {}),
    },
    locations,
  };
  checkTargetFeatures(config, parsed, diagnostics, targets, context.plugins, locations);
  return { targets, deployment };
}

/** `deployment.lambda` with its defaults; environment values that are `${VAR}` become template parameters. */
function analyzeLambda(config: RawConfig): DeploymentIR["lambda"] {
  const raw = config.deployment?.lambda ?? {};
  const environment: DeploymentIR["lambda"]["environment"] = [];
  for (const [name, value] of Object.entries(raw.environment ?? {})) {
    // The schema allows text or one whole ${VAR} (or ${VAR:-default}).
    const parsedValue = parseConfigString(String(value));
    const [only] = parsedValue.kind === "env" ? parsedValue.parts : [];
    if (only && "env" in only) environment.push({ name, value: { parameter: parameterName(only.env), env: only.env, ...(only.fallback !== undefined ? { default: only.fallback } : {}) } });
    else environment.push({ name, value: String(value) });
  }
  // A pool size the config gives (a number or a ${VAR}) is the user's; otherwise the template sets it.
  const poolVar = config.database?.pool?.max === undefined ? LAMBDA_POOL_VAR : undefined;
  return {
    memory: raw.memory ?? LAMBDA_DEFAULTS.memory,
    timeout: raw.timeout ?? LAMBDA_DEFAULTS.timeout,
    layers: [...new Set(raw.layers ?? [])],
    environment,
    runtime: raw.runtime ?? LAMBDA_DEFAULTS.runtime,
    architecture: raw.architecture ?? LAMBDA_DEFAULTS.architecture,
    streaming: raw.streaming ?? false,
    ...(poolVar ? { poolVar } : {}),
  };
}

const list = (names: readonly string[]) => (names.length === 1 ? `the ${names[0]} target` : `the ${names.slice(0, -1).join(", ")} and ${names.at(-1)} targets`);

/** Features a target cannot run are errors; features that behave differently there are warnings. */
function checkTargetFeatures(config: RawConfig, parsed: ParsedConfig, diagnostics: DiagnosticBag, targets: readonly TargetName[], plugins: readonly PluginUseIR[], locations: DeploymentIR["locations"]): void {
  const serverless = targets.filter((t) => SERVERLESS_TARGETS.includes(t));
  const db = config.database ?? {};
  const pglitePlugin = pglitePluginPath(config.plugins);
  if (serverless.length && (db.dialect === "pglite" || db.dataDir !== undefined || pglitePlugin)) {
    const [feature, at] = db.dialect === "pglite" ? ["database.dialect", parsed.locate(["database", "dialect"], "key")] : db.dataDir !== undefined ? ["database.dataDir", parsed.locate(["database", "dataDir"], "key")] : ["the PGlite plugin", parsed.locate(pglitePlugin!, typeof pglitePlugin!.at(-1) === "string" ? "key" : "value")];
    diagnostics.error(
      "target-pglite",
      `PGlite file storage (${feature}) cannot work on ${list(serverless)}: ${serverless.includes("workers") ? "Workers have no file system to keep a database in" : "function instances get a fresh file system and lose it between invocations"}`,
      at,
      serverless.includes("workers") ? "use PostgreSQL (`database.url: ${DATABASE_URL}`; on Workers it comes through the Hyperdrive binding), or drop the serverless targets" : "use PostgreSQL: `database.url: ${DATABASE_URL}`, or drop the serverless targets",
    );
  }
  const rateLimit = plugins.find((p) => p.name === "@betagors/yama-rate-limit");
  if (rateLimit && serverless.length) {
    const options = (rateLimit.options as { rateLimit?: { store?: string; enabled?: boolean } }).rateLimit;
    const store = options?.store ?? "memory";
    const section = (["rateLimit", "rateLimits"] as const).find((k) => config[k] !== undefined);
    const written = typeof config.rateLimit === "object" && config.rateLimit !== null && "store" in config.rateLimit;
    const at = written ? parsed.locate(["rateLimit", "store"]) : section ? parsed.locate([section], "key") : rateLimit.loc;
    if (store === "memory") {
      diagnostics.warn("target-memory-store", `the rate limiter keeps its counters in memory, which on ${list(serverless)} is per function instance: limits are not shared and reset on cold starts`, at, serverless.some((t) => t !== "workers") ? "use `rateLimit: {store: redis, redisUrl: ${REDIS_URL}}` for one limit across instances" : "on Workers, add a Cloudflare rate limiting rule for limits shared across instances");
    } else if (store === "redis" && targets.includes("workers")) {
      diagnostics.error("target-node-only", "the rate limiter's redis store (ioredis) needs Node's TCP sockets (node:net, node:tls), which the workers target does not have", at, "use `store: memory` on Workers (per isolate), or a Cloudflare rate limiting rule");
    }
  }
  const email = plugins.find((p) => EMAIL_PLUGINS.some((e) => e.name === p.name));
  if (email && targets.includes("workers") && Object.values((email.options as { templates?: Record<string, unknown> }).templates ?? {}).some((t) => typeof t === "object")) {
    diagnostics.error("target-node-only", "e-mail templates are compiled by Handlebars with new Function(), which the workers target forbids", email.loc, "send messages written out (subject, html, text) on Workers, or render templates on another target");
  }
  const nodeOnly = email && EMAIL_NODE_ONLY[email.name];
  if (email && nodeOnly && targets.includes("workers")) {
    diagnostics.error("target-node-only", nodeOnly, email.loc, "on Workers, send through @betagors/yama-email-resend or @betagors/yama-email-ses (both use fetch), or send from a Node, Lambda or Docker deployment");
  }
  const cache = plugins.find((p) => p.name === "@betagors/yama-cache");
  if (cache && targets.includes("workers") && (cache.options as { cache?: { provider?: string } }).cache?.provider === "redis") {
    diagnostics.error("target-node-only", "the response cache's redis provider (ioredis) needs Node's TCP sockets (node:net, node:tls), which the workers target does not have", cache.loc, "use `provider: memory` on Workers (per isolate)");
  }
  const realtime = plugins.find((p) => p.name === "@betagors/yama-realtime");
  if (realtime && serverless.length > 0) {
    diagnostics.error("target-node-only", `realtime WebSockets need a long-running Node server, which ${list(serverless)} ${serverless.length > 1 ? "do" : "does"} not keep`, realtime.loc, "serve realtime from the node or docker target (deploy it beside the others), or publish through a hosted service from handlers");
  }
  const redis = plugins.find((p) => p.name === "@betagors/yama-redis");
  if (redis && targets.includes("workers")) {
    diagnostics.error("target-node-only", "@betagors/yama-redis (ioredis) needs Node's TCP sockets (node:net, node:tls), which the workers target does not have", redis.loc, "use Workers KV or an HTTP Redis (Upstash) from a handler on Workers, or deploy ctx.cache to a Node, Lambda or Docker target");
  }
  const queue = plugins.find((p) => p.name === "@betagors/yama-queue-bullmq");
  if (queue && targets.includes("workers")) {
    diagnostics.error("target-node-only", "BullMQ queues (ioredis) need Node's TCP sockets (node:net, node:tls), which the workers target does not have", queue.loc, "use Cloudflare Queues on Workers, or add jobs from a Node, Lambda or Docker deployment");
  }
  const files = plugins.find((p) => p.name === "@betagors/yama-fs");
  if (files && targets.includes("workers")) {
    diagnostics.error("target-node-only", "the fs storage plugin keeps files on the local disk (node:fs), which the workers target does not have", files.loc, "use @betagors/yama-s3 (Cloudflare R2 is S3-compatible) for a project with the workers target");
  }
  const objects = plugins.find((p) => p.name === "@betagors/yama-s3");
  if (objects && targets.includes("workers")) {
    diagnostics.error("target-node-only", "the AWS SDK's S3 client, as bundled for the workers target, parses S3's XML answers with DOMParser, which workerd does not have: listing, copying and every S3 error would fail", objects.loc, "run the storage endpoints on a Node, Lambda or Docker target; on Workers, use an R2 binding from your own handler code");
  }
  const ephemeral = serverless.filter((t) => t !== "workers");
  if (files && ephemeral.length) {
    diagnostics.error("target-fs-storage", `the fs storage plugin keeps files on the local disk, which on ${list(ephemeral)} is read-only or lost when a function instance ends`, files.loc, "use @betagors/yama-s3 for a project with serverless targets");
  }
  const docs = plugins.find((p) => p.name === "@betagors/yama-docs");
  if (docs && targets.includes("workers") && (docs.options as { docs?: unknown }).docs !== false && (docs.options as { docs?: { enabled?: unknown } }).docs?.enabled !== false) {
    diagnostics.error("target-node-only", "the docs page serves Swagger UI's files from node_modules (node:fs), which the workers target does not have", config.docs !== undefined ? parsed.locate(["docs"], "key") : docs.loc, "set `docs: false` for a project with the workers target, and serve the docs from another target or a static site");
  }
  if (targets.includes("docker") && !plugins.some((p) => p.name === "@betagors/yama-health")) {
    diagnostics.warn("docker-no-health", "the docker target's HEALTHCHECK probes the health plugin's liveness route; without the plugin the Dockerfile has no HEALTHCHECK", locations.docker!, "add `plugins: [\"@betagors/yama-health\"]`");
  }
}

/** Where `plugins:` lists the PGlite driver (`@betagors/yama-pglite`), in any of its three forms. */
function pglitePluginPath(plugins: unknown): (string | number)[] | undefined {
  const names = ["@betagors/yama-pglite", "pglite"];
  if (Array.isArray(plugins)) {
    for (const [i, item] of plugins.entries()) {
      if (typeof item === "string" && names.includes(item)) return ["plugins", i];
      if (typeof item === "object" && item !== null) for (const name of Object.keys(item)) if (names.includes(name)) return ["plugins", i, name];
    }
  } else if (typeof plugins === "object" && plugins !== null) {
    for (const name of Object.keys(plugins)) if (names.includes(name)) return ["plugins", name];
  }
  return undefined;
}
