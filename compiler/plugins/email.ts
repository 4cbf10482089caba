/**
 * E-mail through Resend (`@betagors/yama-email-resend`), as `ctx.email` in handlers:
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
 */
import { z } from "zod";
import { parseConfigString } from "../2-analyze/config-string.js";
import { envText } from "../4-emit/env.js";
import { file, header, Imports, key, ts } from "../4-emit/writer.js";
import type { ContextMember, YamaPlugin } from "./types.js";

const templatePath = z.string().min(1).regex(/\.(hbs|handlebars|html|txt|text)$/, "must be a template file: .hbs, .handlebars, .html or .txt");

const options = z.strictObject({
  /** Resend's API key, from the environment: `${RESEND_API_KEY}`. */
  apiKey: z.string().min(1),
  /** The sender of every message that names none, e.g. `"Acme <noreply@acme.test>"`. */
  from: z.string().min(1),
  replyTo: z.string().optional(),
  templates: z
    .record(
      z.string().regex(/^[A-Za-z][A-Za-z0-9_-]*$/, "must be a name such as welcome or password-reset"),
      z.strictObject({ subject: z.string().min(1), html: templatePath.optional(), text: templatePath.optional() }).refine((t) => t.html !== undefined || t.text !== undefined, { message: "give the body: `html:` and/or `text:` (template files)" }),
    )
    .default({}),
});

/** The options, with the template files' text read at compile time (by analyze). */
export type EmailOptions = z.output<typeof options> & { sources?: Record<string, { html?: string; text?: string }> };

export const EMAIL_PLUGIN = "@betagors/yama-email-resend";

export const emailPlugin: YamaPlugin<EmailOptions> = {
  name: EMAIL_PLUGIN,
  aliases: ["email-resend", "@betagors/yama-resend"],
  options,
  analyze(opts, ctx) {
    const at = (...rest: string[]) => ctx.parsed.locate([...ctx.path, ...rest]);
    if (parseConfigString(opts.apiKey).kind === "literal") {
      ctx.diagnostics.error("secret-in-config", "the Resend API key is written into the config", at("apiKey"), "read it from the environment: `apiKey: ${RESEND_API_KEY}`");
    }
    const sources: NonNullable<EmailOptions["sources"]> = {};
    for (const [name, t] of Object.entries(opts.templates)) {
      const read: { html?: string; text?: string } = {};
      for (const part of ["html", "text"] as const) {
        const path = t[part];
        if (path === undefined || !ctx.host) continue;
        const text = ctx.host.readFile(path);
        if (text === undefined) ctx.diagnostics.error("missing-file", `e-mail template ${name}: ${path} does not exist`, at("templates", name, part), "paths are relative to the folder of yama.yaml");
        else read[part] = text;
      }
      sources[name] = read;
    }
    opts.sources = sources;
  },
  emit(opts, ir) {
    const imports = new Imports().add("../lib/email.js", "resendEmail");
    const templates = Object.entries(opts.templates).map(([name, t]) => {
      const read = opts.sources?.[name] ?? {};
      const parts = [`      subject: ${ts(t.subject)},`];
      if (t.html !== undefined) parts.push(`      /** ${t.html} */\n      html: ${ts(read.html ?? "")},`);
      if (t.text !== undefined) parts.push(`      /** ${t.text} */\n      text: ${ts(read.text ?? "")},`);
      return `    ${key(name)}: {\n${parts.join("\n")}\n    },`;
    });
    const body = `/** E-mail through Resend: \`ctx.email.send({to, subject, html})\`, or \`{to, template, data}\` with a template below. */
export const email = resendEmail({
  apiKey: ${envText(parseConfigString(opts.apiKey))},
  from: ${envText(parseConfigString(opts.from))},${opts.replyTo !== undefined ? `\n  replyTo: ${envText(parseConfigString(opts.replyTo))},` : ""}
  templates: {${templates.length ? `\n${templates.join("\n")}\n  ` : ""}},
});`;
    const context: ContextMember[] = ir.endpoints.length > 0
      ? [{ name: "email", imports: { "./plugins/email.js": ["email"] }, doc: "Sends e-mail through Resend (src/plugins/email.ts).", type: "typeof email", value: "email" }]
      : [];
    return {
      files: [{ path: "src/plugins/email.ts", content: header("e-mail", ir.configFile) + file(imports.toString(), body) }],
      context,
      dependencies: { resend: "^6.38.0", handlebars: "^4.7.10" },
    };
  },
};
