/**
 * `services:` compiled to typed clients (src/services.ts) and called from handlers as
 * `ctx.services`, against a fake upstream on 127.0.0.1: the body, path and headers it receives,
 * the error envelope of a failed call, and the types `tsc` checks. The client's retries, timeouts
 * and circuit breaker are tested in runtime-lib/service-client.test.ts.
 */
import { execFileSync } from "node:child_process";
import { writeFileSync } from "node:fs";
import { createServer, type IncomingMessage, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { compileText } from "../index.js";
import { call, prepareProjectFromText, removeProject, ROOT, type RunningServer, startServer } from "./harness.js";

const CONFIG = `name: orders
schemas:
  Payment:
    fields:
      id: string!
      amount: integer!
      status: string!
  CreatePaymentInput:
    fields:
      amount: integer!
      userId: string!
services:
  payment-service:
    baseUrl: \${PAYMENT_SERVICE_URL}
    headers:
      authorization: "Bearer \${PAYMENT_TOKEN}"
    endpoints:
      - path: /payments
        method: POST
        body: { type: CreatePaymentInput }
        response: { type: Payment }
      - path: /payments/:id
        method: GET
        response: Payment
    resilience:
      timeout: 1000
      retry: { maxAttempts: 2, backoff: constant, initialDelay: 10 }
endpoints:
  - path: /checkout
    method: POST
    auth: false
    body: { fields: { amount: integer! } }
    handler: handlers/checkout.ts
  - path: /payments/{id}
    method: GET
    auth: false
    params: { id: string! }
    handler: handlers/payment.ts
`;

const CHECKOUT = `import type { CheckoutContext } from "../src/endpoints/checkout.js";

export default async function checkout(ctx: CheckoutContext) {
  const payment = await ctx.services.paymentService.createPayment({ amount: ctx.body.amount, userId: "u1" });
  ctx.status(201);
  return payment;
}
`;

const FILES: Record<string, string> = {
  "handlers/checkout.ts": CHECKOUT,
  "handlers/payment.ts": `import type { PaymentContext } from "../src/endpoints/payment.js";

export default async function payment(ctx: PaymentContext) {
  return ctx.services.paymentService.getPayment({ id: ctx.params.id });
}
`,
};

describe("services: typed clients in ctx.services", () => {
  let upstream: Server;
  const seen: { method: string; url: string; auth: string | undefined; body: string }[] = [];
  let dir = "";
  let server: RunningServer | undefined;

  beforeAll(async () => {
    upstream = createServer(async (req: IncomingMessage, res) => {
      let body = "";
      for await (const chunk of req) body += chunk;
      seen.push({ method: req.method!, url: req.url!, auth: req.headers.authorization, body });
      res.writeHead(req.url === "/api/payments/missing" ? 404 : req.method === "POST" ? 201 : 200, { "content-type": "application/json" });
      res.end(JSON.stringify(req.url === "/api/payments/missing" ? { error: "no such payment" } : { id: "p1", amount: body ? (JSON.parse(body) as { amount: number }).amount : 5, status: "paid" }));
    });
    await new Promise<void>((resolve) => upstream.listen(0, "127.0.0.1", resolve));
    dir = await prepareProjectFromText("services", CONFIG, FILES);
    server = await startServer(dir, { PAYMENT_SERVICE_URL: `http://127.0.0.1:${(upstream.address() as AddressInfo).port}/api`, PAYMENT_TOKEN: "t0k" });
  }, 120_000);
  afterAll(async () => {
    await server?.stop();
    await new Promise((resolve) => upstream?.close(resolve));
    removeProject(dir);
  });

  it("calls the service with the body, path and headers yama.yaml declares, and returns its answer", async () => {
    const res = await call(server!.base, "POST", "/checkout", { amount: 1200 });
    expect(res.status, res.text).toBe(201);
    expect(res.body).toEqual({ id: "p1", amount: 1200, status: "paid" });
    expect(seen.at(-1)).toEqual({ method: "POST", url: "/api/payments", auth: "Bearer t0k", body: JSON.stringify({ amount: 1200, userId: "u1" }) });
    const got = await call(server!.base, "GET", "/payments/p%201");
    expect(got.status).toBe(200);
    expect(seen.at(-1)).toMatchObject({ method: "GET", url: "/api/payments/p%201" });
  });

  it("answers a failed call with 502 in the error envelope, without retrying a 404", async () => {
    const before = seen.length;
    const res = await call(server!.base, "GET", "/payments/missing");
    expect(res.status).toBe(502);
    expect(res.body).toMatchObject({ error: { code: "UPSTREAM_ERROR", message: "payment-service.getPayment: payment-service answered 404", requestId: expect.any(String) } });
    expect(seen.length - before).toBe(1);
  });

  it("types the clients: the project passes tsc --strict; a missing body field or an unknown method does not", () => {
    const tsc = () => execFileSync(join(ROOT, "node_modules/.bin/tsc"), ["--noEmit", "-p", dir], { encoding: "utf8", stdio: "pipe" });
    tsc();
    const handler = join(dir, "handlers/checkout.ts");
    for (const wrong of [CHECKOUT.replace(', userId: "u1"', ""), CHECKOUT.replace("createPayment(", "createPaymnet(")]) {
      writeFileSync(handler, wrong);
      expect(tsc).toThrow();
    }
    writeFileSync(handler, CHECKOUT);
    tsc();
  }, 120_000);
});

describe("services: diagnostics", () => {
  const diagnostics = (service: string[]) => compileText(["name: t", "schemas:", "  Payment:", "    fields:", "      id: string!", "services:", "  pay:", ...service].join("\n") + "\n").diagnostics;
  const codes = (service: string[]) => diagnostics(service).filter((d) => d.severity === "error").map((d) => [d.code, d.location.line]);

  it("checks types, secrets, bodies on GET, method names and URLs, each at its line", () => {
    expect(codes(["    baseUrl: ${PAY_URL}", "    endpoints:", "      - { path: /p, method: GET, response: Paymnet }"])).toEqual([["unknown-type", 10]]);
    expect(diagnostics(["    baseUrl: ${PAY_URL}", "    endpoints:", "      - { path: /p, method: GET, response: Paymnet }"]).find((d) => d.code === "unknown-type")!.hint).toBe("did you mean Payment?");
    expect(codes(["    baseUrl: ${PAY_URL}", "    headers:", "      Authorization: Bearer abc123"])).toEqual([["secret-in-config", 10]]);
    expect(codes(["    baseUrl: ${PAY_URL}", "    endpoints:", "      - { path: /p, method: GET, body: Payment }"])).toEqual([["bad-plugin-option", 10]]);
    expect(codes(["    baseUrl: ${PAY_URL}", "    endpoints:", "      - { path: /p/:id, method: GET }", "      - { path: \"/p/{id}\", method: get }"])).toEqual([["bad-plugin-option", 11]]);
    expect(codes(["    baseUrl: localhost:3000"])).toEqual([["bad-plugin-option", 8]]);
    expect(codes(["    baseUrl: ${PAY_URL}", "    endpoints:", "      - { path: p, method: FETCH }"]).map(([c]) => c)).toEqual(["bad-plugin-option", "bad-plugin-option"]);
  });

  it("warns about what it does not compile (load balancing, discovery), and derives method names", () => {
    const warnings = diagnostics(["    baseUrl: ${PAY_URL}", "    resilience:", "      loadBalancer: { strategy: round-robin }", "    discovery: { name: pay }"]).filter((d) => d.severity === "warning");
    expect(warnings.map((d) => d.code)).toEqual(["not-yet-compiled", "not-yet-compiled"]);
    const result = compileText(["name: t", "endpoints:", "  - { path: /x, method: GET, auth: false, handler: h }", "services:", "  user-service:", "    baseUrl: ${U}", "    endpoints:", ...["GET /users", "GET /users/:id", "POST /users", "PUT /users/:id", "PATCH /categories/{id}", "DELETE /users/:id", "GET /people/:personId"].map((r) => `      - { method: ${r.split(" ")[0]}, path: "${r.split(" ")[1]}" }`)].join("\n") + "\n");
    expect(result.diagnostics.filter((d) => d.severity === "error")).toEqual([]);
    const source = result.files?.find((f) => f.path === "src/services.ts")?.content ?? "";
    expect([...source.matchAll(/^  (\w+): \(input/gm)].map((m) => m[1])).toEqual(["listUsers", "getUser", "createUser", "updateUser", "updateCategory", "deleteUser", "getPerson"]);
    expect(source).toContain("export const services = { userService };");
  });
});
