/**
 * Declarative handlers (`handler: {type: …}`): the one place that dispatches on `type`. Each
 * type has its own module that checks its keys strictly and returns a typed HandlerIR; the
 * emitters in compiler/4-emit/handlers/ turn those into specialised code.
 */
import { closest } from "../../diagnostics.js";
import type { HandlerIR } from "../../ir.js";
import type { ParsedConfig } from "../../1-parse/parse.js";
import { analyzeAggregate } from "./aggregate.js";
import type { HandlerScope } from "./common.js";
import { analyzeExpression } from "./expression.js";
import { checkKeys, configNode, isRecord, requireString, type ConfigNode, type Reporter } from "./node.js";
import { analyzeQuery } from "./query.js";
import { analyzeRelation } from "./relation.js";
import { analyzeSql } from "./sql.js";
import { analyzeTemplateUse, BUILTIN_TEMPLATES } from "./template.js";

export type { HandlerScope } from "./common.js";
export { collectCrudOverrides } from "./overrides.js";

export const HANDLER_TYPES = ["query", "relation", "aggregate", "sql", "expression", "template", "file"] as const;

export function analyzeHandler(node: ConfigNode, scope: HandlerScope): HandlerIR | undefined {
  if (!isRecord(node.value)) {
    scope.report.error("bad-value", "a handler should be a file path or a mapping with `type:`", node.loc());
    return undefined;
  }
  const type = node.at("type").value;
  switch (type) {
    case "query":
      return analyzeQuery(node, scope);
    case "relation":
      return analyzeRelation(node, scope);
    case "aggregate":
      return analyzeAggregate(node, scope);
    case "sql":
      return analyzeSql(node, scope);
    case "expression":
      return analyzeExpression(node, scope);
    case "template":
      return analyzeTemplateUse(node, scope, analyzeHandler);
    case "file": {
      checkKeys(node, ["type", "path"], "a file handler", scope.report);
      const path = requireString(node, "path", "a file handler", scope.report, "handlers/getThing.ts");
      return path === undefined ? undefined : scope.resolveFile(path, node.at("path").loc());
    }
    default: {
      // Reached through templates (`type: ${kind}`); direct uses are checked by the config schema.
      const s = typeof type === "string" ? closest(type, HANDLER_TYPES) : undefined;
      scope.report.error(type === undefined ? "missing-key" : "bad-value", type === undefined ? "a handler needs `type:`" : `unknown handler type ${JSON.stringify(type)}`, type === undefined ? node.loc("key") : node.at("type").loc(), s ? `did you mean "${s}"?` : `types: ${HANDLER_TYPES.join(", ")}`);
      return undefined;
    }
  }
}

/** `handlerTemplates:` by name, each checked to be a handler mapping. */
export function collectTemplates(parsed: ParsedConfig, report: Reporter): Map<string, ConfigNode> {
  const out = new Map<string, ConfigNode>();
  const root = configNode(parsed, ["handlerTemplates"]);
  if (!isRecord(root.value)) return out;
  for (const name of Object.keys(root.value)) {
    const node = root.at(name);
    if ((BUILTIN_TEMPLATES as readonly string[]).includes(name)) {
      report.error("bad-template", `"${name}" is a built-in template; a template of yours needs another name`, node.loc("key"));
      continue;
    }
    if (!isRecord(node.value) || node.value.type === undefined) {
      report.error("bad-template", `handler template "${name}" needs \`type:\` (query, relation, aggregate, sql or expression)`, node.loc("key"), "write it like a declarative handler, with ${param} where uses fill in values");
      continue;
    }
    out.set(name, node);
  }
  return out;
}

/** Warns about templates no endpoint uses (their mistakes would otherwise go unnoticed). */
export function reportUnusedTemplates(templates: ReadonlyMap<string, ConfigNode>, used: ReadonlySet<string>, report: Reporter): void {
  for (const [name, node] of templates) if (!used.has(name)) report.warn("unused-template", `handler template "${name}" is never used`, node.loc("key"), `use it with \`handler: {type: template, template: ${name}}\` or remove it`);
}
