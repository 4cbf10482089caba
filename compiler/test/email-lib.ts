/**
 * The project the e-mail tests compile, one per provider: the same endpoints and handler files
 * with each provider's plugin entry, since handlers call ctx.email the same way with each.
 */
import { execFileSync } from "node:child_process";
import { writeFileSync } from "node:fs";
import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import { join } from "node:path";
import { expect } from "vitest";
import { prepareProjectFromText, ROOT } from "./harness.js";

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

/** Compiles the mailer project with `plugin` (the lines of its entry under `plugins:`). */
export function prepareMailer(name: string, plugin: string, files: Readonly<Record<string, string>> = {}): Promise<string> {
  return prepareProjectFromText(name, `name: mailer\nversion: 1.0.0\nplugins:\n${plugin}\n${ENDPOINTS}`, { ...FILES, ...files });
}

/**
 * The project passes `tsc --strict`, and a template name yama.yaml does not declare fails it
 * (the note handler is changed to name one, then put back).
 */
export function expectTyped(dir: string): void {
  const tsc = () => execFileSync(join(ROOT, "node_modules/.bin/tsc"), ["--noEmit", "-p", dir], { encoding: "utf8", stdio: "pipe" });
  tsc();
  writeFileSync(join(dir, "src/handlers/note.ts"), FILES["src/handlers/note.ts"]!.replace('subject: "A note", text: "plain words"', 'template: "welcom"'));
  try {
    let output = "";
    try {
      tsc();
    } catch (err) {
      output = String((err as { stdout?: string }).stdout);
    }
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
