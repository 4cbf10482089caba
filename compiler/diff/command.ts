/** `yamac diff [dir] [--against <git-ref>] [--fail-on breaking|access|any] [--json]`. */
import { realpathSync } from "node:fs";
import { resolve } from "node:path";
import { parseArgs } from "node:util";
import { formatDiagnostics } from "../diagnostics.js";
import { compileProject, compileText, findConfig } from "../index.js";
import { compareProjects, type Change } from "./compare.js";
import { readAtRef } from "./git.js";

const FAIL_ON = ["breaking", "access", "any"] as const;

const KIND_TITLE: Readonly<Record<Change["kind"], string>> = { api: "API", schema: "Database schema (migration impact)", auth: "Auth" };

export function formatChanges(changes: readonly Change[], ref: string, commit: string): string {
  if (changes.length === 0) return `no API, schema or auth changes since ${ref} (${commit.slice(0, 12)})`;
  const out = [`changes since ${ref} (${commit.slice(0, 12)}):`];
  for (const kind of ["api", "schema", "auth"] as const) {
    const group = changes.filter((c) => c.kind === kind);
    if (!group.length) continue;
    out.push("", `${KIND_TITLE[kind]}:`);
    for (const c of group) out.push(`  ${c.breaking ? "BREAKING " : c.widensAccess ? "ACCESS   " : "         "}${c.subject}: ${c.message}`);
  }
  const breaking = changes.filter((c) => c.breaking).length;
  const widening = changes.filter((c) => c.widensAccess).length;
  out.push("", `${changes.length} change${changes.length === 1 ? "" : "s"}, ${breaking} breaking${widening ? `, ${widening} widening access` : ""}`);
  return out.join("\n");
}

export async function diffCommand(args: string[], color: boolean): Promise<number> {
  const { values, positionals } = parseArgs({
    args,
    allowPositionals: true,
    options: { against: { type: "string" }, "fail-on": { type: "string" }, json: { type: "boolean" }, color: { type: "boolean" }, "no-color": { type: "boolean" } },
  });
  const failOn = values["fail-on"];
  if (failOn !== undefined && !(FAIL_ON as readonly string[]).includes(failOn)) {
    console.error(`yamac: --fail-on takes ${FAIL_ON.join(", ")}; got "${failOn}"`);
    return 2;
  }
  const dir = positionals[0] ?? ".";
  const ref = values.against ?? "HEAD";
  const current = compileProject(dir, { check: true });
  if (!current.ok) {
    console.error(formatDiagnostics(current.diagnostics, { color, sources: current.sources }));
    return 1;
  }
  const configPath = findConfig(resolve(dir))!;
  let old;
  try {
    old = readAtRef(realpathSync(dir), realpathSync(configPath), ref);
  } catch (err) {
    console.error(`yamac: ${(err as Error).message.trim()}`);
    return 1;
  }
  let before;
  if (old.text !== undefined) {
    const compiled = compileText(old.text, old.file, old.host);
    if (!compiled.ok) {
      console.error(`yamac: ${old.file} at ${ref} does not compile:`);
      console.error(formatDiagnostics(compiled.diagnostics.filter((d) => d.severity === "error"), { color, sources: compiled.sources }));
      return 1;
    }
    before = compiled.ir;
  }
  const changes = compareProjects(before, current.ir!);
  if (values.json) console.log(JSON.stringify({ against: ref, commit: old.commit, changes }, null, 2));
  else console.log(old.text === undefined ? `${old.file} did not exist at ${ref}: everything is new\n${formatChanges(changes, ref, old.commit)}` : formatChanges(changes, ref, old.commit));
  const fails = failOn === "any" ? changes.length > 0 : failOn === "breaking" ? changes.some((c) => c.breaking) : failOn === "access" ? changes.some((c) => c.breaking || c.widensAccess) : false;
  return fails ? 1 : 0;
}
