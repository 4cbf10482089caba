/**
 * `ctx.email` through Resend's API. The client is created on the first send, so an app without
 * RESEND_API_KEY starts, and a send then fails with a 503. RESEND_BASE_URL (read by the SDK)
 * points it at another API. Each request is aborted after `timeoutMs`.
 */
import { type CreateEmailOptions, Resend } from "resend";
import { body, createEmail, type Email, type EmailOptions, emailUnavailable, type OutgoingEmail } from "./email.js";

export interface ResendOptions<T extends string> extends EmailOptions<T> {
  apiKey: string | undefined;
  timeoutMs: number;
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
  /** A request of the SDK with a deadline: it answers `{data, error}` (an aborted one is an error too). */
  const request = async <R extends { data: unknown; error: { message?: string } | null }>(send: (client: Resend, signal: AbortSignal) => Promise<R>): Promise<NonNullable<R["data"]>> => {
    const signal = AbortSignal.timeout(options.timeoutMs);
    const { data, error } = await send(resend(), signal);
    if (signal.aborted) throw new Error("Resend did not answer in time");
    if (error || !data) throw new Error(error?.message ?? "unknown error");
    return data as NonNullable<R["data"]>;
  };
  return createEmail(options, {
    send: async (message) => (await request((client, signal) => client.emails.send(payload(message), { signal }))).id,
    sendBatch: async (messages) => (await request((client, signal) => client.batch.send(messages.map(payload), { signal }))).data.map((d) => d.id),
  });
}
