/**
 * `ctx.email`, the same for every provider: `send` takes a message written out (subject, html
 * and/or text) or one of the templates yama.yaml declares, rendered with Handlebars (HTML escaped
 * in `html`, plain in `subject` and `text`), or sent by name when the provider keeps it (a
 * SendGrid dynamic template, an SES template). A provider is a transport (email-resend.ts,
 * email-smtp.ts, email-sendgrid.ts, email-ses.ts) that sends one message as its API takes it.
 * A provider without its key or host throws EMAIL_UNAVAILABLE; a send it refuses or cannot make
 * becomes EMAIL_FAILED: both are 503s in the error envelope.
 */
import Handlebars from "handlebars";
import { ApiError, ServiceUnavailableError } from "./errors.js";

export type Recipients = string | string[];

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
  /** The same as `data` (the name SendGrid gives it); `data` wins where both are given. */
  templateData?: Record<string, unknown>;
  /** Overrides the template's subject. */
  subject?: string;
}

/** A template's sources: Handlebars text. */
export interface EmailTemplate {
  subject: string;
  html?: string;
  text?: string;
}

/** A template the provider keeps, by its id (a SendGrid dynamic template id, an SES template name). */
export interface ProviderTemplate {
  id: string;
}

export interface Email<T extends string> {
  /** Sends one message; resolves to the provider's id for it. */
  send(message: EmailMessage | TemplateMessage<T>): Promise<{ id: string }>;
  /** Sends several messages (in one request where the provider has a batch API, else one after another). */
  sendBatch(messages: readonly (EmailMessage | TemplateMessage<T>)[]): Promise<{ ids: string[] }>;
}

/** The options every provider shares. */
export interface EmailOptions<T extends string, Template = EmailTemplate> {
  from: string;
  replyTo?: string;
  templates: Readonly<Record<T, Template>>;
}

interface Envelope {
  from: string;
  to: Recipients;
  cc?: Recipients;
  bcc?: Recipients;
  replyTo?: Recipients;
  headers?: Record<string, string>;
}

/** A message as a transport sends it: the sender and reply address resolved, the content rendered... */
export interface RenderedEmail extends Envelope {
  subject: string;
  html?: string;
  text?: string;
}

/** ...or a template the provider keeps, named with its data (the provider renders subject and body). */
export interface ProviderTemplateEmail extends Envelope {
  template: string;
  data: Record<string, unknown>;
  /** The message's own subject, where it gives one. */
  subject?: string;
}

export type OutgoingEmail = RenderedEmail | ProviderTemplateEmail;

/** A provider: sends what `createEmail` prepared. Errors other than ApiErrors become EMAIL_FAILED with their message. */
export interface EmailTransport {
  /** Sends one message; resolves to the provider's id for it. */
  send(message: OutgoingEmail): Promise<string>;
  /** Sends several in one request, for providers with a batch API. */
  sendBatch?(messages: readonly OutgoingEmail[]): Promise<string[]>;
}

/** 503 EMAIL_UNAVAILABLE: the provider is not configured (a key or host missing from the environment). */
export function emailUnavailable(reason: string): ServiceUnavailableError {
  return new ServiceUnavailableError(`E-mail is not configured: ${reason}`, "EMAIL_UNAVAILABLE");
}

function emailFailed(err: unknown, note = ""): ApiError {
  if (err instanceof ApiError) return err;
  const reason = err instanceof Error && err.message ? err.message : "unknown error";
  return new ServiceUnavailableError(`E-mail could not be sent: ${reason}${note}`, "EMAIL_FAILED");
}

/** The recipients as a list. */
export const addresses = (recipients: Recipients | undefined): string[] => (recipients === undefined ? [] : typeof recipients === "string" ? [recipients] : recipients);

/** The body of a message as providers take it: the html (with its text, if any), else the text, empty if there is none. */
export const body = (message: RenderedEmail): { html: string; text?: string } | { text: string } =>
  message.html !== undefined ? { html: message.html, ...(message.text !== undefined ? { text: message.text } : {}) } : { text: message.text ?? "" };

const isProviderTemplate = (template: EmailTemplate | ProviderTemplate): template is ProviderTemplate => "id" in template;

/** `ctx.email` over a transport: messages rendered from yama.yaml's templates, errors as 503s. */
export function createEmail<T extends string, Template extends EmailTemplate | ProviderTemplate>(options: EmailOptions<T, Template>, transport: EmailTransport): Email<T> {
  const compiled = new Map<string, HandlebarsTemplateDelegate>();
  const compile = (key: string, source: string, escape: boolean) => {
    let template = compiled.get(key);
    if (template === undefined) {
      template = Handlebars.compile(source, { noEscape: !escape, strict: false });
      compiled.set(key, template);
    }
    return template;
  };
  const prepare = (message: EmailMessage | TemplateMessage<T>): OutgoingEmail => {
    const { to, from, cc, bcc, replyTo, headers } = message;
    const reply = replyTo ?? options.replyTo;
    const envelope: Envelope = {
      from: from ?? options.from,
      to,
      ...(cc !== undefined ? { cc } : {}),
      ...(bcc !== undefined ? { bcc } : {}),
      ...(reply !== undefined ? { replyTo: reply } : {}),
      ...(headers !== undefined ? { headers } : {}),
    };
    if (!("template" in message)) return { ...envelope, subject: message.subject, html: message.html, text: message.text };
    const name = message.template;
    const t: EmailTemplate | ProviderTemplate | undefined = options.templates[name];
    if (t === undefined) throw new Error(`no e-mail template named ${String(name)}`);
    const data = message.data ?? message.templateData ?? {};
    const subject = message.subject !== undefined ? { subject: message.subject } : {};
    if (isProviderTemplate(t)) return { ...envelope, template: t.id, data, ...subject };
    return {
      ...envelope,
      subject: compile(`${name}:subject`, t.subject, false)(data),
      ...(t.html !== undefined ? { html: compile(`${name}:html`, t.html, true)(data) } : {}),
      ...(t.text !== undefined ? { text: compile(`${name}:text`, t.text, false)(data) } : {}),
      ...subject,
    };
  };
  return {
    async send(message) {
      const outgoing = prepare(message);
      try {
        return { id: await transport.send(outgoing) };
      } catch (err) {
        throw emailFailed(err);
      }
    },
    async sendBatch(messages) {
      if (messages.length === 0) return { ids: [] };
      const outgoing = messages.map(prepare);
      if (transport.sendBatch) {
        try {
          return { ids: await transport.sendBatch(outgoing) };
        } catch (err) {
          throw emailFailed(err);
        }
      }
      const ids: string[] = [];
      for (const m of outgoing) {
        try {
          ids.push(await transport.send(m));
        } catch (err) {
          throw emailFailed(err, ids.length ? ` (message ${ids.length + 1} of ${outgoing.length}; the ${ids.length} before it were sent)` : "");
        }
      }
      return { ids };
    },
  };
}
