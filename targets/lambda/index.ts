/**
 * AWS Lambda: `hono/aws-lambda` serves src/app.ts for API Gateway v2 (HTTP API), v1 (REST API)
 * and ALB events. The database pool is created once per container, outside the handler, and
 * kept small (DATABASE_POOL_MAX, default 2). Migrations are applied by a deploy step
 * (`npm run migrate` against the same DATABASE_URL), not at cold start.
 */
import { file, header, Imports } from "../../compiler/4-emit/writer.js";
import type { Target } from "../types.js";

export const lambdaTarget: Target = {
  name: "lambda",
  emit(ir) {
    const imports = new Imports().add("hono/aws-lambda", "handle").add("./app.js", "app");
    const body = `/** The Lambda handler (API Gateway v1/v2 and ALB events). The module-level pool is reused across invocations. */
export const handler = handle(app);`;
    const template = `# SAM template for ${ir.name} (generated once by yamac; yours to edit).
AWSTemplateFormatVersion: "2010-09-09"
Transform: AWS::Serverless-2016-10-31
Description: ${ir.name} ${ir.version}

Parameters:
  DatabaseUrl:
    Type: String
    NoEcho: true

Resources:
  Api:
    Type: AWS::Serverless::Function
    Properties:
      Runtime: nodejs20.x
      Handler: index.handler
      CodeUri: dist/lambda
      MemorySize: 512
      Timeout: 15
      Environment:
        Variables:
          DATABASE_URL: !Ref DatabaseUrl
          DATABASE_POOL_MAX: "2"
          NODE_ENV: production
      Events:
        Http:
          Type: HttpApi
`;
    return [
      { path: "src/lambda.ts", content: header("AWS Lambda entry", ir.configFile) + file(imports.toString(), body) },
      { path: "template.yaml", content: template, ifMissing: true },
    ];
  },
};
