/**
 * `ctx.email` through SendGrid's v3 API (@sendgrid/mail). A template of yama.yaml that is a
 * dynamic template id (`d-…`) is sent as `templateId` with the message's data as
 * `dynamicTemplateData`; SendGrid renders it. The package's client is configured on the first
 * send, so an app without its key starts, and a send then fails with a 503. SENDGRID_BASE_URL
 * points it at another API (a test double); each request is bounded by `timeoutMs`.
 */
import sendgridClient from "@sendgrid/client";
import sendgrid from "@sendgrid/mail";
import { addresses, body, createEmail, type Email, type EmailOptions, type EmailTemplate, emailUnavailable, type OutgoingEmail, type ProviderTemplate } from "./email.js";

export interface SendgridOptions<T extends string> extends EmailOptions<T, EmailTemplate | ProviderTemplate> {
  apiKey: string | undefined;
  timeoutMs: number;
}

type MailData = Exclude<Parameters<typeof sendgrid.send>[0], readonly unknown[]>;

/** `Name <a@b.test>` or `a@b.test` as SendGrid's address objects take it. */
function address(text: string): { name?: string; email: string } {
  const named = /^\s*"?([^"<]*?)"?\s*<([^>]+)>\s*$/.exec(text);
  return named ? { ...(named[1] ? { name: named[1] } : {}), email: named[2]! } : { email: text.trim() };
}

/** The message as @sendgrid/mail takes it. */
function mailData(message: OutgoingEmail): MailData {
  const { from, to, cc, bcc, replyTo, headers } = message;
  const replies = addresses(replyTo);
  const envelope = {
    from,
    to: addresses(to),
    ...(cc !== undefined ? { cc: addresses(cc) } : {}),
    ...(bcc !== undefined ? { bcc: addresses(bcc) } : {}),
    // SendGrid's reply_to takes one address; several go in reply_to_list.
    ...(replies.length === 1 ? { replyTo: replies[0] } : replies.length > 1 ? { replyToList: replies.map(address) } : {}),
    ...(headers !== undefined ? { headers } : {}),
  };
  if ("template" in message) return { ...envelope, templateId: message.template, dynamicTemplateData: message.data, ...(message.subject !== undefined ? { subject: message.subject } : {}) };
  return { ...envelope, subject: message.subject, ...body(message) };
}

/** What went wrong: SendGrid's own messages for a refused request, else whether it could be reached. */
function reason(err: unknown): string {
  const { code, response } = err as { code?: number | string; response?: { body?: unknown } };
  if (typeof code === "number") {
    const errors = (response?.body as { errors?: { message?: string }[] } | undefined)?.errors ?? [];
    const said = errors.map((e) => e.message).filter((m): m is string => typeof m === "string" && m !== "");
    return `SendGrid answered ${code}${said.length ? `: ${said.join("; ")}` : ""}`;
  }
  if (code === "ECONNABORTED" || code === "ETIMEDOUT") return "SendGrid did not answer in time";
  return "SendGrid could not be reached";
}

export function sendgridEmail<T extends string>(options: SendgridOptions<T>): Email<T> {
  let configured = false;
  const connect = (): typeof sendgrid => {
    if (!options.apiKey) throw emailUnavailable("the SendGrid API key is not set");
    if (!configured) {
      sendgridClient.setApiKey(options.apiKey);
      // After setApiKey, which sets the base URL of the account's region.
      const baseUrl = process.env.SENDGRID_BASE_URL;
      if (baseUrl) sendgridClient.setDefaultRequest("baseUrl", baseUrl);
      sendgrid.setClient(sendgridClient);
      sendgrid.setTimeout(options.timeoutMs);
      configured = true;
    }
    return sendgrid;
  };
  return createEmail(options, {
    async send(message) {
      const mail = connect();
      try {
        const [response] = await mail.send(mailData(message));
        const id: unknown = (response.headers as Record<string, unknown> | undefined)?.["x-message-id"];
        return typeof id === "string" ? id : "";
      } catch (err) {
        throw new Error(reason(err));
      }
    },
  });
}
