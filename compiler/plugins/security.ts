/**
 * @betagors/yama-security: secure response headers, CORS, CSRF protection for browser
 * (cookie) clients, a request body limit and a request timeout — all Hono's own middleware,
 * configured at compile time. Origins may come from the environment (`${CORS_ORIGINS}`, a
 * comma-separated list read when the app starts).
 */
import { z } from "zod";
import { parseConfigString } from "../2-analyze/config-string.js";
import { envText } from "../4-emit/env.js";
import { file, header, Imports, ts } from "../4-emit/writer.js";
import type { YamaPlugin } from "./types.js";

const origins = z.union([z.string().min(1), z.array(z.string().min(1)).min(1)]);
const SIZE = /^(\d+)\s*(b|kb|mb)?$/i;

const options = z.strictObject({
  /** Secure headers (hono/secure-headers); `false` turns them off. */
  headers: z
    .union([
      z.boolean(),
      z.strictObject({
        contentSecurityPolicy: z.union([z.literal(false), z.string().min(1)]).optional(),
        hsts: z.boolean().optional(),
        frameOptions: z.enum(["DENY", "SAMEORIGIN"]).optional(),
        referrerPolicy: z.string().optional(),
      }),
    ])
    .default(true),
  cors: z
    .strictObject({
      origins,
      credentials: z.boolean().default(false),
      maxAge: z.number().int().min(0).max(86_400).default(600),
      methods: z.array(z.enum(["GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"])).optional(),
      headers: z.array(z.string()).optional(),
    })
    .optional(),
  /** Rejects cross-site unsafe requests from browsers (origin check); origins default to the CORS list. */
  csrf: z.union([z.boolean(), z.strictObject({ origins })]).default(false),
  /** Largest request body, e.g. `1mb`, `512kb`, or bytes. */
  bodyLimit: z.union([z.number().int().positive(), z.string().regex(SIZE, "must be a size such as 1mb or 512kb")]).default("1mb"),
  /** Requests taking longer answer 504. */
  timeoutMs: z.number().int().min(100).max(600_000).optional(),
});

export type SecurityOptions = z.output<typeof options>;

function bytes(size: number | string): number {
  if (typeof size === "number") return size;
  const m = SIZE.exec(size.trim())!;
  const unit = (m[2] ?? "b").toLowerCase();
  return Number(m[1]) * (unit === "mb" ? 1024 * 1024 : unit === "kb" ? 1024 : 1);
}

/** An origins option as an expression: a literal list, or an env var split on commas at start-up. */
function originsExpression(value: string | string[]): string {
  if (Array.isArray(value)) return `[${value.map(ts).join(", ")}]`;
  const parsed = parseConfigString(value);
  if (parsed.kind === "literal") return `[${value.split(",").map((o) => ts(o.trim())).join(", ")}]`;
  return `${envText(parsed)}.split(",").map((origin) => origin.trim()).filter((origin) => origin !== "")`;
}


export const securityPlugin: YamaPlugin<SecurityOptions> = {
  name: "@betagors/yama-security",
  aliases: ["security", "yama-security"],
  options,
  analyze(opts, ctx) {
    const csrfOrigins = typeof opts.csrf === "object" ? opts.csrf.origins : undefined;
    if (opts.csrf === true && !opts.cors) {
      ctx.diagnostics.error("bad-plugin-option", "csrf: true needs the allowed origins: set `cors.origins` or `csrf: {origins: …}`", ctx.parsed.locate([...ctx.path, "csrf"]));
    }
    if (opts.cors?.credentials && (opts.cors.origins === "*" || (Array.isArray(opts.cors.origins) && opts.cors.origins.includes("*")))) {
      ctx.diagnostics.error("bad-plugin-option", "cors: credentials cannot be combined with the origin *", ctx.parsed.locate([...ctx.path, "cors", "origins"]), "list the origins that may send credentials");
    }
    void csrfOrigins;
  },
  emit(opts, ir) {
    const imports = new Imports().type("hono", "MiddlewareHandler").add("hono/body-limit", "bodyLimit").add("../lib/errors.js", "ApiError");
    const blocks: string[] = [];
    const chain: string[] = [];
    if (opts.headers !== false) {
      imports.add("hono/secure-headers", "secureHeaders");
      const h = opts.headers === true ? {} : opts.headers;
      const settings: string[] = [];
      const csp = h.contentSecurityPolicy ?? "default-src 'none'; frame-ancestors 'none'";
      if (csp !== false) {
        const directives = csp.split(";").map((d) => d.trim()).filter((d) => d !== "").map((d) => {
          const [name, ...values] = d.split(/\s+/);
          const key = name!.replace(/-([a-z])/g, (_, ch: string) => ch.toUpperCase());
          return `${key}: [${values.map(ts).join(", ")}]`;
        });
        settings.push(`contentSecurityPolicy: { ${directives.join(", ")} }`);
      }
      if (h.hsts === false) settings.push("strictTransportSecurity: false");
      if (h.frameOptions) settings.push(`xFrameOptions: ${ts(h.frameOptions)}`);
      if (h.referrerPolicy) settings.push(`referrerPolicy: ${ts(h.referrerPolicy)}`);
      blocks.push(`/** Secure response headers (CSP, HSTS, X-Frame-Options, Referrer-Policy, …). */\nconst headers = secureHeaders({ ${settings.join(", ")} });`);
      chain.push("headers");
    }
    if (opts.cors) {
      imports.add("hono/cors", "cors");
      blocks.push(`/** Allowed browser origins, read once at start-up. */
const allowedOrigins: string[] = ${originsExpression(opts.cors.origins)};

/** CORS: preflight answered, credentials ${opts.cors.credentials ? "allowed" : "not allowed"}, cached for ${opts.cors.maxAge} s. */
const corsPolicy = cors({
  origin: (origin) => (allowedOrigins.includes("*") || allowedOrigins.includes(origin) ? origin : null),
  credentials: ${opts.cors.credentials},
  maxAge: ${opts.cors.maxAge},${opts.cors.methods ? `\n  allowMethods: [${opts.cors.methods.map(ts).join(", ")}],` : ""}${opts.cors.headers ? `\n  allowHeaders: [${opts.cors.headers.map(ts).join(", ")}],` : ""}
});`);
      chain.push("corsPolicy");
    }
    if (opts.csrf !== false) {
      imports.add("hono/csrf", "csrf").add("../lib/http.js", "requestHeader");
      const list = typeof opts.csrf === "object" ? originsExpression(opts.csrf.origins) : "allowedOrigins";
      blocks.push(`/**
 * CSRF: an unsafe request sent by a browser (which always names its Origin) must come from an
 * allowed origin. Clients that send no Origin (servers, CLIs, mobile apps) are not browsers.
 */
const csrfOrigins: string[] = ${list};
const browserCsrf = csrf({ origin: (origin) => csrfOrigins.includes(origin) });
const csrfProtection: MiddlewareHandler = (c, next) =>
  requestHeader(c, "origin") === undefined && requestHeader(c, "sec-fetch-site") === undefined ? next() : browserCsrf(c, next);`);
      chain.push("csrfProtection");
    }
    const limit = bytes(opts.bodyLimit);
    blocks.push(`/** Bodies over ${limit} bytes answer 413 before they are read. */
const limitBody = bodyLimit({
  maxSize: ${limit},
  onError: () => {
    throw new ApiError(413, "PAYLOAD_TOO_LARGE", "Request body is larger than ${limit} bytes");
  },
});`);
    chain.push("limitBody");
    if (opts.timeoutMs !== undefined) {
      imports.add("hono/timeout", "timeout").add("hono/http-exception", "HTTPException");
      blocks.push(`/** Requests running longer than ${opts.timeoutMs} ms answer 504 TIMEOUT. */
const limitTime = timeout(${opts.timeoutMs}, () => new HTTPException(504, { message: "The request took too long" }));`);
      chain.push("limitTime");
    }
    blocks.push(`/** In order: ${chain.join(", ")}. */\nexport const security: MiddlewareHandler[] = [${chain.join(", ")}];`);
    return {
      files: [{ path: "src/plugins/security.ts", content: header("plugin @betagors/yama-security", ir.configFile) + file(imports.toString(), ...blocks) }],
      wiring: [{ order: 20, imports: { "./plugins/security.js": ["security"] }, statement: "app.use(...security);" }],
    };
  },
};
