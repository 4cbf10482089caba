/** The workers bundle of a built project (dist/workers/worker.mjs) run in workerd by Miniflare. */
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { Miniflare } from "miniflare";

/**
 * Miniflare with wrangler.toml's compatibility date and flags, the Hyperdrive binding given, and
 * `bindings` as variables: they reach the app as process.env (nodejs_compat), LOG_LEVEL=warn
 * quiets the request log.
 */
export function runWorker(dir: string, hyperdrive: string, bindings: Record<string, string> = {}): Miniflare {
  const wrangler = readFileSync(join(dir, "wrangler.toml"), "utf8");
  return new Miniflare({
    modules: true,
    scriptPath: join(dir, "dist/workers/worker.mjs"),
    compatibilityDate: /^compatibility_date = "(.+)"$/m.exec(wrangler)![1]!,
    compatibilityFlags: JSON.parse(/^compatibility_flags = (.+)$/m.exec(wrangler)![1]!) as string[],
    hyperdrives: { HYPERDRIVE: hyperdrive },
    bindings: { NODE_ENV: "production", LOG_LEVEL: "warn", ...bindings },
  });
}
