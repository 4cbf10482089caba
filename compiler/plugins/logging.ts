/**
 * @betagors/yama-logging: pino. One JSON line per request (method, path, route pattern, status,
 * duration, request id), unexpected errors logged with their stack (never sent to clients),
 * `ctx.logger` bound to the request id, and redaction of credentials and of every field marked
 * `sensitive` or `writeOnly` in the config.
 */
import { z } from "zod";
import { parseConfigString } from "../2-analyze/config-string.js";
import { envExpression } from "../4-emit/env.js";
import { file, header, Imports, ts } from "../4-emit/writer.js";
import type { ProjectIR } from "../ir.js";
import { REQUEST_ID_WIRING, type YamaPlugin } from "./types.js";

const LEVELS = ["trace", "debug", "info", "warn", "error", "fatal"] as const;

const options = z.strictObject({
  /**
   * Default level; LOG_LEVEL overrides it at start-up. Also `${VAR}` or `${VAR:-info}`: another
   * variable read at start-up (its fallback must be a level).
   */
  level: z.union([
    z.enum(LEVELS),
    z.string().regex(new RegExp(`^\\$\\{[A-Za-z_][A-Za-z0-9_]*(?::-(?:${LEVELS.join("|")}))?\\}$`), `must be one of ${LEVELS.join(", ")}, or \${VAR} / \${VAR:-info}`),
  ]).default("info"),
  /**
   * `json`: one JSON object per line (what log collectors read); `pretty`: coloured, human-readable
   * lines through pino-pretty (for `npm run dev`; not in `yamac build` bundles); `auto` (default):
   * pretty when NODE_ENV=development and stdout is a terminal. LOG_FORMAT overrides it at start-up.
   */
  format: z.enum(["auto", "json", "pretty"]).default("auto"),
  /** Log one line per request. */
  requests: z.boolean().default(true),
  /** Extra property names to redact wherever they appear in a log entry. */
  redact: z.array(z.string().regex(/^[A-Za-z_$][\w$]*$/, "must be a property name")).default([]),
});

export type LoggingOptions = z.output<typeof options>;

const ALWAYS_REDACTED = ["authorization", "cookie", "password", "token", "secret"];

export const LOGGING_PLUGIN = "@betagors/yama-logging";

/** Whether the app logs through pino (the handler context then uses its logger). */
export const usesPino = (ir: ProjectIR) => ir.plugins.some((p) => p.name === LOGGING_PLUGIN);

/** The level pino starts with: LOG_LEVEL, else the config's level (or the variable it names, read at start-up). */
function levelExpression(level: string): string {
  const parsed = parseConfigString(level);
  if (parsed.kind === "literal") return `process.env.LOG_LEVEL ?? ${ts(level)}`;
  const ref = parsed.parts[0] as { env: string; fallback?: string };
  if (ref.env === "LOG_LEVEL") return ref.fallback === undefined ? "process.env.LOG_LEVEL" : `process.env.LOG_LEVEL || ${ts(ref.fallback)}`;
  return `process.env.LOG_LEVEL ?? ${envExpression(parsed)}`;
}

export const loggingPlugin: YamaPlugin<LoggingOptions> = {
  name: LOGGING_PLUGIN,
  aliases: ["logging", "yama-logging"],
  options,
  emit(opts, ir) {
    const sensitive = ir.entities.flatMap((e) => e.fields.filter((f) => f.sensitive || f.writeOnly).map((f) => f.name));
    const names = [...new Set([...ALWAYS_REDACTED, ...sensitive, ...opts.redact])].sort();
    const imports = new Imports().default("pino", "pino").type("hono", "MiddlewareHandler").type("../lib/http.js", "AppEnv").type("../lib/logger.js", "Logger").type("../lib/http.js", "ErrorReport").add("../lib/http.js", "requestIdOf");
    const body = `/** Property names whose values never reach the logs, at the top level and one level down. */
const redacted = [${names.map(ts).join(", ")}];

/** LOG_FORMAT, else the config's \`format\` (${opts.format}${opts.format === "auto" ? ": pretty in a development terminal" : ""}). Bundles log JSON: pino-pretty runs in a worker thread that esbuild does not bundle. */
const format = process.env.LOG_FORMAT ?? ${opts.format === "auto" ? `(process.env.NODE_ENV === "development" && process.stdout.isTTY ? "pretty" : "json")` : ts(opts.format)};

export const logger = pino({
  level: ${levelExpression(opts.level)},
  base: { app: ${ts(ir.name)} },
  redact: { paths: [...redacted, ...redacted.map((name) => \`*.\${name}\`)], censor: "[redacted]" },
  // Human-readable lines (pino-pretty, in a worker thread) for local runs; JSON lines otherwise.
  ...(format === "pretty" ? { transport: { target: "pino-pretty", options: { translateTime: "HH:MM:ss.l", ignore: "pid,hostname,app" } } } : {}),
  // Cloudflare Workers load pino's browser build: log objects, so that redaction applies there too.
  browser: { asObject: true },
});

/** The logger handlers see as \`ctx.logger\`: message first, details second. */
export function handlerLogger(bindings: Record<string, unknown>): Logger {
  const log = logger.child(bindings);
  return {
    debug: (message, meta) => log.debug(meta ?? {}, message),
    info: (message, meta) => log.info(meta ?? {}, message),
    warn: (message, meta) => log.warn(meta ?? {}, message),
    error: (message, error, meta) => log.error({ ...meta, err: error }, message),
    child: (more) => handlerLogger({ ...bindings, ...more }),
  };
}
${opts.requests ? `
/** One line per request, written once the response is ready. */
export const requestLog: MiddlewareHandler<AppEnv> = async (c, next) => {
  const started = performance.now();
  await next();
  logger.info(
    { requestId: requestIdOf(c), method: c.req.method, path: c.req.path, route: c.req.routePath, status: c.res.status, durationMs: Math.round((performance.now() - started) * 10) / 10 },
    "request",
  );
};
` : ""}
/** Unexpected errors are logged with their stack; the client still gets the plain 500 envelope. */
export const logError: ErrorReport = (err, c) => logger.error({ err, requestId: requestIdOf(c) }, "unhandled error");`;
    return {
      files: [{ path: "src/plugins/logging.ts", content: header(`plugin ${LOGGING_PLUGIN}`, ir.configFile) + file(imports.toString(), body) }],
      wiring: [
        REQUEST_ID_WIRING,
        ...(opts.requests ? [{ order: 11, imports: { "./plugins/logging.js": ["requestLog"] }, statement: "app.use(requestLog);" }] : []),
      ],
      errorReporters: [{ order: 10, from: "./plugins/logging.js", name: "logError", logs: true }],
      dependencies: { pino: "^10.4.0", "pino-pretty": "13.2.0" },
    };
  },
};
