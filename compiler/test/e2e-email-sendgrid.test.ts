/**
 * `ctx.email` through SendGrid (`@betagors/yama-email-sendgrid`, @sendgrid/mail), against a fake
 * SendGrid v3 API on 127.0.0.1 (SENDGRID_BASE_URL): the request body for a template of files
 * (rendered by the app), for a dynamic template (`templateId` and its data, rendered by
 * SendGrid), for a message written out and a batch, and 503s in the error envelope for a refused
 * request, a server error, a missing key and an API that does not answer in time.
 */
import { describe, expect, it } from "vitest";
import { expectNote503, expectTyped, FakeApi, RECEIPT, serveMailer, WELCOME } from "./email-lib.js";
import { call } from "./harness.js";

const PLUGIN = `  "@betagors/yama-email-sendgrid":
    apiKey: \${SENDGRID_API_KEY}
    from: "Acme <noreply@acme.test>"
    timeout: 2500
    templates:
${WELCOME}
      receipt: d-abc123`;

type Mode = "ok" | "refuse" | "fail" | "hang";

describe("ctx.email through SendGrid", () => {
  let mode: Mode = "ok";
  /** A fake SendGrid API: POST /v3/mail/send answers 202 with X-Message-Id, or the failure the test asks for. */
  const sendgrid = new FakeApi((_, res) => {
    if (mode === "hang") return setTimeout(() => res.end(), 8_000).unref();
    if (mode === "ok") {
      res.writeHead(202, { "x-message-id": `sg-${sendgrid.received.length}` });
      return res.end();
    }
    res.writeHead(mode === "refuse" ? 400 : 500, { "content-type": "application/json" });
    res.end(JSON.stringify(mode === "refuse" ? { errors: [{ message: "The from address does not match a verified Sender Identity.", field: "from" }] } : { errors: [{ message: "internal error" }] }));
  });
  const mailer = serveMailer("email-sendgrid", PLUGIN, () => ({ keyed: { SENDGRID_API_KEY: "SG.test-key", SENDGRID_BASE_URL: sendgrid.base }, keyless: { SENDGRID_API_KEY: "", SENDGRID_BASE_URL: sendgrid.base } }), { start: () => sendgrid.start(), stop: () => sendgrid.stop(), more: RECEIPT });
  const last = () => sendgrid.received.at(-1)!;

  it("sends a template of files rendered by the app: HTML escaped, subject and text as written", async () => {
    const res = await call(mailer.servers.keyed.base, "POST", "/welcome", { to: "ann@example.com", name: "Ann <b>&" });
    expect(res.status, res.text).toBe(201);
    expect(res.body).toEqual({ id: "sg-1" });
    expect(last()).toMatchObject({ method: "POST", path: "/v3/mail/send", headers: { authorization: "Bearer SG.test-key" } });
    expect(last().body).toEqual({
      from: { name: "Acme", email: "noreply@acme.test" },
      subject: "Welcome, Ann <b>&!",
      personalizations: [{ to: [{ email: "ann@example.com" }] }],
      content: [
        { type: "text/plain", value: "Hello Ann <b>&, welcome to Acme.\n" },
        { type: "text/html", value: "<p>Hello Ann &lt;b&gt;&amp;, welcome to Acme.</p>\n" },
      ],
    });
  });

  it("sends a dynamic template by its id, with the message's data for SendGrid to render", async () => {
    const res = await call(mailer.servers.keyed.base, "POST", "/receipt", { to: "bo@example.com", total: "<12 €>" });
    expect(res.status, res.text).toBe(201);
    expect(last().body).toEqual({
      from: { name: "Acme", email: "noreply@acme.test" },
      template_id: "d-abc123",
      personalizations: [{ to: [{ email: "bo@example.com" }], dynamic_template_data: { total: "<12 €>" } }],
    });
  });

  it("types ctx.email: the project passes tsc --strict, and a template name yama.yaml does not declare does not", () => expectTyped(mailer.dir), 60_000);

  it("sends a message written out, and a batch one request per message", async () => {
    const note = await call(mailer.servers.keyed.base, "POST", "/note", { to: "bo@example.com" });
    expect(note.status, note.text).toBe(201);
    expect(last().body).toMatchObject({ subject: "A note", reply_to: { email: "help@acme.test" }, content: [{ type: "text/plain", value: "plain words" }] });
    const before = sendgrid.received.length;
    const batch = await call(mailer.servers.keyed.base, "POST", "/batch", { to: "cy@example.com" });
    expect(batch.status, batch.text).toBe(201);
    expect(batch.body).toEqual({ ids: [`sg-${before + 1}`, `sg-${before + 2}`] });
    const [first, second] = sendgrid.received.slice(before).map((r) => r.body);
    expect(first).toMatchObject({ subject: "First", personalizations: [{ to: [{ email: "cy@example.com" }], cc: [{ email: "cc@example.com" }] }], content: [{ type: "text/html", value: "<p>one</p>" }] });
    expect(second).toMatchObject({ subject: "Second", personalizations: [{ to: [{ email: "cy@example.com" }], bcc: [{ email: "bcc@example.com" }] }] });
  });

  it("a refused request, a server error, a missing key and a silent API are 503s in the error envelope", async () => {
    const app = mailer.servers.keyed.base;
    try {
      mode = "refuse";
      await expectNote503(app, "EMAIL_FAILED", "E-mail could not be sent: SendGrid answered 400: The from address does not match a verified Sender Identity.");
      mode = "fail";
      await expectNote503(app, "EMAIL_FAILED", "E-mail could not be sent: SendGrid answered 500: internal error");
      mode = "hang";
      expect(await expectNote503(app, "EMAIL_FAILED", "E-mail could not be sent: SendGrid did not answer in time")).toBeLessThan(6_000);
    } finally {
      mode = "ok";
    }
    const before = sendgrid.received.length;
    await expectNote503(mailer.servers.keyless.base, "EMAIL_UNAVAILABLE", "E-mail is not configured: the SendGrid API key is not set");
    expect(sendgrid.received.length).toBe(before);
  }, 20_000);
});
