/**
 * The e-mail providers' options at compile time: the config shapes of the YAMA roadmap compile,
 * secrets must come from the environment, bad options are errors at their line with a fix, one
 * e-mail provider per config, and what the workers target cannot run is `target-node-only`.
 */
import { describe, expect, it } from "vitest";
import { compileText } from "../index.js";

const ENDPOINT = "endpoints:\n  - { path: /x, method: GET, auth: false, handler: h }\n";
const compile = (lines: string[], tail = "") => compileText(["name: t", "plugins:", ...lines].join("\n") + "\n" + ENDPOINT + tail);
const errors = (lines: string[], tail = "") => compile(lines, tail).diagnostics.filter((d) => d.severity === "error").map((d) => ({ code: d.code, line: d.location?.line, message: d.message, hint: d.hint }));
const emitted = (lines: string[]) => compile(lines).files?.find((f) => f.path === "src/plugins/email.ts")?.content ?? "";
const WORKERS = "deployment:\n  targets: [workers]\ndocs: false\n";

describe("@betagors/yama-email-smtp", () => {
  const smtp = (...lines: string[]) => ['  "@betagors/yama-email-smtp":', ...lines.map((l) => `    ${l}`)];

  it("compiles the roadmap's config (also as @betagors/yama-smtp, with options under config:)", () => {
    const roadmap = ["host: smtp.example.com", "port: 587", "secure: false", "auth:", "  user: ${SMTP_USER}", "  pass: ${SMTP_PASSWORD}", "from: noreply@example.com"];
    expect(compile(smtp(...roadmap)).diagnostics).toEqual([]);
    const listed = compile(['  - "@betagors/yama-smtp":', "      config:", ...roadmap.map((l) => `        ${l}`)]);
    expect(listed.diagnostics).toEqual([]);
    expect(listed.files!.find((f) => f.path === "src/plugins/email.ts")!.content).toContain(`export const email = smtpEmail({
  host: "smtp.example.com",
  port: 587,
  secure: false,
  auth: { user: (process.env.SMTP_USER ?? ""), pass: (process.env.SMTP_PASSWORD ?? "") },
  timeoutMs: 10000,
  from: "noreply@example.com",
  templates: {},
});`);
    expect(JSON.parse(listed.files!.find((f) => f.path === "package.json")!.content).dependencies).toMatchObject({ nodemailer: expect.any(String), handlebars: expect.any(String) });
  });

  it("reads the port from the environment, and defaults it from secure", () => {
    expect(emitted(smtp("host: ${SMTP_HOST}", "port: ${SMTP_PORT}", "from: a@b.test"))).toContain("  host: (process.env.SMTP_HOST ?? \"\"),\n  port: Number(process.env.SMTP_PORT ?? 587),\n  secure: false,\n");
    expect(emitted(smtp("host: h.test", "secure: true", "requireTLS: true", "from: a@b.test"))).toContain("  port: 465,\n  secure: true,\n  requireTLS: true,\n  timeoutMs: 10000,\n");
  });

  it("a password written into the config is an error at its line", () => {
    expect(errors(smtp("host: h.test", "auth: { user: me, pass: hunter2 }", "from: a@b.test"))).toEqual([
      { code: "secret-in-config", line: 5, message: "the SMTP password is written into the config", hint: "read it from the environment: `pass: ${SMTP_PASSWORD}`" },
    ]);
  });

  it("bad options are errors at their line; a misspelt one gets a suggestion", () => {
    expect(errors(smtp("host: h.test", "port: 99999", "from: a@b.test"))).toEqual([expect.objectContaining({ code: "bad-plugin-option", line: 5 })]);
    expect(errors(smtp("host: h.test", "port: smtp", "from: a@b.test"))).toEqual([expect.objectContaining({ code: "bad-plugin-option", line: 5, message: expect.stringContaining("port number, or ${VAR}") })]);
    expect(errors(smtp("host: h.test", "secrue: true", "from: a@b.test"))).toEqual([expect.objectContaining({ code: "unknown-key", line: 5, hint: 'did you mean "secure"?' })]);
    expect(errors(smtp("host: h.test", "auth: { user: \"${U}\" }", "from: a@b.test"))).toEqual([expect.objectContaining({ code: "bad-plugin-option", line: 5 })]);
    expect(errors(smtp("host: h.test"))).toEqual([expect.objectContaining({ code: "bad-plugin-option", message: expect.stringContaining("from") })]);
    expect(errors(smtp("host: h.test", "from: a@b.test", "templates:", "  hi: d-abc123"))).toEqual([expect.objectContaining({ code: "bad-plugin-option", line: 7 })]);
  });

  it("is target-node-only on Workers (nodemailer needs TCP sockets)", () => {
    expect(errors(smtp("host: h.test", "from: a@b.test"), WORKERS)).toEqual([expect.objectContaining({ code: "target-node-only", line: 3, message: expect.stringContaining("nodemailer") })]);
  });
});

describe("@betagors/yama-email-sendgrid", () => {
  const sendgrid = (...lines: string[]) => ['  "@betagors/yama-email-sendgrid":', ...lines.map((l) => `    ${l}`)];

  it("compiles the roadmap's config: a template that is a string is a dynamic template id", () => {
    const result = compile(sendgrid("apiKey: ${SENDGRID_API_KEY}", "from: noreply@example.com", "templates:", "  welcome: d-abc123"));
    expect(result.diagnostics).toEqual([]);
    expect(result.files!.find((f) => f.path === "src/plugins/email.ts")!.content).toContain(`export const email = sendgridEmail({
  apiKey: (process.env.SENDGRID_API_KEY ?? ""),
  timeoutMs: 10000,
  from: "noreply@example.com",
  templates: {
    welcome: { id: "d-abc123" },
  },
});`);
    expect(JSON.parse(result.files!.find((f) => f.path === "package.json")!.content).dependencies).toMatchObject({ "@sendgrid/mail": expect.any(String), "@sendgrid/client": expect.any(String) });
  });

  it("an API key written into the config, or a template that is neither an id nor files, is an error at its line", () => {
    expect(errors(sendgrid("apiKey: SG.live", "from: a@b.test"))).toEqual([{ code: "secret-in-config", line: 4, message: "the SendGrid API key is written into the config", hint: "read it from the environment: `apiKey: ${SENDGRID_API_KEY}`" }]);
    expect(errors(sendgrid("apiKey: ${K}", "from: a@b.test", "templates:", "  welcome: emails/welcome.hbs"))).toEqual([
      expect.objectContaining({ code: "bad-plugin-option", line: 7, message: expect.stringContaining("must be a SendGrid dynamic template id (d-…), or {subject, html, text} with template files") }),
    ]);
  });

  it("is target-node-only on Workers (its client imports node:fs)", () => {
    expect(errors(sendgrid("apiKey: ${K}", "from: a@b.test", "templates:", "  welcome: d-abc123"), WORKERS)).toEqual([expect.objectContaining({ code: "target-node-only", line: 3, message: expect.stringContaining("node:fs") })]);
  });
});

describe("@betagors/yama-email-ses", () => {
  const ses = (...lines: string[]) => ['  "@betagors/yama-email-ses":', ...lines.map((l) => `    ${l}`)];
  const roadmap = ["region: us-east-1", "accessKeyId: ${AWS_ACCESS_KEY_ID}", "secretAccessKey: ${AWS_SECRET_ACCESS_KEY}", "from: noreply@example.com"];

  it("compiles the roadmap's config; without keys the SDK's default credential chain is used", () => {
    const result = compile(ses(...roadmap, "templates:", "  receipt: Receipt-v2"));
    expect(result.diagnostics).toEqual([]);
    expect(result.files!.find((f) => f.path === "src/plugins/email.ts")!.content).toContain(`export const email = sesEmail({
  region: "us-east-1",
  credentials: { accessKeyId: (process.env.AWS_ACCESS_KEY_ID ?? ""), secretAccessKey: (process.env.AWS_SECRET_ACCESS_KEY ?? "") },
  timeoutMs: 10000,
  from: "noreply@example.com",
  templates: {
    receipt: { id: "Receipt-v2" },
  },
});`);
    expect(JSON.parse(result.files!.find((f) => f.path === "package.json")!.content).dependencies).toMatchObject({ "@aws-sdk/client-sesv2": expect.any(String) });
    expect(emitted(ses("from: a@b.test"))).toContain("export const email = sesEmail({\n  timeoutMs: 10000,\n  from: \"a@b.test\",\n");
  });

  it("keys written into the config, or only one of the pair, are errors at their line", () => {
    expect(errors(ses("accessKeyId: ${AWS_ACCESS_KEY_ID}", "secretAccessKey: wJalrXUtnFEMI", "from: a@b.test"))).toEqual([
      { code: "secret-in-config", line: 5, message: "the AWS secret access key is written into the config", hint: "read it from the environment: `secretAccessKey: ${AWS_SECRET_ACCESS_KEY}`" },
    ]);
    expect(errors(ses("region: eu-west-1", "accessKeyId: ${AWS_ACCESS_KEY_ID}", "from: a@b.test"))).toEqual([expect.objectContaining({ code: "bad-plugin-option", line: 5, message: expect.stringContaining("give accessKeyId and secretAccessKey together") })]);
    expect(errors(ses("secretAcessKey: ${S}", "from: a@b.test"))).toEqual([expect.objectContaining({ code: "unknown-key", line: 4, hint: 'did you mean "secretAccessKey"?' })]);
    expect(errors(ses("from: a@b.test", "templates:", "  receipt: emails/receipt.hbs"))).toEqual([expect.objectContaining({ code: "bad-plugin-option", line: 6, message: expect.stringContaining("must be the name of an SES template") })]);
  });

  it("runs on Workers with SES's templates; templates of files are target-node-only there (Handlebars)", () => {
    const ses = ['  "@betagors/yama-email-ses":', "    region: us-east-1", "    from: a@b.test", "    templates:"];
    expect(errors([...ses, "      receipt: Receipt-v2"], WORKERS)).toEqual([]);
    expect(errors([...ses, "      hi: { subject: Hi, text: hi.txt }"], WORKERS)).toEqual([expect.objectContaining({ code: "target-node-only", message: expect.stringContaining("new Function()") })]);
  });
});

describe("one e-mail provider", () => {
  it("a second e-mail plugin is an error that names the first", () => {
    const found = errors(['  "@betagors/yama-email-resend":', "    apiKey: ${RESEND_API_KEY}", "    from: a@b.test", '  "@betagors/yama-email-smtp":', "    host: h.test", "    from: a@b.test"]);
    expect(found).toEqual([
      {
        code: "duplicate-email-plugin",
        line: 6,
        message: "@betagors/yama-email-smtp and @betagors/yama-email-resend (line 3) both provide ctx.email; a config uses one e-mail provider",
        hint: "keep one of them: handlers call ctx.email the same way with each provider",
      },
    ]);
  });
});
