/**
 * Serverless targets, invoked in-process the way each platform calls them: the Lambda handler
 * with API Gateway v2, v1 and ALB events; the Vercel and Netlify functions with web Requests.
 * All of them serve the same app against a real PostgreSQL database.
 */
import { join } from "node:path";
import { pathToFileURL } from "node:url";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createDatabase, freshRedisUrl, prepareProject, removeProject } from "./harness.js";

interface LambdaResult {
  statusCode: number;
  headers?: Record<string, string>;
  body: string;
  isBase64Encoded: boolean;
}
type LambdaHandler = (event: unknown, context: unknown) => Promise<LambdaResult>;
type WebHandler = (request: Request, context?: unknown) => Response | Promise<Response>;

describe("serverless entries", () => {
  let dir = "";
  let db: Awaited<ReturnType<typeof createDatabase>> | undefined;
  let lambda: LambdaHandler;
  let vercelPost: WebHandler;
  let vercelGet: WebHandler;
  let netlify: WebHandler;
  let close: () => Promise<void> = async () => {};

  beforeAll(async () => {
    dir = await prepareProject("endpoints");
    db = await createDatabase("yamac_targets");
    process.env.DATABASE_URL = db.url;
    process.env.REDIS_URL = await freshRedisUrl();
    const load = (path: string) => import(pathToFileURL(join(dir, path)).href);
    const client = (await load("src/db/client.ts")) as { database: { migrate(folder: string): Promise<void>; close(): Promise<void> } };
    await client.database.migrate(join(dir, "drizzle"));
    close = () => client.database.close();
    lambda = ((await load("src/lambda.ts")) as { handler: LambdaHandler }).handler;
    const vercel = (await load("api/index.ts")) as { GET: WebHandler; POST: WebHandler };
    vercelGet = vercel.GET;
    vercelPost = vercel.POST;
    netlify = ((await load("netlify/functions/api.ts")) as { default: WebHandler }).default;
  }, 120_000);

  afterAll(async () => {
    await close();
    delete process.env.DATABASE_URL;
    delete process.env.REDIS_URL;
    await db?.drop();
    removeProject(dir);
  });

  const context = { awsRequestId: "test", getRemainingTimeInMillis: () => 10_000 };

  it("Lambda, API Gateway v2 (HTTP API): create and read back", async () => {
    const created = await lambda(
      {
        version: "2.0",
        routeKey: "$default",
        rawPath: "/api/v1/products",
        rawQueryString: "",
        headers: { "content-type": "application/json", host: "example.com" },
        requestContext: { http: { method: "POST", path: "/api/v1/products", sourceIp: "203.0.113.1" }, requestId: "r1", stage: "$default" },
        body: JSON.stringify({ name: "Lambda anvil", price: 12.5 }),
        isBase64Encoded: false,
      },
      context,
    );
    expect(created.statusCode).toBe(201);
    const id = (JSON.parse(created.body) as { id: string }).id;
    const read = await lambda(
      { version: "2.0", routeKey: "$default", rawPath: `/api/v1/products/${id}`, rawQueryString: "", headers: { host: "example.com" }, requestContext: { http: { method: "GET", path: `/api/v1/products/${id}`, sourceIp: "203.0.113.1" }, requestId: "r2", stage: "$default" }, isBase64Encoded: false },
      context,
    );
    expect(read.statusCode).toBe(200);
    expect(JSON.parse(read.body)).toMatchObject({ id, name: "Lambda anvil", price: 12.5 });
    expect(read.isBase64Encoded).toBe(false);
  });

  it("Lambda, API Gateway v1 (REST API) with a base64 body, and the error envelope", async () => {
    const res = await lambda(
      {
        httpMethod: "POST",
        path: "/api/v1/products",
        resource: "/{proxy+}",
        headers: { "Content-Type": "application/json" },
        multiValueHeaders: {},
        queryStringParameters: null,
        requestContext: { httpMethod: "POST", path: "/api/v1/products", identity: { sourceIp: "203.0.113.2" }, requestId: "r3", stage: "prod" },
        body: Buffer.from(JSON.stringify({ name: "", price: "free" })).toString("base64"),
        isBase64Encoded: true,
      },
      context,
    );
    expect(res.statusCode).toBe(400);
    expect(JSON.parse(res.body)).toMatchObject({ error: { code: "VALIDATION_BODY" } });
  });

  it("Lambda, ALB event with a query string", async () => {
    const res = await lambda(
      { httpMethod: "GET", path: "/api/v1/products", queryStringParameters: { limit: "1" }, headers: { host: "alb" }, requestContext: { elb: { targetGroupArn: "arn:aws:elasticloadbalancing:eu-west-1:1:targetgroup/t/1" } }, body: "", isBase64Encoded: false },
      context,
    );
    expect(res.statusCode).toBe(200);
    expect((JSON.parse(res.body) as unknown[]).length).toBe(1);
  });

  it("Vercel and Netlify functions take web Requests", async () => {
    const made = await vercelPost(new Request("https://example.vercel.app/api/v1/products", { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify({ name: "Vercel vise", price: 3 }) }));
    expect(made.status).toBe(201);
    const list = await vercelGet(new Request("https://example.vercel.app/api/v1/search?q=vise"));
    expect(((await list.json()) as { name: string }[]).map((p) => p.name)).toEqual(["Vercel vise"]);
    const res = await netlify(new Request("https://example.netlify.app/health/live"));
    expect(res.status).toBe(200);
    expect(await res.json()).toEqual({ status: "ok" });
  });
});
