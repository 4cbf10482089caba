/**
 * `ctx.email` through Resend (`@betagors/yama-email-resend`), over HTTP against a fake Resend API
 * on 127.0.0.1 (RESEND_BASE_URL): a template from yama.yaml rendered with Handlebars (HTML
 * escaped, subject and text not), a message written out, and a 503 in the error envelope when
 * the API key is missing or Resend refuses. Template files are read at compile time.
 */
import { execFileSync } from "node:child_process";
import { mkdirSync, mkdtempSync, writeFileSync } from "node:fs";
import { createServer, type IncomingMessage, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { join, relative } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { compileText } from "../index.js";
import { call, prepareProjectFrom, removeProject, ROOT, type RunningServer, startServer } from "./harness.js";

const CONFIG = `name: mailer
version: 1.0.0
plugins:
  "@betagors/yama-email-resend":
    apiKey: \${RESEND_API_KEY}
    from: "Acme <noreply@acme.test>"
    templates:
      welcome: { subject: "Welcome, {{name}}!", html: emails/welcome.hbs, text: emails/welcome.txt }
endpoints:
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
`;

const FILES: Record<string, string> = {
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
};

/** A fake Resend API: POST /emails answers an id, or the error the test asks for. */
class FakeResend {
  server!: Server;
  base = "";
  received: { auth: string | undefined; body: Record<string, unknown> }[] = [];
  refuse = false;

  async start(): Promise<void> {
    this.server = createServer(async (req: IncomingMessage, res) => {
      let text = "";
      for await (const chunk of req) text += chunk;
      this.received.push({ auth: req.headers.authorization, body: JSON.parse(text) as Record<string, unknown> });
      res.writeHead(this.refuse ? 422 : 200, { "content-type": "application/json" });
      res.end(JSON.stringify(this.refuse ? { statusCode: 422, name: "validation_error", message: "The `to` field is invalid." } : { id: `email-${this.received.length}` }));
    });
    await new Promise<void>((resolve) => this.server.listen(0, "127.0.0.1", resolve));
    this.base = `http://127.0.0.1:${(this.server.address() as AddressInfo).port}`;
  }
}

describe("ctx.email through Resend", () => {
  const resend = new FakeResend();
  let dir = "";
  let server: RunningServer | undefined;
  let keyless: RunningServer | undefined;

  beforeAll(async () => {
    await resend.start();
    mkdirSync(join(ROOT, ".yama"), { recursive: true });
    const source = mkdtempSync(join(ROOT, ".yama", "email-source-"));
    try {
      writeFileSync(join(source, "yama.yaml"), CONFIG);
      for (const [path, text] of Object.entries(FILES)) {
        mkdirSync(join(source, path, ".."), { recursive: true });
        writeFileSync(join(source, path), text);
      }
      dir = await prepareProjectFrom(relative(ROOT, source));
    } finally {
      removeProject(source);
    }
    server = await startServer(dir, { RESEND_API_KEY: "re_test_key", RESEND_BASE_URL: resend.base });
    keyless = await startServer(dir, { RESEND_API_KEY: "", RESEND_BASE_URL: resend.base, YAMA_DATA_DIR: join(dir, ".yama", "data-keyless") });
  }, 120_000);
  afterAll(async () => {
    await server?.stop();
    await keyless?.stop();
    await new Promise((resolve) => resend.server?.close(resolve));
    removeProject(dir);
  });

  it("sends a template rendered with the request's data: HTML escaped, subject and text as written", async () => {
    const res = await call(server!.base, "POST", "/welcome", { to: "ann@example.com", name: "Ann <b>&" });
    expect(res.status, res.text).toBe(201);
    expect(res.body).toEqual({ id: "email-1" });
    const sent = resend.received.at(-1)!;
    expect(sent.auth).toBe("Bearer re_test_key");
    expect(sent.body).toMatchObject({
      from: "Acme <noreply@acme.test>",
      to: "ann@example.com",
      subject: "Welcome, Ann <b>&!",
      html: "<p>Hello Ann &lt;b&gt;&amp;, welcome to Acme.</p>\n",
      text: "Hello Ann <b>&, welcome to Acme.\n",
    });
  });

  it("types ctx.email: the project passes tsc --strict, and a template name yama.yaml does not declare does not", () => {
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
  }, 60_000);

  it("sends a message written out", async () => {
    const res = await call(server!.base, "POST", "/note", { to: "bo@example.com" });
    expect(res.status, res.text).toBe(201);
    expect(resend.received.at(-1)!.body).toMatchObject({ to: ["bo@example.com"], subject: "A note", text: "plain words", reply_to: "help@acme.test" });
  });

  it("a refused message or a missing API key is a 503 in the error envelope", async () => {
    resend.refuse = true;
    try {
      const refused = await call(server!.base, "POST", "/note", { to: "bo@example.com" });
      expect(refused.status).toBe(503);
      expect((refused.body as { error: { code: string; message: string } }).error).toMatchObject({ code: "EMAIL_FAILED", message: "E-mail could not be sent: The `to` field is invalid." });
    } finally {
      resend.refuse = false;
    }
    const before = resend.received.length;
    const missing = await call(keyless!.base, "POST", "/note", { to: "bo@example.com" });
    expect(missing.status).toBe(503);
    expect((missing.body as { error: { code: string } }).error.code).toBe("EMAIL_UNAVAILABLE");
    expect(resend.received.length).toBe(before);
  });
});

describe("e-mail options", () => {
  const plugin = (lines: string[]) => compileText(["name: t", "plugins:", '  "@betagors/yama-email-resend":', ...lines].join("\n") + "\n").diagnostics.filter((d) => d.severity === "error");

  it("an API key written into the config is an error at its line", () => {
    expect(plugin(["    apiKey: re_live_123", "    from: a@b.test"])).toEqual([expect.objectContaining({ code: "secret-in-config", location: expect.objectContaining({ line: 4 }) })]);
  });

  it("templates on the workers target are an error (Handlebars compiles with new Function)", () => {
    const errors = plugin(["    apiKey: ${RESEND_API_KEY}", "    from: a@b.test", "    templates:", "      hi: { subject: Hi, text: hi.txt }", "deployment:", "  targets: [workers]", "docs: false"]);
    expect(errors).toEqual([expect.objectContaining({ code: "target-node-only", message: expect.stringContaining("new Function()") })]);
  });

  it("a template needs a body", () => {
    expect(plugin(["    apiKey: ${RESEND_API_KEY}", "    from: a@b.test", "    templates:", "      hi: { subject: Hi }"])).toEqual([expect.objectContaining({ location: expect.objectContaining({ line: 7 }) })]);
  });
});
