/**
 * Realtime events over WebSocket (`@betagors/yama-realtime`) against the emitted Node server on
 * PostgreSQL and Redis: entity events from CRUD writes (watchFields honoured), custom channels
 * with the app's authentication (a token in ?token=) and their own authorizer, ctx.realtime from
 * a handler, events across two instances through Redis, protocol errors that keep the connection,
 * and SIGTERM closing open sockets so the server exits promptly. Then diagnostics.
 */
import { SignJWT } from "jose";
import { afterAll, describe, expect, it } from "vitest";
import WebSocket from "ws";
import { compileText } from "../index.js";
import { call, type RunningServer, serveConfig, startServer, typeErrors } from "./harness.js";

const SECRET = "realtime-test-secret-that-is-long-enough";

const CONFIG = `name: live
plugins:
  - "@betagors/yama-realtime": { path: /ws, redis: true }
auth:
  providers:
    - type: jwt
      secret: \${JWT_SECRET}
realtime:
  entities:
    Post: { events: [created, updated, deleted], watchFields: [title] }
  channels:
    - name: chat
      path: /chat/:roomId
      auth: { required: true, handler: realtime/can-join.ts }
entities:
  Post:
    fields: { id: uuid!, title: string!, views: integer = 0 }
    crud: { enabled: true, auth: false }
endpoints:
  - path: /rooms/:roomId/messages
    method: POST
    auth: false
    params: { roomId: string! }
    body: { fields: { text: string! } }
    handler: handlers/say.ts
`;

const FILES = {
  "realtime/can-join.ts": `import type { ChannelAuthorizer } from "../src/lib/realtime.js";
export default ((params) => params.roomId !== "secret") satisfies ChannelAuthorizer;
`,
  "handlers/say.ts": `import type { SayContext } from "../src/endpoints/say.js";
export default async function say(ctx: SayContext) {
  await ctx.realtime.publish(\`chat/\${ctx.params.roomId}\`, "message", { text: ctx.body.text });
  return { sent: true };
}
`,
};

interface Message {
  type: string;
  [key: string]: unknown;
}

/** A WebSocket client that keeps every message and waits for the next one matching a test. */
class Client {
  readonly messages: Message[] = [];
  private waiters: { test: (m: Message) => boolean; resolve: (m: Message) => void }[] = [];
  closed?: number;
  private constructor(readonly ws: WebSocket) {
    ws.on("message", (data) => {
      const m = JSON.parse(String(data)) as Message;
      this.messages.push(m);
      for (const w of [...this.waiters]) if (w.test(m)) {
        this.waiters.splice(this.waiters.indexOf(w), 1);
        w.resolve(m);
      }
    });
    ws.on("close", (code) => (this.closed = code));
  }

  static async open(base: string, token?: string): Promise<Client> {
    const ws = new WebSocket(`${base.replace(/^http/, "ws")}/ws${token ? `?token=${token}` : ""}`);
    const client = new Client(ws);
    await client.next((m) => m.type === "connected");
    return client;
  }

  /** The first message (already received or coming) that passes `test`. */
  next(test: (m: Message) => boolean, timeoutMs = 5000): Promise<Message> {
    const seen = this.messages.find(test);
    if (seen) {
      this.messages.splice(this.messages.indexOf(seen), 1);
      return Promise.resolve(seen);
    }
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`no message matched within ${timeoutMs} ms; got ${JSON.stringify(this.messages)}`)), timeoutMs);
      this.waiters.push({ test, resolve: (m) => (clearTimeout(timer), this.messages.splice(this.messages.indexOf(m), 1), resolve(m)) });
    });
  }

  async request(message: unknown, test: (m: Message) => boolean): Promise<Message> {
    this.ws.send(typeof message === "string" ? message : JSON.stringify(message));
    return this.next(test);
  }

  subscribe(channel: string): Promise<Message> {
    return this.request({ type: "subscribe", channel }, (m) => m.channel === channel && (m.type === "subscribed" || m.type === "error"));
  }

  close(): void {
    this.ws.close();
  }
}

const event = (channel: string, name: string) => (m: Message) => m.type === "event" && m.channel === channel && m.event === name;

describe("realtime over WebSocket", () => {
  const app = serveConfig("realtime", CONFIG, { JWT_SECRET: SECRET }, FILES);
  const clients: Client[] = [];
  let second: RunningServer | undefined;
  const open = async (base: string, token?: string) => {
    const c = await Client.open(base, token);
    clients.push(c);
    return c;
  };
  const token = () => new SignJWT({ sub: "ann" }).setProtectedHeader({ alg: "HS256" }).setExpirationTime("5m").sign(new TextEncoder().encode(SECRET));
  afterAll(async () => {
    for (const c of clients) c.close();
    await second?.stop();
  });

  it("sends an entity's created, updated and deleted events to its channel; an update of unwatched fields sends none", async () => {
    const client = await open(app.server.base);
    expect(await client.subscribe("posts")).toMatchObject({ type: "subscribed" });
    const created = (await call(app.server.base, "POST", "/posts", { title: "Hello" })).body as { id: string };
    expect(await client.next(event("posts", "created"))).toMatchObject({ data: { id: created.id, title: "Hello", views: 0 }, timestamp: expect.any(String) });
    await call(app.server.base, "PATCH", `/posts/${created.id}`, { views: 5 });
    await call(app.server.base, "PATCH", `/posts/${created.id}`, { title: "Hello again" });
    expect(await client.next(event("posts", "updated"))).toMatchObject({ data: { title: "Hello again", views: 5 } });
    expect(client.messages.filter(event("posts", "updated"))).toEqual([]);
    expect((await call(app.server.base, "DELETE", `/posts/${created.id}`)).status).toBe(204);
    expect(await client.next(event("posts", "deleted"))).toMatchObject({ data: { id: created.id } });
  });

  it("checks a channel's access: the caller from ?token=, then its authorizer; ctx.realtime publishes from a handler", async () => {
    const anonymous = await open(app.server.base);
    expect(await anonymous.subscribe("chat/general")).toMatchObject({ type: "error", code: "AUTH_REQUIRED" });
    const ann = await open(app.server.base, await token());
    expect(ann.messages).toEqual([]);
    expect(await ann.subscribe("chat/general")).toMatchObject({ type: "subscribed" });
    expect(await ann.subscribe("chat/secret")).toMatchObject({ type: "error", code: "CHANNEL_FORBIDDEN" });
    expect(await ann.subscribe("nowhere")).toMatchObject({ type: "error", code: "CHANNEL_NOT_FOUND" });
    expect((await call(app.server.base, "POST", "/rooms/general/messages", { text: "hi all" })).status).toBe(201);
    expect(await ann.next(event("chat/general", "message"))).toMatchObject({ data: { text: "hi all" } });
    expect(await ann.request({ type: "unsubscribe", channel: "chat/general" }, (m) => m.type === "unsubscribed")).toMatchObject({ channel: "chat/general" });
    await call(app.server.base, "POST", "/rooms/general/messages", { text: "anyone?" });
    await expect(ann.next(event("chat/general", "message"), 500)).rejects.toThrow(/no message matched/);
  });

  it("answers bad messages with an error and keeps the connection; ping answers pong", async () => {
    const client = await open(app.server.base);
    expect(await client.request("not json", (m) => m.type === "error")).toMatchObject({ code: "BAD_MESSAGE" });
    expect(await client.request({ type: "shout" }, (m) => m.type === "error")).toMatchObject({ code: "BAD_MESSAGE" });
    expect(await client.request("x".repeat(20_000), (m) => m.type === "error")).toMatchObject({ code: "BAD_MESSAGE" });
    expect(await client.request({ type: "ping" }, (m) => m.type === "pong")).toEqual({ type: "pong" });
    expect(client.closed).toBeUndefined();
  });

  it("reaches the subscribers of another instance through Redis", async () => {
    second = await startServer(app.dir, { DATABASE_URL: app.db.url, REDIS_URL: app.redisUrl, JWT_SECRET: SECRET });
    const elsewhere = await open(second.base);
    await elsewhere.subscribe("posts");
    const created = (await call(app.server.base, "POST", "/posts", { title: "Across" })).body as { id: string };
    expect(await elsewhere.next(event("posts", "created"))).toMatchObject({ data: { id: created.id, title: "Across" } });
  }, 60_000);

  it("SIGTERM closes open sockets (1001) and the server exits 0 promptly", async () => {
    const client = await open(second!.base);
    const started = Date.now();
    const exited = new Promise<number | null>((resolve) => second!.child.once("exit", (code) => resolve(code)));
    process.kill(second!.child.pid!, "SIGTERM");
    expect(await exited).toBe(0);
    expect(Date.now() - started).toBeLessThan(5000);
    await expect.poll(() => client.closed).toBe(1001);
  }, 30_000);

  it("types ctx.realtime and the channel authorizer: the project passes tsc --strict", () => {
    expect(typeErrors(app.dir)).toBe("");
  }, 60_000);
});

describe("realtime diagnostics", () => {
  const codes = (text: string) => compileText(text).diagnostics.map((d) => [d.code, d.location.line]);
  const base = `name: x\nentities:\n  Post:\n    fields: { id: uuid!, title: string!, ownerId: uuid! }\n    crud: { enabled: true, auth: false }\n`;

  it("realtime: without the plugin warns; names that are not entities or fields are errors", () => {
    expect(codes(`${base}realtime:\n  entities:\n    Post: {}\n`)).toEqual([["not-yet-compiled", 6]]);
    const plugin = `plugins: ["@betagors/yama-realtime"]\n`;
    expect(codes(`${base}${plugin}realtime:\n  entities:\n    Pots: {}\n`)).toEqual([["unknown-entity", 9]]);
    expect(codes(`${base}${plugin}realtime:\n  entities:\n    Post: { watchFields: [titel] }\n`)).toEqual([["unknown-field", 9]]);
    expect(codes(`${base}${plugin}realtime:\n  entities:\n    Post: { events: [renamed] }\n`).map(([code]) => code)).toEqual(["bad-realtime"]);
  });

  it("is an error on serverless targets, and for an entity whose rows a policy filters", () => {
    expect(codes(`${base}plugins: ["@betagors/yama-realtime"]\ndeployment: { targets: [lambda] }\n`).map(([code]) => code)).toContain("target-node-only");
    const scoped = `name: x
auth: { providers: [{ type: jwt, secret: "\${JWT_SECRET}" }] }
plugins: ["@betagors/yama-realtime"]
policies:
  owner: { auth: { required: true }, where: { ownerId: auth.user.id } }
entities:
  Post:
    fields: { id: uuid!, title: string!, ownerId: uuid! }
    crud: { policy: owner }
realtime:
  entities:
    Post: {}
`;
    expect(codes(scoped).map(([code]) => code)).toContain("realtime-row-policy");
  });
});
