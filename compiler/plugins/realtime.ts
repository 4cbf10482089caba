/**
 * Realtime events over WebSocket (`@betagors/yama-realtime`):
 *
 *   plugins:
 *     - "@betagors/yama-realtime": { path: /ws, redis: "${REDIS_URL}" }   # redis: events reach every instance
 *   realtime:
 *     entities:
 *       Post: { events: [created, updated, deleted], watchFields: [title, status], channelPrefix: posts }
 *     channels:
 *       - name: chat
 *         path: /chat/:roomId
 *         auth: { required: true, roles: [member], handler: realtime/can-join-chat.ts }
 *
 * Compiled to src/plugins/realtime.ts: the channels with their access checks (an entity's channel
 * admits who may list its rows), the hub (`ctx.realtime.publish`), the socket route, and the
 * WebSocket server src/server.ts gives to serve(). Entity events are published by the entity's
 * after-write runners (src/hooks/<entity>.ts), so every generated write sends them.
 */
import { z } from "zod";
import { parseConfigString } from "../2-analyze/config-string.js";
import { hasDefaultExport, exportsName } from "../2-analyze/endpoints.js";
import { closest, type SourceLocation } from "../diagnostics.js";
import { file, header, Imports, moduleSpecifier, ts } from "../4-emit/writer.js";
import { camelCase } from "../2-analyze/types.js";
import type { EntityIR, ProjectIR } from "../ir.js";
import { authEnabled, crudAccess } from "./auth/rules.js";
import { connectionMembers, connectionOf } from "./redis-connection.js";
import type { ContextMember, YamaPlugin } from "./types.js";

export const REALTIME_PLUGIN = "@betagors/yama-realtime";

const options = z.strictObject({
  /** The socket route. */
  path: z.string().regex(/^\/[A-Za-z0-9/_-]*$/, "must be a path such as /ws").default("/ws"),
  /** Redis for events across instances: a URL, `true` (`${REDIS_URL}`), or false/absent (this process only). */
  redis: z.union([z.boolean(), z.string().min(1), z.strictObject({ url: z.string().min(1) })]).optional(),
  maxSubscriptions: z.number().int().positive().default(100),
  maxMessageBytes: z.number().int().positive().default(16 * 1024),
  /** The original runtime's development tools (event log, inspector page): accepted, not compiled. */
  dev: z.unknown().optional(),
});

const EVENTS = ["created", "updated", "deleted"] as const;

const section = z.strictObject({
  entities: z
    .record(
      z.string(),
      z.strictObject({
        enabled: z.boolean().default(true),
        events: z.array(z.enum(EVENTS)).min(1).default([...EVENTS]),
        watchFields: z.array(z.string()).min(1).optional(),
        channelPrefix: z.string().regex(/^[A-Za-z0-9][A-Za-z0-9_-]*$/, "must be a channel name such as posts").optional(),
      }),
    )
    .default({}),
  channels: z
    .array(
      z.strictObject({
        name: z.string().regex(/^[A-Za-z0-9][A-Za-z0-9_-]*$/, "must be a name such as chat"),
        path: z.string().regex(/^\/?[A-Za-z0-9_:/-]+$/, "must be a channel path such as /chat/:roomId").optional(),
        auth: z.strictObject({ required: z.boolean().default(false), roles: z.array(z.string()).default([]), handler: z.string().min(1).optional() }).optional(),
        description: z.string().optional(),
      }),
    )
    .default([]),
});

interface Channel {
  pattern: string;
  doc: string;
  /** An access rule of the app's authorization: required, roles, permissions, providers. */
  rule?: { roles: readonly string[]; permissions: readonly string[]; providers?: readonly string[] };
  /** Refused to everyone (a rule without an `auth:` section to check it). */
  closed?: boolean;
  authorizer?: { file: string; exportName: string };
}

export type RealtimeOptions = z.output<typeof options> & { section?: z.output<typeof section>; sectionLoc?: SourceLocation };

export const realtimePlugin: YamaPlugin<RealtimeOptions> = {
  name: REALTIME_PLUGIN,
  aliases: ["realtime", "yama-realtime"],
  options,
  analyze(opts, ctx) {
    const raw = ctx.config.realtime;
    if (raw === undefined || raw === null) return;
    opts.sectionLoc = ctx.parsed.locate(["realtime"], "key");
    const parsed = section.safeParse(raw);
    if (!parsed.success) {
      for (const issue of parsed.error.issues) ctx.diagnostics.error("bad-realtime", `realtime.${issue.path.join(".")}: ${issue.message}`, ctx.parsed.locate(["realtime", ...issue.path.map((p) => (typeof p === "symbol" ? String(p) : p))]));
      return;
    }
    opts.section = parsed.data;
    const byName = new Map(ctx.entities.map((e) => [e.name, e]));
    const names = new Set<string>();
    for (const [name, config] of Object.entries(parsed.data.entities)) {
      const at = ctx.parsed.locate(["realtime", "entities", name], "key");
      const entity = byName.get(name);
      if (!entity) {
        const s = closest(name, byName.keys());
        ctx.diagnostics.error("unknown-entity", `realtime.entities names ${name}, which is not an entity`, at, s ? `did you mean "${s}"?` : undefined);
        continue;
      }
      if (!config.enabled) continue;
      // A row policy hides rows from some callers; a channel would send them every row.
      const scoped = (["list", "get"] as const).find((op) => entity.crud?.auth?.[op]?.where?.length);
      if (scoped) {
        ctx.diagnostics.error("realtime-row-policy", `${name}'s ${scoped} policy shows each caller only some rows, but its realtime channel would send every row to every subscriber`, at, "publish per-user events from a handler instead: `ctx.realtime.publish(channel, event, data, {userId})`");
        continue;
      }
      const fields = new Set(entity.fields.map((f) => f.name));
      for (const [i, field] of (config.watchFields ?? []).entries()) {
        if (!fields.has(field)) {
          const s = closest(field, fields);
          ctx.diagnostics.error("unknown-field", `realtime.entities.${name}.watchFields: ${name} has no field "${field}"`, ctx.parsed.locate(["realtime", "entities", name, "watchFields", i]), s ? `did you mean "${s}"?` : undefined);
        }
      }
      const channel = config.channelPrefix ?? entity.table.replace(/_/g, "-");
      if (names.has(channel)) ctx.diagnostics.error("duplicate-channel", `realtime channel ${channel} is declared twice`, at, "set `channelPrefix` to tell them apart");
      names.add(channel);
      entity.realtime = { channel, events: config.events, ...(config.watchFields ? { watchFields: config.watchFields } : {}), loc: at };
    }
    parsed.data.channels.forEach((c, i) => {
      const at = ctx.parsed.locate(["realtime", "channels", i, "name"]);
      const pattern = (c.path ?? c.name).replace(/^\/+|\/+$/g, "");
      if (names.has(pattern)) ctx.diagnostics.error("duplicate-channel", `realtime channel ${pattern} is declared twice`, at, "give each channel its own name or path");
      names.add(pattern);
      const handler = c.auth?.handler;
      if (handler === undefined || !ctx.host) return;
      const fileName = `${handler.replace(/^\.\//, "").replace(/\.(ts|js|mts|mjs)$/, "")}.ts`;
      const source = fileName.startsWith("../") || fileName.startsWith("/") ? undefined : ctx.host.readFile(fileName);
      const loc = ctx.parsed.locate(["realtime", "channels", i, "auth", "handler"]);
      if (source === undefined) ctx.diagnostics.error("missing-handler", `channel ${c.name}: the authorizer ${fileName} does not exist in the project`, loc, "create it: `export default ((params, request) => …) satisfies ChannelAuthorizer` (from src/lib/realtime.ts)");
      else if (!hasDefaultExport(source) && !exportsName(source, fileName.replace(/^.*\//, "").replace(/\.ts$/, "").replace(/[^A-Za-z0-9_$]/g, ""))) ctx.diagnostics.error("bad-handler", `channel ${c.name}: ${fileName} exports no authorizer`, loc, "export it by default: `export default ((params, request) => …) satisfies ChannelAuthorizer`");
    });
    const url = typeof opts.redis === "string" ? opts.redis : typeof opts.redis === "object" ? opts.redis.url : undefined;
    if (url !== undefined && parseConfigString(url).kind === "literal" && /:\/\/[^@/]*:[^@/]+@/.test(url)) {
      ctx.diagnostics.error("secret-in-config", "the Redis URL contains a password", ctx.parsed.locate([...ctx.path, "redis"]), "write `redis: ${REDIS_URL}` and put the URL in the environment");
    }
  },
  emit(opts, ir) {
    const imports = new Imports()
      .add("@hono/node-server", "upgradeWebSocket")
      .add("hono", "Hono")
      .add("ws", "WebSocketServer")
      .type("../lib/http.js", "AppEnv")
      .add("../lib/realtime.js", "realtimeHub");
    const channels: Channel[] = [];
    for (const entity of ir.entities) {
      if (!entity.realtime) continue;
      channels.push({ pattern: entity.realtime.channel, doc: `${entity.name} events (${entity.realtime.events.join(", ")}): for who may list ${entity.name} rows`, ...entityRule(ir, entity) });
    }
    for (const c of opts.section?.channels ?? []) {
      const authorizer = c.auth?.handler ? { file: `${c.auth.handler.replace(/^\.\//, "").replace(/\.(ts|js|mts|mjs)$/, "")}.ts`, exportName: "default" } : undefined;
      const pattern = (c.path ?? c.name).replace(/^\/+|\/+$/g, "");
      const required = c.auth?.required === true || (c.auth?.roles.length ?? 0) > 0;
      channels.push({
        pattern,
        doc: `${c.name}${c.description ? `: ${c.description}` : ""}${required ? ` (signed-in callers${c.auth!.roles.length ? ` with a role of ${c.auth!.roles.join(", ")}` : ""})` : ""}${authorizer ? `, as ${authorizer.file} decides` : ""}`,
        ...(required ? (authEnabled(ir) ? { rule: { roles: c.auth!.roles, permissions: [] } } : { closed: true }) : {}),
        ...(authorizer ? { authorizer } : {}),
      });
    }
    const entries = channels.map((c, i) => {
      let allow: string | undefined;
      let authorizer: string | undefined;
      const check = c.rule ? `authorize(c${c.rule.roles.length || c.rule.permissions.length || c.rule.providers?.length ? `, { ${[c.rule.roles.length ? `roles: ${JSON.stringify(c.rule.roles)}` : "", c.rule.permissions.length ? `permissions: ${JSON.stringify(c.rule.permissions)}` : "", c.rule.providers?.length ? `providers: ${JSON.stringify(c.rule.providers)}` : ""].filter(Boolean).join(", ")} }` : ""})` : undefined;
      if (check) imports.add("../lib/auth.js", "authorize");
      if (c.authorizer) {
        const local = camelCase(c.authorizer.file.replace(/^.*\//, "").replace(/\.ts$/, "")) || `authorizer${i + 1}`;
        imports.default(moduleSpecifier("src/plugins", c.authorizer.file), local);
        authorizer = local;
      }
      if (c.closed) allow = "() => false";
      else if (check) allow = `(c) => ${check}`;
      return `    /** ${c.doc}. */\n    { pattern: ${ts(c.pattern)}${allow ? `, allow: ${allow}` : ""}${authorizer ? `, authorizer: ${authorizer}` : ""} },`;
    });
    const redisUrl = opts.redis === true ? "${REDIS_URL}" : typeof opts.redis === "string" ? opts.redis : typeof opts.redis === "object" ? opts.redis.url : undefined;
    let redis = "";
    if (redisUrl !== undefined) {
      imports.default("ioredis", "Redis");
      const url = connectionMembers(connectionOf(undefined, redisUrl), "")[0]!.replace(/^url: /, "").replace(/,$/, "");
      redis = `
  // Events reach the subscribers of every instance through Redis; while it is away, those of this one.
  redis: {
    publisher: quiet(new Redis(${url}, { maxRetriesPerRequest: 1, enableOfflineQueue: false })),
    subscriber: quiet(new Redis(${url})),
    channel: ${ts(`${ir.name}:realtime`)},
  },`;
    }
    const body = `${redisUrl !== undefined ? `/** Connection errors repeat on every reconnect; publishing copes with them, so they are not logged. */
function quiet(redis: Redis): Redis {
  redis.on("error", () => {});
  return redis;
}

` : ""}/** \`ctx.realtime\`: \`publish(channel, event, data, {userId, excludeUserId})\` to the channels below. */
export const realtime = realtimeHub({
  channels: [
${entries.join("\n")}
  ],${redis}
  maxSubscriptions: ${opts.maxSubscriptions},
  maxMessageBytes: ${opts.maxMessageBytes},
});

/** The WebSocket server of the Node server (src/server.ts gives it to serve()). */
export const realtimeSockets = new WebSocketServer({ noServer: true });

/** GET ${opts.path}: the socket clients connect to (a token in Authorization or ?token=). */
export const realtimeRoutes = new Hono<AppEnv>().get(${ts(opts.path)}, upgradeWebSocket((c) => realtime.connection(c)));`;
    const use = ir.plugins.find((p) => p.name === REALTIME_PLUGIN);
    const context: ContextMember[] = ir.endpoints.length > 0 ? [{ name: "realtime", imports: { "./plugins/realtime.js": ["realtime"] }, doc: "Publishes realtime events to WebSocket subscribers (src/plugins/realtime.ts).", type: "typeof realtime", value: "realtime" }] : [];
    return {
      files: [{ path: "src/plugins/realtime.ts", content: header("realtime", use?.loc ?? ir.configFile) + file(imports.toString(), body) }],
      wiring: [{ order: 50, imports: { "./plugins/realtime.js": ["realtimeRoutes"] }, statement: 'app.route("/", realtimeRoutes);' }],
      context,
      serveOptions: [{ imports: { "./plugins/realtime.js": ["realtimeSockets"] }, property: "websocket: { server: realtimeSockets }" }],
      shutdown: [{ imports: { "./plugins/realtime.js": ["realtime"] }, call: "realtime.close()", beforeServer: true }],
      dependencies: { ws: "^8.18.3", ...(redisUrl !== undefined ? { ioredis: "^6.0.0" } : {}) },
      devDependencies: { "@types/ws": "^8.18.1" },
    };
  },
};

/** Who may subscribe to an entity's channel: who may list its rows through CRUD. */
function entityRule(ir: ProjectIR, entity: EntityIR): Pick<Channel, "rule" | "closed"> {
  const access = crudAccess(ir, entity, "list");
  if (!access.rule) return {};
  if (!authEnabled(ir)) return { closed: true };
  return { rule: { roles: access.rule.roles, permissions: access.rule.permissions, ...(access.rule.providers ? { providers: access.rule.providers } : {}) } };
}
