/**
 * `ctx.email` through Amazon SES (the SES v2 API's SendEmail, @aws-sdk/client-sesv2). A template of
 * yama.yaml that is a name is one of SES's templates, sent with the message's data as its
 * TemplateData (SES renders it). Credentials are the configured keys, or else the SDK's default
 * chain (environment, shared files, the instance or function role). The client is created on the
 * first send, so an app without them starts, and a send then fails with a 503. SES_ENDPOINT points
 * it at another endpoint (a test double); each attempt is bounded by `timeoutMs`, and a failed one
 * is retried once (throttling, server errors).
 */
import { SendEmailCommand, type SendEmailCommandInput, SESv2Client } from "@aws-sdk/client-sesv2";
import { addresses, body, createEmail, type Email, type EmailOptions, type EmailTemplate, emailUnavailable, type OutgoingEmail, type ProviderTemplate } from "./email.js";

export interface SesOptions<T extends string> extends EmailOptions<T, EmailTemplate | ProviderTemplate> {
  /** Absent or empty: the SDK's (AWS_REGION). */
  region?: string;
  /** Absent: the SDK's default credential chain. */
  credentials?: { accessKeyId: string; secretAccessKey: string; sessionToken?: string };
  timeoutMs: number;
}

const utf8 = (data: string) => ({ Data: data, Charset: "UTF-8" });

/** The message as SendEmail takes it. */
function input(message: OutgoingEmail): SendEmailCommandInput {
  const { from, to, cc, bcc, replyTo, headers } = message;
  const Headers = headers !== undefined ? Object.entries(headers).map(([Name, Value]) => ({ Name, Value })) : undefined;
  const envelope = {
    FromEmailAddress: from,
    Destination: { ToAddresses: addresses(to), ...(cc !== undefined ? { CcAddresses: addresses(cc) } : {}), ...(bcc !== undefined ? { BccAddresses: addresses(bcc) } : {}) },
    ...(replyTo !== undefined ? { ReplyToAddresses: addresses(replyTo) } : {}),
  };
  if ("template" in message) return { ...envelope, Content: { Template: { TemplateName: message.template, TemplateData: JSON.stringify(message.data), ...(Headers ? { Headers } : {}) } } };
  const content = body(message);
  return {
    ...envelope,
    Content: {
      Simple: {
        Subject: utf8(message.subject),
        Body: { ...("html" in content ? { Html: utf8(content.html) } : {}), ...(content.text !== undefined ? { Text: utf8(content.text) } : {}) },
        ...(Headers ? { Headers } : {}),
      },
    },
  };
}

/** What went wrong: SES's error for a refused request, else whether it could be reached; missing settings are EMAIL_UNAVAILABLE. */
function failure(err: unknown): Error {
  const { name, message, $metadata } = err as { name?: string; message?: string; $metadata?: { httpStatusCode?: number } };
  // The default chain found none (Node), or there is none (the browser build Workers run).
  if (name === "CredentialsProviderError" || message === "Credential is missing") return emailUnavailable("no AWS credentials were found");
  if (message === "Region is missing") return emailUnavailable("the AWS region is not set");
  const status = $metadata?.httpStatusCode;
  if (status !== undefined) return new Error(`SES answered ${status}${name ? ` ${name}` : ""}${message ? `: ${message}` : ""}`);
  if (name === "TimeoutError" || (err as { code?: string }).code === "ETIMEDOUT") return new Error("SES did not answer in time");
  return new Error("SES could not be reached");
}

export function sesEmail<T extends string>(options: SesOptions<T>): Email<T> {
  let client: SESv2Client | undefined;
  const connect = (): SESv2Client => {
    const { credentials } = options;
    if (credentials && (!credentials.accessKeyId || !credentials.secretAccessKey)) throw emailUnavailable("the AWS access key id or secret access key is not set");
    const endpoint = process.env.SES_ENDPOINT;
    client ??= new SESv2Client({
      ...(options.region ? { region: options.region } : {}),
      ...(credentials ? { credentials: { accessKeyId: credentials.accessKeyId, secretAccessKey: credentials.secretAccessKey, ...(credentials.sessionToken ? { sessionToken: credentials.sessionToken } : {}) } } : {}),
      ...(endpoint ? { endpoint } : {}),
      maxAttempts: 2,
      requestHandler: { connectionTimeout: options.timeoutMs, requestTimeout: options.timeoutMs, throwOnRequestTimeout: true },
    });
    return client;
  };
  return createEmail(options, {
    async send(message) {
      const ses = connect();
      try {
        const sent = await ses.send(new SendEmailCommand(input(message)));
        return sent.MessageId ?? "";
      } catch (err) {
        throw failure(err);
      }
    },
  });
}
