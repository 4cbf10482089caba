/**
 * HTTP fuzzing of emitted apps. Every route of a fixture's src/openapi.json gets malformed JSON,
 * wrong content types, wrong field types, unknown fields, oversized and deeply nested bodies,
 * null bytes, invalid UTF-8, very long query strings, path traversal and SQL-injection payloads
 * in every path, query and body parameter. Requests are written as raw bytes on a socket, so the
 * bytes reach the server exactly as sent.
 *
 * Must hold: no 5xx, the process never dies, every 4xx carries the error envelope, and the
 * injection payloads changed nothing in the database (same tables, same row counts).
 */
import { readFileSync } from "node:fs";
import { connect } from "node:net";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createDatabase, prepareProject, removeProject, startServer, type RunningServer } from "./harness.js";

/** `npm run soak` sets FUZZ_FULL=1: every payload on every parameter of four fixtures. */
const FULL = process.env.FUZZ_FULL === "1";
/** About `n` evenly spread items of a list, or all of them in a full run. */
const some = <T>(items: readonly T[], n: number): T[] => (FULL || items.length <= n ? [...items] : items.filter((_, i) => i % Math.ceil(items.length / n) === 0));

interface RawReply {
  status: number;
  headers: Record<string, string>;
  body: string;
}

/** Sends `head` (latin1, so raw bytes pass through) + `body` as bytes and reads the whole response (Connection: close). */
function raw(port: number, head: string, body: Buffer = Buffer.alloc(0)): Promise<RawReply> {
  return new Promise((resolve, reject) => {
    const socket = connect(port, "127.0.0.1");
    const chunks: Buffer[] = [];
    socket.setTimeout(30_000, () => socket.destroy(new Error(`timeout: ${head.split("\r\n")[0]!.slice(0, 200)}`)));
    socket.on("data", (c) => chunks.push(c));
    socket.on("error", (err) => ((err as NodeJS.ErrnoException).code === "EPIPE" || (err as NodeJS.ErrnoException).code === "ECONNRESET" ? undefined : reject(err)));
    socket.on("close", () => {
      const all = Buffer.concat(chunks);
      const split = all.indexOf("\r\n\r\n");
      if (split < 0) return reject(new Error(`no response to ${head.split("\r\n")[0]!.slice(0, 200)}`));
      const [statusLine, ...lines] = all.subarray(0, split).toString("latin1").split("\r\n");
      const headers: Record<string, string> = {};
      for (const line of lines) headers[line.slice(0, line.indexOf(":")).toLowerCase()] = line.slice(line.indexOf(":") + 1).trim();
      let payload = all.subarray(split + 4);
      if (headers["transfer-encoding"] === "chunked") {
        const parts: Buffer[] = [];
        for (let at = 0; at < payload.length;) {
          const eol = payload.indexOf("\r\n", at);
          const size = parseInt(payload.subarray(at, eol).toString(), 16);
          if (!size) break;
          parts.push(payload.subarray(eol + 2, eol + 2 + size));
          at = eol + 2 + size + 2;
        }
        payload = Buffer.concat(parts);
      }
      resolve({ status: Number(statusLine!.split(" ")[1]), headers, body: payload.toString("utf8") });
    });
    // No half-close: the server answers and closes (Connection: close), as browsers expect. The
    // body goes in pieces and stops once an answer arrives: a server may answer a bad request
    // before reading a large body, and writing on would only provoke a reset that discards it.
    socket.write(Buffer.from(head, "latin1"));
    let at = 0;
    const pump = () => {
      while (at < body.length && chunks.length === 0 && !socket.destroyed) {
        const piece = body.subarray(at, at + 65_536);
        at += piece.length;
        if (!socket.write(piece)) return void socket.once("drain", pump);
      }
    };
    pump();
  });
}

interface Probe {
  method: string;
  target: string;
  contentType?: string;
  body?: Buffer;
  label: string;
}

const request = (port: number, p: Probe) =>
  raw(port, `${p.method} ${p.target} HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n${p.contentType ? `Content-Type: ${p.contentType}\r\n` : ""}Content-Length: ${p.body?.length ?? 0}\r\n\r\n`, p.body);

/** SQL-injection payloads: each must be treated as a plain value. */
const INJECTION = [
  "' OR '1'='1", "1; DROP TABLE products; --", "\" OR \"\"=\"", "1' UNION SELECT usename, passwd FROM pg_shadow --", "'); DELETE FROM reviews; --",
  "$1", "%' OR 1=1 --", "name) OR (1=1", "id;select pg_sleep(5)", "\\'; TRUNCATE categories CASCADE; --",
];
/** Values that are wrong in other ways (percent-encoded where they go into a URL). */
const ODD = [
  "", "%00", "a%00b", "%C3%28", "%FF%FE", "%ED%A0%80", "..%2F..%2Fetc%2Fpasswd", "%2e%2e%2f", "-1", "0", "1e309", "NaN", "Infinity",
  "99999999999999999999999999", "true", "null", "%5B%5D", "%7B%7D", "x".repeat(5000), "%E2%80%AE", "😀",
];
/** Path segments that try to escape the route. */
const TRAVERSAL = ["..", "..%2F..%2Fetc%2Fpasswd", "%2e%2e", "....//", "%00", "a%00b", "%C0%AE%C0%AE", "%FF", "00000000-0000-0000-0000-00000000000g", "00000000-0000-0000-0000-000000000000%00", "1' OR '1'='1"];

/** Bodies that are broken as JSON or as text. */
const BAD_BODIES: Array<[string, Buffer]> = [
  ["truncated", Buffer.from('{"a": ')], ["bare word", Buffer.from("undefined")], ["trailing comma", Buffer.from('{"a": 1,}')],
  ["array", Buffer.from("[]")], ["null", Buffer.from("null")], ["string", Buffer.from('"text"')], ["number", Buffer.from("42")],
  ["invalid utf-8", Buffer.from([0x7b, 0x22, 0x61, 0x22, 0x3a, 0x22, 0xff, 0xfe, 0xc3, 0x28, 0x22, 0x7d])],
  ["null byte", Buffer.from('{"a":"x\u0000y"}')], ["BOM", Buffer.concat([Buffer.from([0xef, 0xbb, 0xbf]), Buffer.from("{}")])],
  ["deep nesting", Buffer.from("[".repeat(100_000) + "]".repeat(100_000))],
  ["deep object", Buffer.from('{"a":'.repeat(20_000) + "1" + "}".repeat(20_000))],
  ["12 MB", Buffer.from(`{"pad":"${"x".repeat(12 * 1024 * 1024)}"}`)],
  ["proto pollution", Buffer.from('{"__proto__": {"admin": true}, "constructor": {"prototype": {"x": 1}}}')],
];
const CONTENT_TYPES = [undefined, "text/plain", "application/x-www-form-urlencoded", "multipart/form-data; boundary=x", "application/json; charset=latin1", "application/xml", "*/*"];

type Schema = { type?: string | string[]; properties?: Record<string, Schema>; required?: string[]; $ref?: string; items?: Schema; enum?: unknown[]; format?: string; minimum?: number; maximum?: number; minLength?: number; maxLength?: number; oneOf?: Schema[]; anyOf?: Schema[] };
interface Operation { parameters?: Array<{ name: string; in: string; schema?: Schema }>; requestBody?: { content?: Record<string, { schema?: Schema }> } }

function resolve(doc: { components?: { schemas?: Record<string, Schema> } }, s: Schema | undefined): Schema | undefined {
  for (let i = 0; s?.$ref && i < 10; i++) s = doc.components?.schemas?.[s.$ref.split("/").pop()!];
  return s;
}

/** Values of the wrong type for a property of the given schema. */
function wrongValues(s: Schema | undefined): unknown[] {
  const type = Array.isArray(s?.type) ? s.type[0] : s?.type;
  const common: unknown[] = [{ nested: { deeper: [1, 2] } }, [], null, "x".repeat(100_000), "\u0000", "\ud800", ...INJECTION.slice(0, 3)];
  if (type === "string") return [...common, 42, true, -1.5e308];
  if (type === "integer" || type === "number") return [...common, "12", 1e309 > 0 ? "1e309" : 0, 1.5, -2147483649, 9007199254740993, Number.MAX_VALUE, -0];
  if (type === "boolean") return [...common, "true", 1, 0];
  return [...common, 1, "text", true];
}

/** A value that satisfies the schema, to seed rows the fuzzed reads can find; with `all`, optional properties too. */
function validValue(doc: Parameters<typeof resolve>[0], schema: Schema | undefined, depth = 0, all = false): unknown {
  const s = resolve(doc, schema);
  if (!s || depth > 4) return null;
  if (s.enum) return s.enum[0];
  const alt = s.oneOf?.[0] ?? s.anyOf?.[0];
  if (alt) return validValue(doc, alt, depth + 1, all);
  const type = Array.isArray(s.type) ? s.type.find((t) => t !== "null") : s.type;
  switch (type) {
    case "object": {
      const out: Record<string, unknown> = {};
      for (const [k, v] of Object.entries(s.properties ?? {})) if (all || s.required?.includes(k)) out[k] = validValue(doc, v, depth + 1, all);
      return out;
    }
    case "array": return [];
    case "integer": return Math.max(s.minimum ?? 1, 1);
    case "number": return Math.max(s.minimum ?? 1, 1);
    case "boolean": return true;
    default:
      if (s.format === "uuid") return crypto.randomUUID();
      if (s.format === "date-time") return new Date().toISOString();
      if (s.format === "date") return "2026-01-01";
      if (s.format === "email") return `fuzz${Math.random().toString(36).slice(2)}@example.com`;
      if (s.format === "uri") return "https://example.com/x";
      return `v${Math.random().toString(36).slice(2, 2 + Math.max(3, Math.min(s.minLength ?? 3, s.maxLength ?? 8)))}`;
  }
}

function probes(doc: { paths: Record<string, Record<string, Operation>>; components?: { schemas?: Record<string, Schema> } }, ids: Map<string, string>): Probe[] {
  const out: Probe[] = [];
  for (const [path, operations] of Object.entries(doc.paths)) {
    for (const [method, op] of Object.entries(operations)) {
      const M = method.toUpperCase();
      const pathParams = (op.parameters ?? []).filter((p) => p.in === "path");
      // Unfuzzed path parameters get a well-formed value, so that the request reaches the body.
      const plausible = (name: string) => {
        const type = pathParams.find((p) => p.name === name)?.schema?.type;
        return ids.get(path.split("/")[1]!) ?? (type === "integer" || type === "number" ? "1" : crypto.randomUUID());
      };
      const fill = (override?: [string, string]) => path.replace(/\{(\w+)\}/g, (_, name: string) => (override && override[0] === name ? override[1] : encodeURIComponent(plausible(name))));
      const base = fill();
      for (const p of pathParams) for (const v of [...TRAVERSAL, ...some(INJECTION.map(encodeURIComponent), 3), ...some(ODD, 8)]) out.push({ method: M, target: fill([p.name, v]), label: `${M} ${path} ${p.name}=${v.slice(0, 40)}` });
      const query = (op.parameters ?? []).filter((p) => p.in === "query").map((p) => p.name);
      for (const name of [...query, "sort", "include", "fields", "cursor", "limit", "offset", "count", "q", "search", "filter"]) {
        for (const v of [...some(INJECTION.map(encodeURIComponent), 4), ...some(ODD, 7), `-${INJECTION[1]}`.replace(/ /g, "%20"), "id,../../x", "*"]) {
          out.push({ method: M, target: `${base}?${name}=${v}`, label: `${M} ${path} ?${name}=${v.slice(0, 40)}` });
        }
        out.push({ method: M, target: `${base}?${name}=a&${name}=b&${name}[]=c&${name}[x]=d`, label: `${M} ${path} repeated ${name}` });
      }
      out.push({ method: M, target: `${base}?${"q=".concat("a".repeat(60_000))}`, label: `${M} ${path} 60 kB query` });
      out.push({ method: M, target: `${base}?${Array.from({ length: 2000 }, (_, i) => `k${i}=${i}`).join("&")}`, label: `${M} ${path} 2,000 query keys` });
      if (M === "POST" || M === "PUT" || M === "PATCH") {
        for (const [label, body] of BAD_BODIES) out.push({ method: M, target: base, contentType: "application/json", body, label: `${M} ${path} body: ${label}` });
        for (const type of CONTENT_TYPES) out.push({ method: M, target: base, contentType: type, body: Buffer.from("a=1&b=2"), label: `${M} ${path} content-type ${type}` });
        const schema = resolve(doc, op.requestBody?.content?.["application/json"]?.schema);
        const valid = (validValue(doc, schema) ?? {}) as Record<string, unknown>;
        const json = (v: unknown) => Buffer.from(JSON.stringify(v));
        out.push({ method: M, target: base, contentType: "application/json", body: json({ ...valid, unknownField: 1, "": 2, "a.b": 3 }), label: `${M} ${path} unknown fields` });
        // Every property, optional ones included, with a valid value: each column type is bound at least once.
        out.push({ method: M, target: base, contentType: "application/json", body: json(validValue(doc, schema, 0, true) ?? {}), label: `${M} ${path} every property valid` });
        out.push({ method: M, target: base, contentType: "application/json", body: json([valid, valid]), label: `${M} ${path} array body` });
        for (const [prop, propSchema] of Object.entries(schema?.properties ?? {})) {
          for (const wrong of some(wrongValues(resolve(doc, propSchema)), 6)) out.push({ method: M, target: base, contentType: "application/json", body: json({ ...valid, [prop]: wrong }), label: `${M} ${path} ${prop}=${JSON.stringify(wrong)?.slice(0, 40)}` });
          for (const payload of some(INJECTION, 2)) out.push({ method: M, target: base, contentType: "application/json", body: json({ ...valid, [prop]: payload }), label: `${M} ${path} ${prop} injection` });
        }
      }
    }
  }
  return out;
}

async function runAll<T>(items: T[], concurrency: number, work: (item: T) => Promise<void>): Promise<void> {
  let next = 0;
  await Promise.all(Array.from({ length: concurrency }, async () => {
    while (next < items.length) await work(items[next++]!);
  }));
}

for (const fixture of FULL ? ["handlers", "all-types", "shop", "endpoints"] : ["handlers", "all-types"]) {
  describe(`HTTP fuzzing: ${fixture}`, () => {
    let dir = "";
    let db: Awaited<ReturnType<typeof createDatabase>>;
    let server: RunningServer;
    let port = 0;
    let doc: Parameters<typeof probes>[0];
    const ids = new Map<string, string>();

    const tableCounts = async () => {
      const tables = await db.sql<{ table_name: string }[]>`SELECT table_name FROM information_schema.tables WHERE table_schema = 'public' ORDER BY table_name`;
      const counts: Record<string, number> = {};
      for (const { table_name } of tables) counts[table_name] = Number((await db.sql.unsafe(`SELECT count(*)::int AS n FROM "${table_name}"`))[0]!.n);
      return counts;
    };

    beforeAll(async () => {
      dir = await prepareProject(fixture);
      db = await createDatabase(`yamac_fuzz_${fixture.replace(/\W/g, "_")}`);
      server = await startServer(dir, { DATABASE_URL: db.url, JWT_SECRET: "fuzz-secret-that-is-long-enough-0123456789" });
      port = Number(new URL(server.base).port);
      doc = JSON.parse(readFileSync(join(dir, "src/openapi.json"), "utf8"));
      // Seed one row per collection so reads by id, includes and lists have something to find.
      for (const [path, ops] of Object.entries(doc.paths)) {
        if (!ops.post || /\{/.test(path)) continue;
        const body = validValue(doc, ops.post.requestBody?.content?.["application/json"]?.schema);
        const reply = await request(port, { method: "POST", target: path, contentType: "application/json", body: Buffer.from(JSON.stringify(body ?? {})), label: "seed" });
        const id = (() => { try { return (JSON.parse(reply.body) as { id?: unknown }).id; } catch { return undefined; } })();
        if (reply.status === 201 && typeof id === "string") ids.set(path.split("/")[1]!, id);
      }
    }, 180_000);

    afterAll(async () => {
      await server?.stop();
      await db?.drop();
      removeProject(dir);
    });

    it("answers every malformed request with a 4xx envelope (or a 2xx), never a 5xx", async () => {
      const before = await tableCounts();
      const all = probes(doc, ids);
      const failures: string[] = [];
      let answered = 0;
      await runAll(all, 8, async (probe) => {
        const reply = await request(port, probe).catch((err: Error) => ({ status: 0, headers: {}, body: err.message }));
        answered++;
        if (reply.status === 0 || reply.status >= 500) failures.push(`${reply.status} ${probe.label}: ${reply.body.slice(0, 300)}`);
        else if (reply.status >= 400 && probe.method !== "HEAD") {
          let envelope: { error?: { code?: unknown; message?: unknown; requestId?: unknown } } | undefined;
          try { envelope = JSON.parse(reply.body); } catch { envelope = undefined; }
          if (typeof envelope?.error?.code !== "string" || typeof envelope.error.message !== "string" || typeof envelope.error.requestId !== "string") {
            failures.push(`${reply.status} without the envelope: ${probe.label}: ${reply.body.slice(0, 200)}`);
          }
        }
      });
      if (process.env.FUZZ_REPORT) (await import("node:fs")).writeFileSync(`${process.env.FUZZ_REPORT}-${fixture}.txt`, failures.join("\n"));
      expect(answered).toBe(all.length);
      expect(all.length).toBeGreaterThan(FULL ? 4000 : 1500);
      expect(failures.slice(0, 30), `${failures.length} of ${all.length} probes failed`).toEqual([]);
      expect(server.child.exitCode, server.output.join("").slice(-2000)).toBeNull();
      // The injection payloads were values: nothing was dropped, truncated or deleted. Creates
      // with string payloads may have added rows, never removed any.
      const after = await tableCounts();
      expect(Object.keys(after)).toEqual(Object.keys(before));
      for (const [table, n] of Object.entries(before)) expect(after[table], table).toBeGreaterThanOrEqual(n);
    }, 600_000);
  });
}
