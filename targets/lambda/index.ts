/**
 * AWS Lambda: `hono/aws-lambda` serves src/app.ts for API Gateway v2 (HTTP API), v1 (REST API)
 * and ALB events, or streams responses through a function URL (`deployment.lambda.streaming`,
 * `streamHandle`). The database pool is created once per container, outside the handler, and
 * kept small: the template sets DATABASE_POOL_MAX=2, which the client reads unless
 * `database.pool.max` is a fixed number. Migrations are applied by a deploy step (`npm run
 * migrate` against the same DATABASE_URL), not at cold start.
 */
import { file, header, Imports } from "../../compiler/4-emit/writer.js";
import type { DeploymentIR, ProjectIR } from "../../compiler/ir.js";
import type { Target } from "../types.js";

/** A quoted YAML scalar (JSON strings are YAML): environment values stay strings, as CloudFormation wants. */
const scalar = (value: string) => JSON.stringify(value);

interface Parameter {
  name: string;
  default?: string;
}

/** The SAM template: one function, its settings from `deployment.lambda`, secrets as NoEcho parameters. */
export function samTemplate(ir: ProjectIR): string {
  const lambda: DeploymentIR["lambda"] = ir.deployment.lambda;
  const parameters = new Map<string, Parameter>([["DatabaseUrl", { name: "DatabaseUrl" }]]);
  const variables = new Map<string, string>([
    ["DATABASE_URL", "!Ref DatabaseUrl"],
    ...(lambda.poolVar ? [[lambda.poolVar, scalar("2")] as [string, string]] : []),
    ["NODE_ENV", "production"],
  ]);
  for (const { name, value } of lambda.environment) {
    if (typeof value === "string") {
      variables.set(name, scalar(value));
      continue;
    }
    if (!parameters.has(value.parameter)) parameters.set(value.parameter, { name: value.parameter, ...(value.default !== undefined ? { default: value.default } : {}) });
    variables.set(name, `!Ref ${value.parameter}`);
  }
  const params = [...parameters.values()].map((p) => `  ${p.name}:\n    Type: String\n    NoEcho: true${p.default !== undefined ? `\n    Default: ${scalar(p.default)}` : ""}`);
  const env = [...variables].map(([name, value]) => `          ${name}: ${value}`);
  const layers = lambda.layers.length ? `\n      Layers:\n${lambda.layers.map((arn) => `        - ${arn}`).join("\n")}` : "";
  // A streaming function answers through its function URL; API Gateway would buffer the response.
  const entry = lambda.streaming
    ? `      FunctionUrlConfig:
        AuthType: NONE
        InvokeMode: RESPONSE_STREAM`
    : `      Events:
        Http:
          Type: HttpApi`;
  const outputs = lambda.streaming
    ? `
Outputs:
  Url:
    Description: The function URL (responses are streamed)
    Value: !GetAtt ApiUrl.FunctionUrl
`
    : "";
  return `# SAM template for ${ir.name} (generated once by yamac from deployment.lambda; yours to edit).
AWSTemplateFormatVersion: "2010-09-09"
Transform: AWS::Serverless-2016-10-31
Description: ${ir.name} ${ir.version}

Parameters:
${params.join("\n")}

Resources:
  Api:
    Type: AWS::Serverless::Function
    Properties:
      Runtime: ${lambda.runtime}
      Architectures:
        - ${lambda.architecture}
      Handler: index.handler
      CodeUri: dist/lambda
      MemorySize: ${lambda.memory}
      Timeout: ${lambda.timeout}${layers}
      Environment:
        Variables:
${env.join("\n")}
${entry}
${outputs}`;
}

export const lambdaTarget: Target = {
  name: "lambda",
  emit(ir) {
    const streaming = ir.deployment.lambda.streaming;
    const imports = new Imports().add("hono/aws-lambda", streaming ? "streamHandle" : "handle").add("./app.js", "app");
    const body = streaming
      ? `/** The Lambda handler, streaming responses through the function URL. The module-level pool is reused across invocations. */
export const handler = streamHandle(app);`
      : `/** The Lambda handler (API Gateway v1/v2 and ALB events). The module-level pool is reused across invocations. */
export const handler = handle(app);`;
    return [
      { path: "src/lambda.ts", content: header("AWS Lambda entry", ir.configFile) + file(imports.toString(), body) },
      { path: "template.yaml", content: samTemplate(ir), ifMissing: true },
    ];
  },
};
