/** One dependency check with a deadline: a hung database counts as down, not as a hung probe. */
export interface CheckResult {
  status: "ok" | "error";
  latencyMs: number;
  error?: string;
}

export async function runCheck(check: () => Promise<unknown>, timeoutMs: number): Promise<CheckResult> {
  const started = performance.now();
  let timer: ReturnType<typeof setTimeout> | undefined;
  const deadline = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`timed out after ${timeoutMs} ms`)), timeoutMs);
  });
  try {
    await Promise.race([check(), deadline]);
    return { status: "ok", latencyMs: Math.round(performance.now() - started) };
  } catch (err) {
    // The message names the failure (refused, timed out) without connection details.
    const code = (err as { code?: unknown }).code;
    return { status: "error", latencyMs: Math.round(performance.now() - started), error: typeof code === "string" ? code : err instanceof Error && err.message.startsWith("timed out") ? err.message : "unavailable" };
  } finally {
    clearTimeout(timer);
  }
}
