/**
 * E-mail, as `ctx.email` in handlers, through one of four providers: Resend, SMTP, SendGrid or
 * Amazon SES. Handlers call the same `ctx.email.send(…)` with each (runtime-lib/email.ts), so
 * switching provider is a change of yama.yaml only. For example:
 *
 *   plugins:
 *     "@betagors/yama-email-resend":
 *       apiKey: ${RESEND_API_KEY}
 *       from: "Acme <noreply@acme.test>"
 *       templates:
 *         welcome: { subject: "Welcome, {{name}}", html: emails/welcome.hbs, text: emails/welcome.txt }
 *
 * Template files are read when the app is compiled (a missing one is an error at its line) and
 * emitted into src/plugins/email.ts as text; their names type `ctx.email.send({template})`.
 * SendGrid and SES also take a template they keep, by its id or name (`welcome: d-abc123`).
 */
import { z } from "zod";
import { parseConfigString } from "../2-analyze/config-string.js";
import { envNumber, envText } from "../4-emit/env.js";
import { versionOf } from "../4-emit/project.js";
import { file, header, Imports, key, ts } from "../4-emit/writer.js";
import type { ContextMember, PluginAnalyzeContext, YamaPlugin } from "./types.js";

const templatePath = z.string().min(1).regex(/\.(hbs|handlebars|html|txt|text)$/, "must be a template file: .hbs, .handlebars, .html or .txt");
const templateName = z.string().regex(/^[A-Za-z][A-Za-z0-9_-]*$/, "must be a name such as welcome or password-reset");
/** A template of files, rendered by the app with Handlebars. */
const fileTemplate = z
  .strictObject({ subject: z.string().min(1), html: templatePath.optional(), text: templatePath.optional() })
  .refine((t) => t.html !== undefined || t.text !== undefined, { message: "give the body: `html:` and/or `text:` (template files)" });
const fileTemplates = z.record(templateName, fileTemplate).default({});
/** Templates of files, or a string: the id or name of a template the provider keeps. */
const keptTemplates = (kept: RegExp, message: string) => z.record(templateName, z.union([z.string().regex(kept, message), fileTemplate])).default({});

/** Text, or a `${VAR}` read at runtime. */
const text = z.string().min(1);
/** The options every provider shares: the sender, the reply address, the templates. */
const common = { from: text, replyTo: z.string().optional(), templates: fileTemplates };
/** A deadline in ms for one send (connecting, the provider's answer): a send never hangs a request. */
const timeout = z.number().int().min(100).max(120_000).default(10_000);

type Template = string | { subject: string; html?: string; text?: string };

/** Options as every provider's schema gives them, with the template files' text read at compile time (by analyze). */
interface SharedOptions {
  from: string;
  replyTo?: string;
  templates: Record<string, Template>;
  sources?: Record<string, { html?: string; text?: string }>;
}

/** A config string as an expression of type string. */
const expr = (value: string) => envText(parseConfigString(value));

interface Provider<O extends SharedOptions> {
  /** `smtp`: the plugin `@betagors/yama-email-smtp` (alias `email-smtp`), runtime-lib/email-smtp.ts, whose `smtpEmail` builds `email`. */
  id: string;
  /** Other names configs use. */
  aliases: string[];
  /** In messages and doc comments: "Resend", "SMTP". */
  label: string;
  options: z.ZodType<O>;
  /** Options written into the config that must come from the environment: [option path, what it is, suggested variable]. */
  secrets(opts: O): [path: string[], what: string, variable: string][];
  /** The provider's own lines of the options object (before from, replyTo, templates). */
  fields(opts: O): string[];
  dependencies: string[];
}

function emailPlugin<O extends SharedOptions>(provider: Provider<O>): YamaPlugin<O> {
  const factory = `${provider.id}Email`;
  return {
    name: `@betagors/yama-email-${provider.id}`,
    aliases: [`email-${provider.id}`, ...provider.aliases],
    provides: "email",
    options: provider.options,
    analyze(opts, ctx) {
      const at = (...rest: string[]) => ctx.parsed.locate([...ctx.path, ...rest]);
      for (const [path, what, variable] of provider.secrets(opts)) {
        ctx.diagnostics.error("secret-in-config", `the ${what} is written into the config`, at(...path), `read it from the environment: \`${path.at(-1)}: \${${variable}}\``);
      }
      opts.sources = readTemplates(opts.templates, ctx);
    },
    emit(opts, ir) {
      const imports = new Imports().add(`../lib/email-${provider.id}.js`, factory);
      const lines = [...provider.fields(opts), `from: ${expr(opts.from)},`];
      if (opts.replyTo !== undefined) lines.push(`replyTo: ${expr(opts.replyTo)},`);
      const entries = emitTemplates(opts);
      lines.push(`templates: {${entries.length ? `\n${entries.join("\n")}\n  ` : ""}},`);
      const body = `/** E-mail through ${provider.label}: \`ctx.email.send({to, subject, html})\`, or \`{to, template, data}\` with a template below. */
export const email = ${factory}({
${lines.map((l) => `  ${l}`).join("\n")}
});`;
      const context: ContextMember[] = ir.endpoints.length > 0
        ? [{ name: "email", imports: { "./plugins/email.js": ["email"] }, doc: `Sends e-mail through ${provider.label} (src/plugins/email.ts).`, type: "typeof email", value: "email" }]
        : [];
      return {
        files: [{ path: "src/plugins/email.ts", content: header("e-mail", ir.configFile) + file(imports.toString(), body) }],
        context,
        dependencies: Object.fromEntries(["handlebars", ...provider.dependencies].map((name) => [name, versionOf(name)])),
      };
    },
  };
}

/** The text of each template's files (a missing file is an error at its line). */
function readTemplates(templates: Record<string, Template>, ctx: PluginAnalyzeContext): NonNullable<SharedOptions["sources"]> {
  const sources: NonNullable<SharedOptions["sources"]> = {};
  for (const [name, t] of Object.entries(templates)) {
    if (typeof t === "string") continue;
    const read: { html?: string; text?: string } = {};
    for (const part of ["html", "text"] as const) {
      const path = t[part];
      if (path === undefined || !ctx.host) continue;
      const content = ctx.host.readFile(path);
      if (content === undefined) ctx.diagnostics.error("missing-file", `e-mail template ${name}: ${path} does not exist`, ctx.parsed.locate([...ctx.path, "templates", name, part]), "paths are relative to the folder of yama.yaml");
      else read[part] = content;
    }
    sources[name] = read;
  }
  return sources;
}

function emitTemplates(opts: SharedOptions): string[] {
  return Object.entries(opts.templates).map(([name, t]) => {
    if (typeof t === "string") return `    ${key(name)}: { id: ${ts(t)} },`;
    const read = opts.sources?.[name] ?? {};
    const parts = [`      subject: ${ts(t.subject)},`];
    if (t.html !== undefined) parts.push(`      /** ${t.html} */\n      html: ${ts(read.html ?? "")},`);
    if (t.text !== undefined) parts.push(`      /** ${t.text} */\n      text: ${ts(read.text ?? "")},`);
    return `    ${key(name)}: {\n${parts.join("\n")}\n    },`;
  });
}

const literal = (value: string | undefined) => value !== undefined && parseConfigString(value).kind === "literal";

/** The e-mail plugins whose library the workers target cannot run, with the reason (Resend and SES use fetch there). */
export const EMAIL_NODE_ONLY: Readonly<Record<string, string>> = {
  "@betagors/yama-email-smtp": "SMTP e-mail (nodemailer) needs Node's TCP sockets (node:net, node:tls), which the workers target does not have",
  "@betagors/yama-email-sendgrid": "SendGrid's client (@sendgrid/mail) imports node:fs, which the workers target does not have",
};

const resendOptions = z.strictObject({
  /** Resend's API key, from the environment: `${RESEND_API_KEY}`. */
  apiKey: text,
  timeout,
  ...common,
});

export const emailResendPlugin = emailPlugin<z.output<typeof resendOptions> & SharedOptions>({
  id: "resend",
  aliases: ["@betagors/yama-resend"],
  label: "Resend",
  options: resendOptions,
  secrets: (opts) => (literal(opts.apiKey) ? [[["apiKey"], "Resend API key", "RESEND_API_KEY"]] : []),
  fields: (opts) => [`apiKey: ${expr(opts.apiKey)},`, `timeoutMs: ${opts.timeout},`],
  dependencies: ["resend"],
});

const smtpOptions = z.strictObject({
  /** The SMTP server, e.g. `smtp.example.com` or `${SMTP_HOST}`. */
  host: text,
  /** Default 465 with `secure: true`, else 587; a number or `${SMTP_PORT}`. */
  port: z.union([z.number().int().min(1).max(65535), z.string().regex(/^\$\{[A-Za-z_][A-Za-z0-9_]*(:-\d+)?\}$/, "must be a port number, or ${VAR} read at runtime")]).optional(),
  /** TLS from the start (port 465); otherwise STARTTLS when the server offers it. */
  secure: z.boolean().default(false),
  /** Refuse a server that does not offer STARTTLS (with `secure: false`). */
  requireTLS: z.boolean().default(false),
  auth: z.strictObject({ user: text, pass: text }).optional(),
  timeout,
  ...common,
});

export const emailSmtpPlugin = emailPlugin<z.output<typeof smtpOptions> & SharedOptions>({
  id: "smtp",
  aliases: ["@betagors/yama-smtp"],
  label: "SMTP",
  options: smtpOptions,
  secrets: (opts) => (literal(opts.auth?.pass) ? [[["auth", "pass"], "SMTP password", "SMTP_PASSWORD"]] : []),
  fields: (opts) => [
    `host: ${expr(opts.host)},`,
    `port: ${opts.port === undefined ? (opts.secure ? 465 : 587) : envNumber(typeof opts.port === "number" ? opts.port : parseConfigString(opts.port), opts.secure ? 465 : 587)},`,
    `secure: ${opts.secure},`,
    ...(opts.requireTLS ? ["requireTLS: true,"] : []),
    ...(opts.auth ? [`auth: { user: ${expr(opts.auth.user)}, pass: ${expr(opts.auth.pass)} },`] : []),
    `timeoutMs: ${opts.timeout},`,
  ],
  dependencies: ["nodemailer"],
});

const sendgridOptions = z.strictObject({
  /** SendGrid's API key, from the environment: `${SENDGRID_API_KEY}`. */
  apiKey: text,
  timeout,
  ...common,
  /** `welcome: d-abc123` is one of SendGrid's dynamic templates; `{subject, html, text}` is a template of files. */
  templates: keptTemplates(/^d-[A-Za-z0-9]+$/, "must be a SendGrid dynamic template id (d-…), or {subject, html, text} with template files"),
});

export const emailSendgridPlugin = emailPlugin<z.output<typeof sendgridOptions> & SharedOptions>({
  id: "sendgrid",
  aliases: [],
  label: "SendGrid",
  options: sendgridOptions,
  secrets: (opts) => (literal(opts.apiKey) ? [[["apiKey"], "SendGrid API key", "SENDGRID_API_KEY"]] : []),
  fields: (opts) => [`apiKey: ${expr(opts.apiKey)},`, `timeoutMs: ${opts.timeout},`],
  dependencies: ["@sendgrid/client", "@sendgrid/mail"],
});

/** SES's credential options: what each one is, and the variable it is usually read from. */
const AWS_KEYS = [
  ["accessKeyId", "AWS access key id", "AWS_ACCESS_KEY_ID"],
  ["secretAccessKey", "AWS secret access key", "AWS_SECRET_ACCESS_KEY"],
  ["sessionToken", "AWS session token", "AWS_SESSION_TOKEN"],
] as const;

const sesOptions = z
  .strictObject({
    /** e.g. `us-east-1` or `${AWS_REGION}`; default: the SDK's (AWS_REGION). */
    region: text.optional(),
    /** From the environment; without them, the SDK's default credential chain (environment, shared files, the instance or function role). */
    accessKeyId: text.optional(),
    secretAccessKey: text.optional(),
    sessionToken: text.optional(),
    timeout,
    ...common,
    /** `welcome: Welcome` is one of SES's templates, by name; `{subject, html, text}` is a template of files. */
    templates: keptTemplates(/^[A-Za-z0-9_-]{1,64}$/, "must be the name of an SES template (letters, digits, _ and -), or {subject, html, text} with template files"),
  })
  .superRefine((o, ctx) => {
    if ((o.accessKeyId === undefined) === (o.secretAccessKey === undefined) && (o.sessionToken === undefined || o.accessKeyId !== undefined)) return;
    const given = o.accessKeyId !== undefined ? "accessKeyId" : o.secretAccessKey !== undefined ? "secretAccessKey" : "sessionToken";
    ctx.addIssue({ code: "custom", path: [given], message: "give accessKeyId and secretAccessKey together (sessionToken only with them), or none of them for the SDK's default credential chain" });
  });

export const emailSesPlugin = emailPlugin<z.output<typeof sesOptions> & SharedOptions>({
  id: "ses",
  aliases: [],
  label: "Amazon SES",
  options: sesOptions,
  secrets: (opts) => AWS_KEYS.filter(([k]) => literal(opts[k])).map(([k, what, variable]) => [[k], what, variable]),
  fields: (opts) => [
    ...(opts.region !== undefined ? [`region: ${expr(opts.region)},`] : []),
    ...(opts.accessKeyId !== undefined && opts.secretAccessKey !== undefined
      ? [`credentials: { accessKeyId: ${expr(opts.accessKeyId)}, secretAccessKey: ${expr(opts.secretAccessKey)}${opts.sessionToken !== undefined ? `, sessionToken: ${expr(opts.sessionToken)}` : ""} },`]
      : []),
    `timeoutMs: ${opts.timeout},`,
  ],
  dependencies: ["@aws-sdk/client-sesv2"],
});

/** The e-mail plugins: a config uses one of them. */
export const EMAIL_PLUGINS: readonly YamaPlugin<never>[] = [emailResendPlugin, emailSmtpPlugin, emailSendgridPlugin, emailSesPlugin] as YamaPlugin<never>[];
