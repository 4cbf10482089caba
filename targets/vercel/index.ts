/**
 * Vercel: the app as one Node.js function with web Request/Response (`hono/vercel`); its memory,
 * maxDuration and regions come from `deployment.vercel` (vercel.json).
 */
import { file, header, Imports } from "../../compiler/4-emit/writer.js";
import type { Target } from "../types.js";

export const vercelTarget: Target = {
  name: "vercel",
  emit(ir) {
    const imports = new Imports().add("hono/vercel", "handle").add("../src/app.js", "app");
    const body = `/** Every method and path goes to the app. */
const handler = handle(app);

export const GET = handler;
export const POST = handler;
export const PUT = handler;
export const PATCH = handler;
export const DELETE = handler;
export const OPTIONS = handler;
export const HEAD = handler;`;
    const { memory, maxDuration, regions } = ir.deployment.vercel;
    const config = {
      $schema: "https://openapi.vercel.sh/vercel.json",
      ...(regions ? { regions } : {}),
      rewrites: [{ source: "/(.*)", destination: "/api" }],
      functions: { "api/index.ts": { memory, maxDuration } },
    };
    return [
      { path: "api/index.ts", content: header("Vercel function entry", ir.configFile) + file(imports.toString(), body) },
      { path: "vercel.json", content: JSON.stringify(config, null, 2) + "\n", ifMissing: true },
    ];
  },
};
