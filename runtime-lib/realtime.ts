/**
 * Realtime events over WebSocket (`@betagors/yama-realtime`). A client connects to the socket
 * route (a token in `Authorization` or `?token=`, checked by the app's authentication), then sends
 * JSON messages:
 *
 *   {"type": "subscribe", "channel": "posts"}      → {"type": "subscribed", "channel": "posts"}
 *   {"type": "unsubscribe", "channel": "posts"}    → {"type": "unsubscribed", "channel": "posts"}
 *   {"type": "ping"}                               → {"type": "pong"}
 *
 * and receives `{"type": "event", channel, event, data, timestamp}` for the channels it
 * subscribed to; a refused message answers `{"type": "error", code, message, channel?}` and the
 * connection stays open. Channels are the ones yama.yaml declares (a name, or a pattern such as
 * `chat/:roomId`), each with its access check. With Redis, events reach the subscribers of every
 * instance; without it, those of this process.
 */
import type { Context } from "hono";
import type { WSContext, WSEvents, WSMessageReceive } from "hono/ws";
import type { AppEnv } from "./http.js";

export interface ChannelRule {
  /** `posts`, or a pattern with parameters: `chat/:roomId`. */
  pattern: string;
  /** The app's access rule for the upgrade request (its `auth`): false, or a thrown 401/403, refuses. */
  allow?: (c: Context<AppEnv>) => boolean | void;
  /** The channel's own check, after `allow`, with the pattern's parameters. */
  authorizer?: ChannelAuthorizer;
}

/** A channel's own check (`auth.handler` of a channel in yama.yaml): whether this connection may subscribe. */
export type ChannelAuthorizer = (params: Record<string, string>, request: Context<AppEnv>) => boolean | Promise<boolean>;

/** The part of two Redis clients (ioredis) the hub needs to reach other instances. */
export interface RealtimeRedis {
  publisher: { publish(channel: string, message: string): Promise<unknown>; quit(): Promise<unknown> };
  subscriber: {
    subscribe(channel: string): Promise<unknown>;
    on(event: "message", listener: (channel: string, message: string) => void): unknown;
    quit(): Promise<unknown>;
  };
  /** The Redis pub/sub channel the instances share. */
  channel: string;
}

export interface RealtimeOptions {
  channels: readonly ChannelRule[];
  redis?: RealtimeRedis;
  /** Channels one connection may subscribe to (default 100). */
  maxSubscriptions?: number;
  /** Largest message a client may send, in bytes (default 16 KiB). */
  maxMessageBytes?: number;
}

export interface PublishOptions {
  /** Only connections of this user receive the event. */
  userId?: string;
  /** Connections of this user do not receive it (the one who caused it). */
  excludeUserId?: string;
}

export interface Realtime {
  /** Sends an event to the subscribers of `channel`, on every instance when Redis is configured. */
  publish(channel: string, event: string, data: unknown, options?: PublishOptions): Promise<void>;
  /** Connections of this instance subscribed to `channel`. */
  subscribers(channel: string): number;
  /** The WebSocket events of one upgraded request. */
  connection(c: Context<AppEnv>): WSEvents;
  /** Closes every connection (1001, going away) and the Redis clients. */
  close(): Promise<void>;
}

interface Connection {
  /** Set once the socket is open. */
  ws?: WSContext;
  c: Context<AppEnv>;
  userId?: string;
  channels: Set<string>;
}

interface Envelope {
  origin: string;
  channel: string;
  event: string;
  data: unknown;
  timestamp: string;
  options?: PublishOptions;
}

const normalize = (channel: string) => channel.replace(/^\/+|\/+$/g, "");

/** The parameters of `channel` under `pattern`, or undefined when it does not match. */
export function matchChannel(pattern: string, channel: string): Record<string, string> | undefined {
  const want = normalize(pattern).split("/");
  const got = normalize(channel).split("/");
  if (want.length !== got.length) return undefined;
  const params: Record<string, string> = {};
  for (let i = 0; i < want.length; i++) {
    const w = want[i]!;
    const g = got[i]!;
    if (w.startsWith(":")) {
      if (g === "") return undefined;
      params[w.slice(1)] = decodeURIComponent(g);
    } else if (w !== g) return undefined;
  }
  return params;
}

function errorOf(err: unknown): { code: string; message: string } {
  if (err !== null && typeof err === "object" && "code" in err && typeof err.code === "string" && err instanceof Error) return { code: err.code, message: err.message };
  return { code: "CHANNEL_FORBIDDEN", message: "Not allowed to subscribe to this channel" };
}

export function realtimeHub(options: RealtimeOptions): Realtime {
  const maxSubscriptions = options.maxSubscriptions ?? 100;
  const maxMessageBytes = options.maxMessageBytes ?? 16 * 1024;
  const origin = crypto.randomUUID();
  const connections = new Set<Connection>();
  const byChannel = new Map<string, Set<Connection>>();

  const send = (conn: Connection, message: unknown) => {
    if (conn.ws?.readyState === 1) conn.ws.send(JSON.stringify(message));
  };
  const deliver = (e: Envelope) => {
    const text = JSON.stringify({ type: "event", channel: e.channel, event: e.event, data: e.data, timestamp: e.timestamp });
    for (const conn of byChannel.get(e.channel) ?? []) {
      if (e.options?.userId !== undefined && conn.userId !== e.options.userId) continue;
      if (e.options?.excludeUserId !== undefined && conn.userId === e.options.excludeUserId) continue;
      if (conn.ws?.readyState === 1) conn.ws.send(text);
    }
  };
  const leave = (conn: Connection, channel: string) => {
    conn.channels.delete(channel);
    const set = byChannel.get(channel);
    set?.delete(conn);
    if (set?.size === 0) byChannel.delete(channel);
  };

  const redis = options.redis;
  if (redis) {
    redis.subscriber.on("message", (_channel, message) => {
      try {
        const e = JSON.parse(message) as Envelope;
        if (e.origin !== origin) deliver(e);
      } catch {
        // Not one of ours: ignore.
      }
    });
    // Subscribing fails while Redis is away; ioredis subscribes again when it reconnects.
    redis.subscriber.subscribe(redis.channel).catch(() => undefined);
  }

  const subscribe = async (conn: Connection, channel: string) => {
    if (conn.channels.has(channel)) return send(conn, { type: "subscribed", channel });
    if (conn.channels.size >= maxSubscriptions) return send(conn, { type: "error", code: "TOO_MANY_SUBSCRIPTIONS", message: `At most ${maxSubscriptions} channels per connection`, channel });
    let params: Record<string, string> | undefined;
    const rule = options.channels.find((r) => (params = matchChannel(r.pattern, channel)) !== undefined);
    if (!rule || !params) return send(conn, { type: "error", code: "CHANNEL_NOT_FOUND", message: `No channel ${JSON.stringify(channel)}`, channel });
    try {
      if (rule.allow?.(conn.c) === false || (rule.authorizer && !(await rule.authorizer(params, conn.c)))) return send(conn, { type: "error", code: "CHANNEL_FORBIDDEN", message: "Not allowed to subscribe to this channel", channel });
    } catch (err) {
      return send(conn, { type: "error", ...errorOf(err), channel });
    }
    if (!connections.has(conn)) return;
    conn.channels.add(channel);
    let set = byChannel.get(channel);
    if (!set) byChannel.set(channel, (set = new Set()));
    set.add(conn);
    send(conn, { type: "subscribed", channel });
  };

  const receive = async (conn: Connection, data: WSMessageReceive) => {
    if (typeof data !== "string" || data.length > maxMessageBytes) return send(conn, { type: "error", code: "BAD_MESSAGE", message: `Messages are JSON text of at most ${maxMessageBytes} bytes` });
    let message: unknown;
    try {
      message = JSON.parse(data);
    } catch {
      return send(conn, { type: "error", code: "BAD_MESSAGE", message: "A message is a JSON object such as {\"type\": \"subscribe\", \"channel\": \"…\"}" });
    }
    const m = (message !== null && typeof message === "object" ? message : {}) as { type?: unknown; channel?: unknown };
    if (m.type === "ping") return send(conn, { type: "pong" });
    if ((m.type === "subscribe" || m.type === "unsubscribe") && typeof m.channel === "string" && m.channel.length > 0 && m.channel.length <= 200) {
      const channel = normalize(m.channel);
      if (m.type === "subscribe") return subscribe(conn, channel);
      leave(conn, channel);
      return send(conn, { type: "unsubscribed", channel });
    }
    send(conn, { type: "error", code: "BAD_MESSAGE", message: "type must be subscribe, unsubscribe (with a channel) or ping" });
  };

  return {
    async publish(channel, event, data, publishOptions) {
      const e: Envelope = { origin, channel: normalize(channel), event, data, timestamp: new Date().toISOString(), ...(publishOptions ? { options: publishOptions } : {}) };
      deliver(e);
      // Other instances: best effort. A Redis that is away loses their copy, never this write.
      await redis?.publisher.publish(redis.channel, JSON.stringify(e)).catch(() => undefined);
    },
    subscribers(channel) {
      return byChannel.get(normalize(channel))?.size ?? 0;
    },
    connection(c) {
      const auth = c.get("auth");
      const conn: Connection = { c, channels: new Set(), ...(auth?.authenticated && auth.user ? { userId: auth.user.id } : {}) };
      return {
        onOpen(_event, ws) {
          conn.ws = ws;
          connections.add(conn);
          send(conn, { type: "connected", authenticated: conn.userId !== undefined });
        },
        onMessage(event, ws) {
          conn.ws = ws;
          void receive(conn, event.data);
        },
        onClose() {
          connections.delete(conn);
          for (const channel of [...conn.channels]) leave(conn, channel);
        },
      };
    },
    async close() {
      for (const conn of connections) conn.ws?.close(1001, "server shutting down");
      connections.clear();
      byChannel.clear();
      if (redis) await Promise.all([redis.publisher.quit().catch(() => undefined), redis.subscriber.quit().catch(() => undefined)]);
    },
  };
}
