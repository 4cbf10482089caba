/**
 * Amazon SES on the workers target, run for real: `yamac build` bundles the mailer project for
 * workerd (the AWS SDK's fetch handler), Miniflare runs it, and the Worker's signed SendEmail
 * reaches a fake SES endpoint on 127.0.0.1 (SES_ENDPOINT). The template is one SES keeps:
 * Handlebars cannot compile templates of files there (target-node-only). SMTP and SendGrid are
 * target-node-only on Workers (email-diagnostics.test.ts).
 */
import type { Miniflare } from "miniflare";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { buildProject } from "../build.js";
import { compileProject } from "../index.js";
import { FakeApi, prepareMailer, RECEIPT } from "./email-lib.js";
import { removeProject } from "./harness.js";
import { runWorker } from "./workers-lib.js";

const PLUGIN = `  "@betagors/yama-email-ses":
    region: us-east-1
    accessKeyId: \${AWS_ACCESS_KEY_ID}
    secretAccessKey: \${AWS_SECRET_ACCESS_KEY}
    from: "Acme <noreply@acme.test>"
    templates:
      receipt: Receipt-v2
deployment:
  targets: [workers]
docs: false`;

describe("ctx.email through Amazon SES on the workers target", () => {
  const ses = new FakeApi((_, res) => {
    res.writeHead(200, { "content-type": "application/json" });
    res.end(JSON.stringify({ MessageId: "ses-1" }));
  });
  let dir = "";
  let mf: Miniflare | undefined;

  beforeAll(async () => {
    await ses.start();
    dir = await prepareMailer("email-workers", PLUGIN, RECEIPT);
    await buildProject(dir, compileProject(dir).ir!, { out: "dist", minify: true, sourcemap: false, targets: ["workers"] });
    // The route never queries the database, and postgres.js connects on the first query.
    mf = runWorker(dir, "postgres://postgres:unused@127.0.0.1:5432/postgres", { AWS_ACCESS_KEY_ID: "AKIDTEST", AWS_SECRET_ACCESS_KEY: "test-secret", SES_ENDPOINT: ses.base });
  }, 120_000);

  afterAll(async () => {
    await mf?.dispose();
    await ses.stop();
    removeProject(dir);
  });

  it("sends an SES template from a Worker, signed with the configured keys", async () => {
    const res = await mf!.dispatchFetch("https://mailer.example.workers.dev/receipt", { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify({ to: "bo@example.com", total: "12" }) });
    expect(res.status, await res.clone().text()).toBe(201);
    expect(await res.json()).toEqual({ id: "ses-1" });
    expect(ses.received).toHaveLength(1);
    expect(ses.received[0]).toMatchObject({ method: "POST", path: "/v2/email/outbound-emails", headers: { authorization: expect.stringMatching(/^AWS4-HMAC-SHA256 Credential=AKIDTEST\/\d{8}\/us-east-1\/ses\/aws4_request/) } });
    expect(ses.received[0]!.body).toMatchObject({ FromEmailAddress: "Acme <noreply@acme.test>", Destination: { ToAddresses: ["bo@example.com"] }, Content: { Template: { TemplateName: "Receipt-v2", TemplateData: '{"total":"12"}' } } });
  });
});
