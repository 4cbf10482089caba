/** Dependency checks with deadlines: a hung database counts as down, not as a hung probe. */
export interface CheckResult {
  status: "ok" | "error";
  latencyMs: number;
  error?: string;
}

export async function runCheck(check: () => unknown, timeoutMs: number): Promise<CheckResult> {
  const started = performance.now();
  let timer: ReturnType<typeof setTimeout> | undefined;
  const deadline = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`timed out after ${timeoutMs} ms`)), timeoutMs);
  });
  try {
    const result = await Promise.race([check(), deadline]);
    if (result === false) return { status: "error", latencyMs: Math.round(performance.now() - started), error: "check failed" };
    return { status: "ok", latencyMs: Math.round(performance.now() - started) };
  } catch (err) {
    // The message names the failure (refused, timed out) without connection details.
    const code = (err as { code?: unknown }).code;
    return { status: "error", latencyMs: Math.round(performance.now() - started), error: typeof code === "string" ? code : err instanceof Error && err.message.startsWith("timed out") ? err.message : "unavailable" };
  } finally {
    clearTimeout(timer);
  }
}

/** One readiness check: fails when `run` throws, returns false, or outlives `timeoutMs`. */
export interface HealthCheck {
  name: string;
  /** A failing critical check makes readiness answer 503; others only mark it degraded. */
  critical: boolean;
  timeoutMs: number;
  run: () => unknown;
}

export interface HealthReport {
  /** ok: all pass; degraded: a non-critical check fails (still 200); unavailable: a critical one fails (503). */
  status: "ok" | "degraded" | "unavailable";
  checks: Record<string, CheckResult & { critical: boolean }>;
}

/** Runs every check at once and sums them up. */
export async function runChecks(checks: readonly HealthCheck[]): Promise<HealthReport> {
  const results = await Promise.all(checks.map((check) => runCheck(check.run, check.timeoutMs)));
  const report: HealthReport = { status: "ok", checks: {} };
  checks.forEach((check, i) => {
    const result = results[i]!;
    report.checks[check.name] = { ...result, critical: check.critical };
    if (result.status === "error") report.status = check.critical ? "unavailable" : report.status === "unavailable" ? "unavailable" : "degraded";
  });
  return report;
}
