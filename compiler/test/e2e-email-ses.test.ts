/**
 * `ctx.email` through Amazon SES (`@betagors/yama-email-ses`, @aws-sdk/client-sesv2), against a
 * fake SES v2 endpoint on 127.0.0.1 (SES_ENDPOINT): the signed SendEmail request for a template of
 * files (rendered by the app), for an SES template (by name, with its data), for a message written
 * out and a batch, and 503s in the error envelope for a rejected message, missing keys and an
 * endpoint that does not answer in time.
 */
import { describe, expect, it } from "vitest";
import { expectNote503, expectTyped, FakeApi, RECEIPT, serveMailer, WELCOME } from "./email-lib.js";
import { call } from "./harness.js";

const PLUGIN = `  "@betagors/yama-email-ses":
    region: us-east-1
    accessKeyId: \${AWS_ACCESS_KEY_ID}
    secretAccessKey: \${AWS_SECRET_ACCESS_KEY}
    from: "Acme <noreply@acme.test>"
    timeout: 2500
    templates:
${WELCOME}
      receipt: Receipt-v2`;

type Mode = "ok" | "reject" | "hang";

describe("ctx.email through Amazon SES", () => {
  let mode: Mode = "ok";
  /** A fake SES v2 endpoint: SendEmail answers a MessageId, or the failure the test asks for. */
  const ses = new FakeApi((_, res) => {
    if (mode === "hang") return setTimeout(() => res.end(), 10_000).unref();
    if (mode === "ok") {
      res.writeHead(200, { "content-type": "application/json" });
      return res.end(JSON.stringify({ MessageId: `ses-${ses.received.length}` }));
    }
    res.writeHead(400, { "content-type": "application/json", "x-amzn-errortype": "MessageRejected" });
    res.end(JSON.stringify({ message: "Email address is not verified. The following identities failed the check in region US-EAST-1: noreply@acme.test" }));
  });
  const keys = { AWS_ACCESS_KEY_ID: "AKIDTEST", AWS_SECRET_ACCESS_KEY: "test-secret" };
  const mailer = serveMailer("email-ses", PLUGIN, () => ({ keyed: { ...keys, SES_ENDPOINT: ses.base }, keyless: { ...keys, AWS_SECRET_ACCESS_KEY: "", SES_ENDPOINT: ses.base } }), { start: () => ses.start(), stop: () => ses.stop(), more: RECEIPT });
  const last = () => ses.received.at(-1)!;
  const envelope = { FromEmailAddress: "Acme <noreply@acme.test>" };

  it("sends a signed SendEmail with a template of files rendered by the app: HTML escaped, subject and text as written", async () => {
    const res = await call(mailer.servers.keyed.base, "POST", "/welcome", { to: "ann@example.com", name: "Ann <b>&" });
    expect(res.status, res.text).toBe(201);
    expect(res.body).toEqual({ id: "ses-1" });
    expect(last()).toMatchObject({ method: "POST", path: "/v2/email/outbound-emails" });
    expect(last().headers.authorization).toMatch(/^AWS4-HMAC-SHA256 Credential=AKIDTEST\/\d{8}\/us-east-1\/ses\/aws4_request, SignedHeaders=.+, Signature=[0-9a-f]{64}$/);
    expect(last().body).toEqual({
      ...envelope,
      Destination: { ToAddresses: ["ann@example.com"] },
      Content: {
        Simple: {
          Subject: { Data: "Welcome, Ann <b>&!", Charset: "UTF-8" },
          Body: { Html: { Data: "<p>Hello Ann &lt;b&gt;&amp;, welcome to Acme.</p>\n", Charset: "UTF-8" }, Text: { Data: "Hello Ann <b>&, welcome to Acme.\n", Charset: "UTF-8" } },
        },
      },
    });
  });

  it("sends an SES template by name, with the message's data as its TemplateData", async () => {
    const res = await call(mailer.servers.keyed.base, "POST", "/receipt", { to: "bo@example.com", total: "<12 €>" });
    expect(res.status, res.text).toBe(201);
    expect(last().body).toEqual({ ...envelope, Destination: { ToAddresses: ["bo@example.com"] }, Content: { Template: { TemplateName: "Receipt-v2", TemplateData: JSON.stringify({ total: "<12 €>" }) } } });
  });

  it("types ctx.email: the project passes tsc --strict, and a template name yama.yaml does not declare does not", () => expectTyped(mailer.dir), 60_000);

  it("sends a message written out, and a batch one request per message", async () => {
    const note = await call(mailer.servers.keyed.base, "POST", "/note", { to: "bo@example.com" });
    expect(note.status, note.text).toBe(201);
    expect(last().body).toMatchObject({ ReplyToAddresses: ["help@acme.test"], Content: { Simple: { Subject: { Data: "A note" }, Body: { Text: { Data: "plain words" } } } } });
    const before = ses.received.length;
    const batch = await call(mailer.servers.keyed.base, "POST", "/batch", { to: "cy@example.com" });
    expect(batch.status, batch.text).toBe(201);
    expect(batch.body).toEqual({ ids: [`ses-${before + 1}`, `ses-${before + 2}`] });
    const [first, second] = ses.received.slice(before).map((r) => r.body);
    expect(first).toMatchObject({ Destination: { ToAddresses: ["cy@example.com"], CcAddresses: ["cc@example.com"] }, Content: { Simple: { Subject: { Data: "First" }, Body: { Html: { Data: "<p>one</p>" } } } } });
    expect(second).toMatchObject({ Destination: { ToAddresses: ["cy@example.com"], BccAddresses: ["bcc@example.com"] }, Content: { Simple: { Subject: { Data: "Second" } } } });
  });

  it("a rejected message, missing keys and a silent endpoint are 503s in the error envelope", async () => {
    const app = mailer.servers.keyed.base;
    try {
      mode = "reject";
      await expectNote503(app, "EMAIL_FAILED", "E-mail could not be sent: SES answered 400 MessageRejected: Email address is not verified. The following identities failed the check in region US-EAST-1: noreply@acme.test");
      mode = "hang";
      // Two attempts of 2.5 s each (the SDK retries a timeout once); a busy machine may not sign the first request within 1 s.
      expect(await expectNote503(app, "EMAIL_FAILED", "E-mail could not be sent: SES did not answer in time")).toBeLessThan(8_000);
    } finally {
      mode = "ok";
    }
    const before = ses.received.length;
    await expectNote503(mailer.servers.keyless.base, "EMAIL_UNAVAILABLE", "E-mail is not configured: the AWS access key id or secret access key is not set");
    expect(ses.received.length).toBe(before);
  }, 30_000);
});
