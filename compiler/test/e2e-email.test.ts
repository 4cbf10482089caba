/**
 * `ctx.email` through Resend (`@betagors/yama-email-resend`), over HTTP against a fake Resend API
 * on 127.0.0.1 (RESEND_BASE_URL): a template from yama.yaml rendered with Handlebars (HTML
 * escaped, subject and text not), a message written out, and a 503 in the error envelope when
 * the API key is missing or Resend refuses. Template files are read at compile time.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { compileText } from "../index.js";
import { expectNote503, expectTyped, FakeApi, serveMailer, WELCOME } from "./email-lib.js";
import { call } from "./harness.js";

const PLUGIN = `  "@betagors/yama-email-resend":
    apiKey: \${RESEND_API_KEY}
    from: "Acme <noreply@acme.test>"
    timeout: 2500
    templates:
${WELCOME}`;

describe("ctx.email through Resend", () => {
  let refuse = false;
  let hang = false;
  /** A fake Resend API: POST /emails answers an id, or the error the test asks for, or nothing for 3 s. */
  const resend = new FakeApi((_, res) => {
    if (hang) return setTimeout(() => res.end(), 8_000).unref();
    res.writeHead(refuse ? 422 : 200, { "content-type": "application/json" });
    res.end(JSON.stringify(refuse ? { statusCode: 422, name: "validation_error", message: "The `to` field is invalid." } : { id: `email-${resend.received.length}` }));
  });
  const mailer = serveMailer("email", PLUGIN, () => ({ keyed: { RESEND_API_KEY: "re_test_key", RESEND_BASE_URL: resend.base }, keyless: { RESEND_API_KEY: "", RESEND_BASE_URL: resend.base } }), resend);

  it("sends a template rendered with the request's data: HTML escaped, subject and text as written", async () => {
    const res = await call(mailer.servers.keyed.base, "POST", "/welcome", { to: "ann@example.com", name: "Ann <b>&" });
    expect(res.status, res.text).toBe(201);
    expect(res.body).toEqual({ id: "email-1" });
    const sent = resend.received.at(-1)!;
    expect(sent.headers.authorization).toBe("Bearer re_test_key");
    expect(sent.body).toMatchObject({
      from: "Acme <noreply@acme.test>",
      to: "ann@example.com",
      subject: "Welcome, Ann <b>&!",
      html: "<p>Hello Ann &lt;b&gt;&amp;, welcome to Acme.</p>\n",
      text: "Hello Ann <b>&, welcome to Acme.\n",
    });
  });

  it("types ctx.email: the project passes tsc --strict, and a template name yama.yaml does not declare does not", () => expectTyped(mailer.dir), 60_000);

  it("sends a message written out", async () => {
    const res = await call(mailer.servers.keyed.base, "POST", "/note", { to: "bo@example.com" });
    expect(res.status, res.text).toBe(201);
    expect(resend.received.at(-1)!.body).toMatchObject({ to: ["bo@example.com"], subject: "A note", text: "plain words", reply_to: "help@acme.test" });
  });

  it("a refused message, a silent API or a missing API key is a 503 in the error envelope", async () => {
    refuse = true;
    try {
      await expectNote503(mailer.servers.keyed.base, "EMAIL_FAILED", "E-mail could not be sent: The `to` field is invalid.");
    } finally {
      refuse = false;
    }
    hang = true;
    try {
      expect(await expectNote503(mailer.servers.keyed.base, "EMAIL_FAILED", "E-mail could not be sent: Resend did not answer in time")).toBeLessThan(6_000);
    } finally {
      hang = false;
    }
    const before = resend.received.length;
    await expectNote503(mailer.servers.keyless.base, "EMAIL_UNAVAILABLE", "E-mail is not configured: RESEND_API_KEY is not set");
    expect(resend.received.length).toBe(before);
  });
});

describe("e-mail options", () => {
  const plugin = (lines: string[]) => compileText(["name: t", "plugins:", '  "@betagors/yama-email-resend":', ...lines].join("\n") + "\n").diagnostics.filter((d) => d.severity === "error");

  it("an API key written into the config is an error at its line", () => {
    expect(plugin(["    apiKey: re_live_123", "    from: a@b.test"])).toEqual([expect.objectContaining({ code: "secret-in-config", location: expect.objectContaining({ line: 4 }) })]);
  });

  it("templates on the workers target are an error (Handlebars compiles with new Function)", () => {
    const errors = plugin(["    apiKey: ${RESEND_API_KEY}", "    from: a@b.test", "    templates:", "      hi: { subject: Hi, text: hi.txt }", "deployment:", "  targets: [workers]", "docs: false"]);
    expect(errors).toEqual([expect.objectContaining({ code: "target-node-only", message: expect.stringContaining("new Function()") })]);
  });

  it("a template needs a body", () => {
    expect(plugin(["    apiKey: ${RESEND_API_KEY}", "    from: a@b.test", "    templates:", "      hi: { subject: Hi }"])).toEqual([expect.objectContaining({ location: expect.objectContaining({ line: 7 }) })]);
  });
});
