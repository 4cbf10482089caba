/**
 * `ctx.email` through Resend's API. The client is created on the first send, so an app without
 * RESEND_API_KEY starts, and a send then fails with a 503. RESEND_BASE_URL (read by the SDK)
 * points it at another API.
 */
import { type CreateEmailOptions, Resend } from "resend";
import { body, createEmail, type Email, type EmailOptions, emailUnavailable, type OutgoingEmail } from "./email.js";

export interface ResendOptions<T extends string> extends EmailOptions<T> {
  apiKey: string | undefined;
}

/** The message as Resend's API takes it. */
function payload(message: OutgoingEmail): CreateEmailOptions {
  if ("template" in message) throw new Error("Resend sends the templates of yama.yaml only");
  const { from, to, subject, cc, bcc, replyTo, headers } = message;
  const base = {
    from,
    to,
    subject,
    ...(cc !== undefined ? { cc } : {}),
    ...(bcc !== undefined ? { bcc } : {}),
    ...(replyTo !== undefined ? { replyTo } : {}),
    ...(headers !== undefined ? { headers } : {}),
  };
  return { ...base, ...body(message) };
}

export function resendEmail<T extends string>(options: ResendOptions<T>): Email<T> {
  let client: Resend | undefined;
  const resend = (): Resend => {
    if (!options.apiKey) throw emailUnavailable("RESEND_API_KEY is not set");
    client ??= new Resend(options.apiKey);
    return client;
  };
  return createEmail(options, {
    async send(message) {
      const { data, error } = await resend().emails.send(payload(message));
      if (error || !data) throw new Error(error?.message ?? "unknown error");
      return data.id;
    },
    async sendBatch(messages) {
      const { data, error } = await resend().batch.send(messages.map(payload));
      if (error || !data) throw new Error(error?.message ?? "unknown error");
      return data.data.map((d) => d.id);
    },
  });
}
