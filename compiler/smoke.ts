/**
 * `yamac smoke <url> [dir]`: a post-deploy check. It asks the deployed app for its health
 * routes and a sample of its GET routes (from dist/manifest.json, or from the config when there
 * is no build) and fails when the app is unreachable, not ready, or a route is missing or fails.
 */
import { existsSync, readFileSync } from "node:fs";
import { join } from "node:path";

export interface SmokeRoutes {
  health?: { path: string; liveness: string; readiness: string };
  /** `GET /path` lines, as in the build manifest. */
  routes: string[];
}

export interface SmokeResult {
  path: string;
  status: number | string;
  ok: boolean;
  ms: number;
}

/** The manifest of the last `yamac build` in `dir`, when there is one. */
export function manifestRoutes(dir: string, out = "dist"): SmokeRoutes | undefined {
  const file = join(dir, out, "manifest.json");
  if (!existsSync(file)) return undefined;
  const manifest = JSON.parse(readFileSync(file, "utf8")) as { routes: string[]; health?: SmokeRoutes["health"] | null };
  return { routes: manifest.routes, health: manifest.health ?? undefined };
}

/** Up to `size` parameterless GET paths, spread over the list (the same ones on every run). */
export function samplePaths(routes: readonly string[], size: number): string[] {
  const paths = [...new Set(routes.filter((r) => r.startsWith("GET ")).map((r) => r.slice(4)))].filter((p) => !p.includes(":") && !p.includes("*")).sort();
  if (paths.length <= size) return paths;
  return Array.from({ length: size }, (_, i) => paths[Math.floor((i * paths.length) / size)]!);
}

/**
 * Health routes must answer 200. A sampled route passes when it exists and does not fail:
 * anything below 500 but 404 (401/403 from a guarded route, 400 from a required query
 * parameter still prove it is served).
 */
export async function smoke(base: string, routes: SmokeRoutes, options: { sample: number; timeoutMs: number }): Promise<SmokeResult[]> {
  const checks: { path: string; pass: (status: number) => boolean }[] = [];
  if (routes.health) for (const path of [routes.health.liveness, routes.health.readiness]) checks.push({ path, pass: (s) => s === 200 });
  for (const path of samplePaths(routes.routes, options.sample)) checks.push({ path, pass: (s) => s !== 404 && s < 500 });
  const results: SmokeResult[] = [];
  for (const check of checks) {
    const started = performance.now();
    try {
      const res = await fetch(base.replace(/\/+$/, "") + check.path, { signal: AbortSignal.timeout(options.timeoutMs), redirect: "manual" });
      await res.arrayBuffer();
      results.push({ path: check.path, status: res.status, ok: check.pass(res.status), ms: Math.round(performance.now() - started) });
    } catch (err) {
      const e = err as Error & { cause?: { code?: string } };
      results.push({ path: check.path, status: e.cause?.code ?? e.name, ok: false, ms: Math.round(performance.now() - started) });
    }
  }
  return results;
}
