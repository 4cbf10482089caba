/**
 * Bad options of the observability plugins (metrics, tracing, error tracking, health, the
 * `monitoring:` section): each is a diagnostic with its code and line:col, never a crash or a
 * silently ignored setting. Also: what the emitted app contains with and without them.
 */
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import type { Diagnostic } from "../diagnostics.js";
import { compileProject, compileText } from "../index.js";

const entity = `entities:\n  Note:\n    fields:\n      id: uuid!\n      title: string!\n    crud: true\n`;
const at = (line: number, col: number) => expect.objectContaining({ line, col });

function errors(text: string): Diagnostic[] {
  const r = compileText(text);
  expect(r.ok).toBe(false);
  return r.diagnostics.filter((d) => d.severity === "error");
}

function onlyError(text: string): Diagnostic {
  const found = errors(text);
  expect(found, JSON.stringify(found)).toHaveLength(1);
  return found[0]!;
}

describe("metrics options", () => {
  it("rejects a metric name Prometheus cannot carry, at the name", () => {
    const d = onlyError(`plugins:\n  "@betagors/yama-metrics":\n    custom:\n      - {name: orders.placed, type: counter}\n${entity}`);
    expect(d).toMatchObject({ code: "bad-plugin-option", message: expect.stringContaining("must be a Prometheus metric name"), location: at(4, 16) });
  });

  it("reports a metric declared twice across custom and monitoring.custom, and one clashing with the built-in series", () => {
    const found = errors(`plugins:\n  "@betagors/yama-metrics":\n    custom:\n      - {name: signups, type: counter}\nmonitoring:\n  custom:\n    - {name: signups, type: counter}\n    - {name: http_server_requests, type: counter}\n${entity}`);
    expect(found.map((d) => d.code)).toEqual(["duplicate-metric", "duplicate-metric"]);
    expect(found[0]).toMatchObject({ message: 'metric "signups" is declared twice (first at line 4)', location: at(7, 14) });
    expect(found[1]).toMatchObject({ message: expect.stringContaining("clashes with the built-in series http_server_requests"), location: at(8, 14) });
  });

  it("checks buckets, labels and types of custom metrics", () => {
    const found = errors(`plugins:\n  "@betagors/yama-metrics":\n    buckets: [1, 0.5]\n    custom:\n      - {name: depth, type: gauge, buckets: [1, 2]}\n      - {name: size, type: histogram, labels: [kind, kind]}\n      - {name: odd, type: summary}\n${entity}`);
    expect(found.map((d) => [d.code, d.location.line])).toEqual([
      ["bad-plugin-option", 7],
    ]);
    const more = errors(`plugins:\n  "@betagors/yama-metrics":\n    buckets: [1, 0.5]\n    custom:\n      - {name: depth, type: gauge, buckets: [1, 2]}\n      - {name: size, type: histogram, labels: [kind, kind]}\n${entity}`);
    expect(more.map((d) => [d.code, d.location.line, d.message])).toEqual([
      ["bad-plugin-option", 3, "buckets must be increasing"],
      ["bad-plugin-option", 5, "depth is a gauge; only histograms have buckets"],
      ["bad-plugin-option", 6, "size lists a label twice"],
    ]);
  });

  it("a scrape token written into the config is a secret in the config", () => {
    const d = onlyError(`plugins:\n  "@betagors/yama-metrics":\n    token: hunter2hunter2\n${entity}`);
    expect(d).toMatchObject({ code: "secret-in-config", location: at(3, 12), hint: expect.stringContaining("${METRICS_TOKEN}") });
  });

  it("a misspelt option gets a suggestion", () => {
    const d = onlyError(`plugins:\n  "@betagors/yama-metrics":\n    pth: /m\n${entity}`);
    expect(d).toMatchObject({ code: "unknown-key", hint: 'did you mean "path"?', location: at(3, 5) });
  });
});

describe("monitoring section", () => {
  it("is validated when a plugin reads it, once even when several do", () => {
    const found = errors(`plugins: ["@betagors/yama-metrics", "@betagors/yama-tracing"]\nmonitoring:\n  sampling: {rate: 2}\n  custom:\n    - {name: jobs, type: counter, descripton: x}\n${entity}`);
    expect(found.map((d) => [d.code, d.location.line])).toEqual([
      ["bad-plugin-option", 3],
      ["unknown-key", 5],
    ]);
    expect(found[1]!.hint).toBe('did you mean "description"?');
  });

  it("without a plugin that reads it, warns that it is ignored", () => {
    const r = compileText(`monitoring:\n  custom:\n    - {name: jobs, type: counter}\n${entity}`);
    expect(r.ok).toBe(true);
    expect(r.diagnostics).toEqual([expect.objectContaining({ severity: "warning", code: "not-yet-compiled", location: at(1, 1) })]);
  });
});

describe("tracing and error tracking options", () => {
  it("rejects a sampling ratio outside 0..1 and a literal collector token", () => {
    const found = errors(`plugins:\n  "@betagors/yama-tracing":\n    sampling: 1.5\n    headers:\n      Authorization: Bearer abc\n${entity}`);
    expect(found.map((d) => [d.code, d.location.line])).toEqual([["bad-plugin-option", 3]]);
    const token = onlyError(`plugins:\n  "@betagors/yama-tracing":\n    headers:\n      Authorization: Bearer abc\n${entity}`);
    expect(token).toMatchObject({ code: "secret-in-config", location: at(4, 22) });
    expect(onlyError(`plugins:\n  "@betagors/yama-tracing": {exporter: jaeger}\n${entity}`)).toMatchObject({ code: "bad-plugin-option", location: at(2, 40) });
  });

  it("a DSN written into the config is a secret in the config", () => {
    const d = onlyError(`plugins:\n  "@betagors/yama-error-tracking":\n    dsn: https://abc@o1.ingest.example/1\n${entity}`);
    expect(d).toMatchObject({ code: "secret-in-config", message: "the Sentry DSN is written in the config", location: at(3, 10) });
  });
});

describe("health checks", () => {
  function project(yaml: string, files: Record<string, string>): string {
    const dir = mkdtempSync(join(tmpdir(), "yamac-health-"));
    writeFileSync(join(dir, "yama.yaml"), yaml);
    for (const [path, content] of Object.entries(files)) {
      mkdirSync(join(dir, path, ".."), { recursive: true });
      writeFileSync(join(dir, path), content);
    }
    return dir;
  }

  it("reports a missing handler file, a built-in or repeated name, and a file without the export", () => {
    const yaml = `plugins:\n  "@betagors/yama-health":\n    checks:\n      - {name: stripe, handler: handlers/health/stripe.ts}\n      - {name: database, handler: handlers/health/db.ts}\n      - {name: cache, handler: handlers/health/cache.ts}\n      - {name: cache, handler: handlers/health/cache.ts}\n${entity}`;
    const dir = project(yaml, { "handlers/health/cache.ts": "export const other = 1;\n" });
    try {
      const r = compileProject(dir);
      expect(r.ok).toBe(false);
      const found = r.diagnostics.filter((d) => d.severity === "error").map((d) => [d.code, d.location.line, d.location.col]);
      expect(found).toEqual([
        ["missing-handler", 4, 33],
        ["duplicate-check", 5, 16],
        ["bad-handler", 6, 32],
        ["duplicate-check", 7, 16],
      ]);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe("emitted code", () => {
  const files = (text: string) => {
    const r = compileText(text);
    expect(r.ok, JSON.stringify(r.diagnostics)).toBe(true);
    return new Map(r.files!.map((f) => [f.path, f.content]));
  };

  it("an app without the plugins contains none of their code or dependencies", () => {
    const out = files(`${entity}endpoints:\n  - {path: /x, method: GET, handler: handlers/x.ts}\n`);
    const all = [...out.values()].join("\n");
    expect(all).not.toMatch(/opentelemetry|@sentry|onQuery|query-hooks|metrics|tracing/i);
    expect([...out.keys()].filter((p) => /metrics|tracing|error-tracking|query-hooks/.test(p))).toEqual([]);
  });

  it("metrics without custom metrics add no ctx.metrics, and `database: false` no query hook", () => {
    const out = files(`plugins:\n  "@betagors/yama-metrics": {database: false, path: /internal/metrics}\n${entity}endpoints:\n  - {path: /x, method: GET, handler: handlers/x.ts}\n`);
    expect(out.get("src/context.ts")).not.toContain("metrics");
    expect(out.get("src/app.ts")).not.toContain("onQuery");
    expect(out.get("src/plugins/metrics.ts")).toContain('metricsRoutes.get("/internal/metrics"');
    expect(JSON.parse(out.get("package.json")!).dependencies).toMatchObject({ "@opentelemetry/exporter-prometheus": expect.any(String) });
  });
});

describe("rate limit options", () => {
  it("an app-wide limit given twice (rateLimit and rateLimits.default) is a warning at the one not applied", () => {
    const r = compileText(`name: t\nrateLimit: {maxRequests: 6, windowMs: 60000}\nrateLimits:\n  default: {window: 1m, max: 50}\n${entity}`);
    expect(r.ok).toBe(true);
    expect(r.diagnostics).toEqual([expect.objectContaining({ code: "rate-limit-twice", severity: "warning", location: at(4, 3) })]);
  });
});
