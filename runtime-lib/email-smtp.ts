/**
 * `ctx.email` over SMTP, with nodemailer: one connection per message (nothing stays open when the
 * app stops). With `secure: false` the connection is upgraded with STARTTLS when the server offers
 * it (`requireTLS: true` refuses a server that does not); `secure: true` is TLS from the start
 * (port 465). Connecting, the server's greeting and every answer are bounded by `timeoutMs`.
 */
import nodemailer, { type Transporter } from "nodemailer";
import { addresses, body, createEmail, type Email, type EmailOptions, emailUnavailable, type OutgoingEmail } from "./email.js";

export interface SmtpOptions<T extends string> extends EmailOptions<T> {
  host: string;
  port: number;
  secure: boolean;
  requireTLS?: boolean;
  auth?: { user: string; pass: string };
  timeoutMs: number;
}

/** What went wrong, in words an API client may read (no addresses of the network). */
function reason(err: unknown): string {
  const { code, response } = err as { code?: string; response?: string };
  switch (code) {
    case "EAUTH":
      return "the SMTP server refused the credentials";
    case "ETIMEDOUT":
      return "the SMTP server did not answer in time";
    case "ECONNECTION":
    case "ESOCKET":
    case "EDNS":
      return "the SMTP server could not be reached";
    case "ETLS":
      return "the TLS connection to the SMTP server failed";
    case "EENVELOPE":
    case "EMESSAGE":
      return response ? `the SMTP server refused the message: ${response}` : "the SMTP server refused the message";
    default:
      return err instanceof Error ? err.message : "unknown error";
  }
}

export function smtpEmail<T extends string>(options: SmtpOptions<T>): Email<T> {
  let transporter: Transporter | undefined;
  const connect = (): Transporter => {
    if (!options.host) throw emailUnavailable("the SMTP host is not set");
    if (options.auth && (!options.auth.user || !options.auth.pass)) throw emailUnavailable("the SMTP user or password is not set");
    transporter ??= nodemailer.createTransport({
      host: options.host,
      port: options.port,
      secure: options.secure,
      ...(options.requireTLS ? { requireTLS: true } : {}),
      ...(options.auth ? { auth: { user: options.auth.user, pass: options.auth.pass } } : {}),
      connectionTimeout: options.timeoutMs,
      greetingTimeout: options.timeoutMs,
      socketTimeout: options.timeoutMs,
      dnsTimeout: options.timeoutMs,
    });
    return transporter;
  };
  const send = async (message: OutgoingEmail): Promise<string> => {
    if ("template" in message) throw new Error("SMTP sends the templates of yama.yaml only");
    const mailer = connect();
    try {
      const info = await mailer.sendMail({
        from: message.from,
        to: addresses(message.to),
        ...(message.cc !== undefined ? { cc: addresses(message.cc) } : {}),
        ...(message.bcc !== undefined ? { bcc: addresses(message.bcc) } : {}),
        ...(message.replyTo !== undefined ? { replyTo: addresses(message.replyTo) } : {}),
        ...(message.headers !== undefined ? { headers: message.headers } : {}),
        subject: message.subject,
        ...body(message),
      });
      return info.messageId;
    } catch (err) {
      throw new Error(reason(err));
    }
  };
  return createEmail(options, { send });
}
