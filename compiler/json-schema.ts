/**
 * The JSON Schema of yama.yaml for editors (YAML language server), generated from the zod
 * schema the compiler validates with, so the two never disagree. Plugin sections validate
 * their own options at compile time and are described loosely here.
 */
import { z } from "zod";
import { configSchema } from "./2-analyze/config-schema.js";

export function configJsonSchema(): Record<string, unknown> {
  const schema = z.toJSONSchema(configSchema, { io: "input", unrepresentable: "any", target: "draft-2020-12" }) as Record<string, unknown>;
  return { ...schema, title: "yama.yaml", description: "A YAMA backend, compiled by yamac into a Hono + Drizzle app." };
}

export const SCHEMA_FILE = "yama.schema.json";
