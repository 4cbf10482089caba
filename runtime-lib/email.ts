/**
 * E-mail through Resend, as `ctx.email` in handlers: `send` takes a message written out (subject,
 * html and/or text) or one of the templates yama.yaml declares, rendered with Handlebars (HTML
 * escaped in `html`, plain in `subject` and `text`). The Resend client is created on the first
 * send, so an app without RESEND_API_KEY starts, and a send then fails with a 503.
 */
import Handlebars from "handlebars";
import { type CreateEmailOptions, Resend } from "resend";
import { ServiceUnavailableError } from "./errors.js";

type Recipients = string | string[];

/** A message written out. */
export interface EmailMessage {
  to: Recipients;
  subject: string;
  html?: string;
  text?: string;
  /** Default: the `from` of yama.yaml. */
  from?: string;
  cc?: Recipients;
  bcc?: Recipients;
  replyTo?: Recipients;
  headers?: Record<string, string>;
}

/** A message from a template of yama.yaml, rendered with `data`. */
export interface TemplateMessage<T extends string> extends Omit<EmailMessage, "subject" | "html" | "text"> {
  template: T;
  data?: Record<string, unknown>;
  /** Overrides the template's subject. */
  subject?: string;
}

/** A template's sources: Handlebars text. */
export interface EmailTemplate {
  subject: string;
  html?: string;
  text?: string;
}

export interface Email<T extends string> {
  /** Sends one message; resolves to Resend's id for it. */
  send(message: EmailMessage | TemplateMessage<T>): Promise<{ id: string }>;
  /** Sends up to 100 messages in one request. */
  sendBatch(messages: readonly (EmailMessage | TemplateMessage<T>)[]): Promise<{ ids: string[] }>;
}

export interface EmailOptions<T extends string> {
  apiKey: string | undefined;
  from: string;
  replyTo?: string;
  templates: Readonly<Record<T, EmailTemplate>>;
}

type Rendered = { subject: string; html?: string; text?: string };

/** The message as Resend's API takes it, rendered from its template where it names one. */
function payload<T extends string>(message: EmailMessage | TemplateMessage<T>, options: EmailOptions<T>, render: (name: T, data: Record<string, unknown>) => Rendered): CreateEmailOptions {
  const { to, from, cc, bcc, replyTo, headers } = message;
  const content: Rendered = "template" in message ? { ...render(message.template, message.data ?? {}), ...(message.subject !== undefined ? { subject: message.subject } : {}) } : { subject: message.subject, html: message.html, text: message.text };
  const reply = replyTo ?? options.replyTo;
  const base = {
    from: from ?? options.from,
    to,
    subject: content.subject,
    ...(cc !== undefined ? { cc } : {}),
    ...(bcc !== undefined ? { bcc } : {}),
    ...(reply !== undefined ? { replyTo: reply } : {}),
    ...(headers !== undefined ? { headers } : {}),
  };
  // Resend needs a body: html (with its text, if any), else the text, empty if there is none.
  if (content.html !== undefined) return { ...base, html: content.html, ...(content.text !== undefined ? { text: content.text } : {}) };
  return { ...base, text: content.text ?? "" };
}

export function resendEmail<T extends string>(options: EmailOptions<T>): Email<T> {
  let client: Resend | undefined;
  const resend = (): Resend => {
    if (!options.apiKey) throw new ServiceUnavailableError("E-mail is not configured: RESEND_API_KEY is not set", "EMAIL_UNAVAILABLE");
    client ??= new Resend(options.apiKey);
    return client;
  };
  const compiled = new Map<string, HandlebarsTemplateDelegate>();
  const compile = (key: string, source: string, escape: boolean) => {
    let template = compiled.get(key);
    if (template === undefined) {
      template = Handlebars.compile(source, { noEscape: !escape, strict: false });
      compiled.set(key, template);
    }
    return template;
  };
  const render = (name: T, data: Record<string, unknown>): Rendered => {
    const t = options.templates[name];
    if (t === undefined) throw new Error(`no e-mail template named ${String(name)}`);
    return {
      subject: compile(`${name}:subject`, t.subject, false)(data),
      ...(t.html !== undefined ? { html: compile(`${name}:html`, t.html, true)(data) } : {}),
      ...(t.text !== undefined ? { text: compile(`${name}:text`, t.text, false)(data) } : {}),
    };
  };
  const failed = (error: { message?: string }) => new ServiceUnavailableError(`E-mail could not be sent: ${error.message ?? "unknown error"}`, "EMAIL_FAILED");
  return {
    async send(message) {
      const { data, error } = await resend().emails.send(payload(message, options, render));
      if (error || !data) throw failed(error ?? {});
      return { id: data.id };
    },
    async sendBatch(messages) {
      if (messages.length === 0) return { ids: [] };
      const { data, error } = await resend().batch.send(messages.map((m) => payload(m, options, render)));
      if (error || !data) throw failed(error ?? {});
      return { ids: data.data.map((d) => d.id) };
    },
  };
}
