/**
 * The project the e-mail tests compile, one per provider: the same endpoints and handler files
 * with each provider's plugin entry, since handlers call ctx.email the same way with each.
 */
import { execFile } from "node:child_process";
import { writeFileSync } from "node:fs";
import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import { join } from "node:path";
import { promisify } from "node:util";
import { afterAll, beforeAll, expect } from "vitest";
import { call, prepareProjectFromText, removeProject, ROOT, type RunningServer, startServer } from "./harness.js";

const ENDPOINTS = `endpoints:
  - path: /welcome
    method: POST
    auth: false
    body: { fields: { to: email!, name: string! } }
    handler: src/handlers/welcome.ts
  - path: /note
    method: POST
    auth: false
    body: { fields: { to: email! } }
    handler: src/handlers/note.ts
  - path: /batch
    method: POST
    auth: false
    body: { fields: { to: email! } }
    handler: src/handlers/batch.ts
`;

export const FILES: Readonly<Record<string, string>> = {
  "emails/welcome.hbs": "<p>Hello {{name}}, welcome to Acme.</p>\n",
  "emails/welcome.txt": "Hello {{name}}, welcome to Acme.\n",
  "src/handlers/welcome.ts": `import type { WelcomeContext } from "../endpoints/welcome.js";
export default async function welcome(ctx: WelcomeContext) {
  const sent = await ctx.email.send({ to: ctx.body.to, template: "welcome", data: { name: ctx.body.name } });
  return { id: sent.id };
}
`,
  "src/handlers/note.ts": `import type { NoteContext } from "../endpoints/note.js";
export default async function note(ctx: NoteContext) {
  return ctx.email.send({ to: [ctx.body.to], subject: "A note", text: "plain words", replyTo: "help@acme.test" });
}
`,
  "src/handlers/batch.ts": `import type { BatchContext } from "../endpoints/batch.js";
export default async function batch(ctx: BatchContext) {
  return ctx.email.sendBatch([
    { to: ctx.body.to, subject: "First", html: "<p>one</p>", cc: "cc@example.com" },
    { to: ctx.body.to, subject: "Second", text: "two", bcc: ["bcc@example.com"] },
  ]);
}
`,
};

/** The welcome template of FILES, as yama.yaml declares it under `templates:`. */
export const WELCOME = '      welcome: { subject: "Welcome, {{name}}!", html: emails/welcome.hbs, text: emails/welcome.txt }';

/** Compiles the mailer project with `plugin` (the lines of its entry under `plugins:`), and more endpoints and files where a test needs them. */
export function prepareMailer(name: string, plugin: string, more: { endpoints?: string; files?: Readonly<Record<string, string>> } = {}): Promise<string> {
  return prepareProjectFromText(name, `name: mailer\nversion: 1.0.0\nplugins:\n${plugin}\n${ENDPOINTS}${more.endpoints ?? ""}`, { ...FILES, ...more.files });
}

/** An endpoint that sends the template `receipt` (one the provider keeps) with `templateData`, the name SendGrid's examples use. */
export const RECEIPT = {
  endpoints: `  - path: /receipt
    method: POST
    auth: false
    body: { fields: { to: email!, total: string! } }
    handler: src/handlers/receipt.ts
`,
  files: {
    "src/handlers/receipt.ts": `import type { ReceiptContext } from "../endpoints/receipt.js";
export default async function receipt(ctx: ReceiptContext) {
  return ctx.email.send({ to: ctx.body.to, template: "receipt", templateData: { total: ctx.body.total } });
}
`,
  },
};

/**
 * The project passes `tsc --strict`, and a template name yama.yaml does not declare fails it
 * (the note handler is changed to name one, then put back). tsc runs asynchronously: a blocked
 * event loop would miss the app server closing idle keep-alive connections, and the next call
 * would go out on a closed one.
 */
export async function expectTyped(dir: string): Promise<void> {
  const tsc = () => promisify(execFile)(join(ROOT, "node_modules/.bin/tsc"), ["--noEmit", "-p", dir], { encoding: "utf8" });
  await tsc();
  writeFileSync(join(dir, "src/handlers/note.ts"), FILES["src/handlers/note.ts"]!.replace('subject: "A note", text: "plain words"', 'template: "welcom"'));
  try {
    const output = await tsc().then(
      () => "",
      (err: { stdout?: string }) => String(err.stdout),
    );
    expect(output).toMatch(/src\/handlers\/note\.ts.*"welcom"/s);
  } finally {
    writeFileSync(join(dir, "src/handlers/note.ts"), FILES["src/handlers/note.ts"]!);
  }
}

export interface Received {
  method: string;
  path: string;
  headers: IncomingMessage["headers"];
  body: Record<string, unknown>;
}

/** A provider's HTTP API on 127.0.0.1: records every request and answers what `answer` says. */
export class FakeApi {
  server!: Server;
  base = "";
  received: Received[] = [];

  constructor(private readonly answer: (req: Received, res: ServerResponse) => void) {}

  async start(): Promise<void> {
    this.server = createServer(async (req, res) => {
      let text = "";
      for await (const chunk of req) text += chunk;
      const received: Received = { method: req.method ?? "", path: req.url ?? "", headers: req.headers, body: text ? (JSON.parse(text) as Record<string, unknown>) : {} };
      this.received.push(received);
      this.answer(received, res);
    });
    await new Promise<void>((resolve) => this.server.listen(0, "127.0.0.1", resolve));
    this.base = `http://127.0.0.1:${(this.server.address() as AddressInfo).port}`;
  }

  stop(): Promise<void> {
    return new Promise((resolve) => (this.server ? this.server.close(() => resolve()) : resolve()));
  }
}

export interface Mailer<K extends string> {
  dir: string;
  servers: Record<K, RunningServer>;
}

/**
 * Registers hooks that start the test's mail server (`around.start`), compile the mailer project
 * with `plugin`, and run it once per environment of `envs` (each with its own data directory);
 * afterwards the servers stop, `around.stop` runs and the project is removed.
 */
export function serveMailer<K extends string>(name: string, plugin: string, envs: (dir: string) => Record<K, Record<string, string>>, around: { start(): Promise<void>; stop(): Promise<void>; more?: Parameters<typeof prepareMailer>[2] }): Mailer<K> {
  const mailer = { dir: "", servers: {} } as Mailer<K>;
  beforeAll(async () => {
    await around.start();
    mailer.dir = await prepareMailer(name, plugin, around.more);
    const started = await Promise.all(Object.entries<Record<string, string>>(envs(mailer.dir)).map(async ([key, env]) => [key, await startServer(mailer.dir, { YAMA_DATA_DIR: join(mailer.dir, ".yama", `data-${key}`), ...env })] as const));
    Object.assign(mailer.servers, Object.fromEntries(started));
  }, 120_000);
  afterAll(async () => {
    await Promise.all(Object.values<RunningServer>(mailer.servers).map((s) => s.stop()));
    await around.stop();
    removeProject(mailer.dir);
  });
  return mailer;
}

/** POST /note to the app at `base` answers 503 with `code` and `message` in the error envelope; resolves to how long it took (ms). */
export async function expectNote503(base: string, code: "EMAIL_FAILED" | "EMAIL_UNAVAILABLE", message: string | RegExp, to = "bo@example.com"): Promise<number> {
  const started = Date.now();
  const res = await call(base, "POST", "/note", { to });
  expect(res.status, res.text).toBe(503);
  expect((res.body as { error: unknown }).error).toMatchObject({ code, message: typeof message === "string" ? message : expect.stringMatching(message) });
  return Date.now() - started;
}
