/**
 * `ctx.email` over SMTP (`@betagors/yama-email-smtp`, nodemailer), against a real SMTP server on
 * 127.0.0.1 (smtp-server, the messages read back with mailparser): what arrived (envelope,
 * headers, the template rendered with HTML escaped, the credentials), a batch, and 503s in the
 * error envelope for refused credentials, a refused recipient, a missing password and a server
 * that never answers (bounded by `timeout:`).
 */
import { createServer, type Server, type Socket } from "node:net";
import type { AddressInfo } from "node:net";
import { type ParsedMail, simpleParser } from "mailparser";
import { SMTPServer } from "smtp-server";
import { describe, expect, it } from "vitest";
import { expectNote503, expectTyped, serveMailer, WELCOME } from "./email-lib.js";
import { call } from "./harness.js";

const PLUGIN = `  "@betagors/yama-email-smtp":
    host: \${SMTP_HOST}
    port: \${SMTP_PORT}
    secure: false
    auth:
      user: \${SMTP_USER}
      pass: \${SMTP_PASSWORD}
    from: "Acme <noreply@acme.test>"
    replyTo: support@acme.test
    timeout: 1500
    templates:
${WELCOME}`;

interface Arrived {
  from: string;
  to: string[];
  user: string | undefined;
  mail: ParsedMail;
}

/** An SMTP server that takes the password "s3cret" only, refuses refused@example.com, and keeps what arrives. */
function smtpServer(arrived: Arrived[], logins: { user?: string; pass?: string | null }[]): SMTPServer {
  return new SMTPServer({
    disabledCommands: ["STARTTLS"],
    allowInsecureAuth: true,
    logger: false,
    onAuth(auth, _session, done) {
      logins.push({ user: auth.username, pass: auth.password });
      if (auth.password !== "s3cret") return done(new Error("Invalid username or password"));
      done(null, { user: auth.username });
    },
    onRcptTo(address, _session, done) {
      if (address.address === "refused@example.com") return done(Object.assign(new Error("5.1.1 No such user here"), { responseCode: 550 }));
      done();
    },
    onData(stream, session, done) {
      simpleParser(stream).then(
        (mail) => {
          arrived.push({ from: session.envelope.mailFrom ? session.envelope.mailFrom.address : "", to: session.envelope.rcptTo.map((r) => r.address), user: typeof session.user === "string" ? session.user : undefined, mail });
          done();
        },
        (err: Error) => done(err),
      );
    },
  });
}

const text = (a: ParsedMail["to"]) => (Array.isArray(a) ? a.map((x) => x.text).join(", ") : a?.text);

describe("ctx.email over SMTP", () => {
  const arrived: Arrived[] = [];
  const logins: { user?: string; pass?: string | null }[] = [];
  const smtp = smtpServer(arrived, logins);
  /** Accepts connections and never greets. */
  const silent: Server = createServer((socket: Socket) => socket.on("error", () => {}));
  const sockets: Socket[] = [];
  silent.on("connection", (s: Socket) => sockets.push(s));
  let port = "";
  let silentPort = "";
  const mailer = serveMailer(
    "email-smtp",
    PLUGIN,
    () => {
      const env = { SMTP_HOST: "127.0.0.1", SMTP_PORT: port, SMTP_USER: "mailer", SMTP_PASSWORD: "s3cret" };
      return { good: env, wrongPassword: { ...env, SMTP_PASSWORD: "guess" }, keyless: { ...env, SMTP_PASSWORD: "" }, silent: { ...env, SMTP_PORT: silentPort } };
    },
    {
      async start() {
        await new Promise<void>((resolve) => smtp.listen(0, "127.0.0.1", resolve));
        await new Promise<void>((resolve) => silent.listen(0, "127.0.0.1", resolve));
        port = String((smtp.server.address() as AddressInfo).port);
        silentPort = String((silent.address() as AddressInfo).port);
      },
      async stop() {
        for (const s of sockets) s.destroy();
        await new Promise((resolve) => smtp.close(() => resolve(undefined)));
        await new Promise((resolve) => silent.close(() => resolve(undefined)));
      },
    },
  );
  const servers = mailer.servers;

  it("delivers a template rendered with the request's data, after signing in with the configured credentials", async () => {
    const res = await call(servers.good.base, "POST", "/welcome", { to: "ann@example.com", name: "Ann <b>&" });
    expect(res.status, res.text).toBe(201);
    const mail = arrived.at(-1)!;
    expect(res.body).toEqual({ id: mail.mail.messageId });
    expect(logins.at(-1)).toEqual({ user: "mailer", pass: "s3cret" });
    expect(mail.user).toBe("mailer");
    expect(mail).toMatchObject({ from: "noreply@acme.test", to: ["ann@example.com"] });
    expect(text(mail.mail.from ? [mail.mail.from] : undefined)).toBe('"Acme" <noreply@acme.test>');
    expect(text(mail.mail.replyTo ? [mail.mail.replyTo] : undefined)).toBe("support@acme.test");
    expect(mail.mail.subject).toBe("Welcome, Ann <b>&!");
    expect(mail.mail.html).toBe("<p>Hello Ann &lt;b&gt;&amp;, welcome to Acme.</p>\n");
    expect(mail.mail.text).toBe("Hello Ann <b>&, welcome to Acme.\n");
  });

  it("types ctx.email: the project passes tsc --strict, and a template name yama.yaml does not declare does not", () => expectTyped(mailer.dir), 60_000);

  it("delivers a message written out, with its own reply address", async () => {
    const res = await call(servers.good.base, "POST", "/note", { to: "bo@example.com" });
    expect(res.status, res.text).toBe(201);
    const mail = arrived.at(-1)!;
    expect(mail.to).toEqual(["bo@example.com"]);
    expect(mail.mail.subject).toBe("A note");
    expect(mail.mail.text).toBe("plain words\n");
    expect(mail.mail.html).toBe(false);
    expect(text(mail.mail.replyTo ? [mail.mail.replyTo] : undefined)).toBe("help@acme.test");
  });

  it("sends a batch one message after another, cc and bcc included in the envelope", async () => {
    const before = arrived.length;
    const res = await call(servers.good.base, "POST", "/batch", { to: "cy@example.com" });
    expect(res.status, res.text).toBe(201);
    const [first, second] = arrived.slice(before);
    expect(res.body).toEqual({ ids: [first!.mail.messageId, second!.mail.messageId] });
    expect(first).toMatchObject({ to: ["cy@example.com", "cc@example.com"] });
    expect(text(first!.mail.cc)).toBe("cc@example.com");
    expect(first!.mail.html).toMatch(/^<p>one<\/p>\n?$/);
    expect(second).toMatchObject({ to: ["cy@example.com", "bcc@example.com"] });
    expect(second!.mail.bcc).toBeUndefined();
    expect(second!.mail.text).toBe("two\n");
  });

  it("refused credentials, a refused recipient, a missing password and a silent server are 503s in the error envelope", async () => {
    const before = arrived.length;
    await expectNote503(servers.wrongPassword.base, "EMAIL_FAILED", "E-mail could not be sent: the SMTP server refused the credentials");
    expect(logins.at(-1)).toEqual({ user: "mailer", pass: "guess" });
    await expectNote503(servers.good.base, "EMAIL_FAILED", /^E-mail could not be sent: the SMTP server refused the message: 550 5\.1\.1 No such user here/, "refused@example.com");
    await expectNote503(servers.keyless.base, "EMAIL_UNAVAILABLE", "E-mail is not configured: the SMTP user or password is not set");
    expect(await expectNote503(servers.silent.base, "EMAIL_FAILED", "E-mail could not be sent: the SMTP server did not answer in time")).toBeLessThan(5_000);
    expect(arrived.length).toBe(before);
  }, 20_000);
});
