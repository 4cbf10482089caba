/**
 * `type: template`: a named handler from `handlerTemplates:` with its `${param}` placeholders
 * filled in, or one of the built-in templates.
 *
 *   handlerTemplates:
 *     searchBy:
 *       type: query
 *       entity: ${entity}
 *       filters: ${filters}
 *       pagination: true
 *
 *   handler: {type: template, template: searchBy, params: {entity: Product, filters: [...]}}
 *   handler: {type: template, template: searchBy, entity: Product, filters: [...]}     # same
 *
 * A placeholder that is a key's whole value takes any YAML value (lists, mappings); without an
 * argument the key is left out. Inside a longer string it takes a scalar and is required.
 *
 * Built-in templates: `create-with-validation` (POST) and `update-with-validation` (PUT/PATCH),
 * a CRUD write of `entity` with extra checks: `validate: [{field, min, max, minLength, maxLength, pattern, message}]`.
 */
import { closest } from "../../diagnostics.js";
import type { FieldIR, HandlerIR, ValidationRuleIR, WriteHandlerIR } from "../../ir.js";
import { NUMERIC_TYPES, STRING_TYPES } from "../types.js";
import { resolveEntity, type HandlerScope } from "./common.js";
import { checkKeys, isRecord, requireString, templateNode, templateUses, type ConfigNode, type Reporter } from "./node.js";

export const BUILTIN_TEMPLATES = ["create-with-validation", "update-with-validation"] as const;
const WRITE_KEYS = ["type", "template", "entity", "validate"];
const RULE_KEYS = ["field", "min", "max", "minLength", "maxLength", "pattern", "message"];

/** A reporter that says which template use a diagnostic comes through. */
function through(report: Reporter, template: string, line: number): Reporter {
  const note = (message: string) => `${message} (in template "${template}" used at line ${line})`;
  return {
    error: (code, message, loc, hint) => report.error(code, note(message), loc, hint),
    warn: (code, message, loc, hint) => report.warn(code, note(message), loc, hint),
  };
}

export function analyzeTemplateUse(node: ConfigNode, scope: HandlerScope, analyze: (node: ConfigNode, scope: HandlerScope) => HandlerIR | undefined): HandlerIR | undefined {
  const name = requireString(node, "template", "a template handler", scope.report, [...scope.templates.keys()][0] ?? "create-with-validation");
  if (name === undefined) return undefined;
  if ((BUILTIN_TEMPLATES as readonly string[]).includes(name)) return analyzeWrite(node, scope, name as (typeof BUILTIN_TEMPLATES)[number]);
  const body = scope.templates.get(name);
  if (!body) {
    const s = closest(name, [...scope.templates.keys(), ...BUILTIN_TEMPLATES]);
    scope.report.error("unknown-template", `unknown handler template "${name}"`, node.at("template").loc(), s ? `did you mean "${s}"?` : scope.templates.size ? `templates: ${[...scope.templates.keys(), ...BUILTIN_TEMPLATES].join(", ")}` : "define it under `handlerTemplates:`");
    return undefined;
  }
  if (scope.via.includes(name)) {
    scope.report.error("bad-template", `template "${name}" uses itself (${[...scope.via, name].join(" → ")})`, node.at("template").loc());
    return undefined;
  }
  scope.usedTemplates.add(name);

  // Arguments: `params: {...}` and any other key next to `template:`.
  const args = new Map<string, ConfigNode>();
  const paramsNode = node.at("params");
  if (paramsNode.value !== undefined && !isRecord(paramsNode.value)) scope.report.error("bad-value", "`params` of a template handler should be a mapping of template parameters", paramsNode.loc());
  if (isRecord(paramsNode.value)) for (const k of Object.keys(paramsNode.value)) args.set(k, paramsNode.at(k));
  const uses = templateUses(body);
  const wanted = [...new Set(uses.map((u) => u.name))];
  for (const k of Object.keys(node.value as Record<string, unknown>)) {
    if (k === "type" || k === "template" || k === "params") continue;
    if (args.has(k)) scope.report.error("bad-template", `template parameter "${k}" is given twice (here and under params)`, node.at(k).loc("key"));
    args.set(k, node.at(k));
  }
  let ok = true;
  for (const [k, arg] of args) {
    if (wanted.includes(k)) continue;
    const s = closest(k, wanted);
    scope.report.error("unknown-key", `template "${name}" has no parameter "${k}"`, arg.loc("key"), s ? `did you mean "${s}"?` : wanted.length ? `its parameters: ${wanted.join(", ")}` : `"${name}" takes no parameters`);
    ok = false;
  }
  for (const use of uses) {
    if (use.whole) continue;
    const arg = args.get(use.name);
    if (!arg) {
      scope.report.error("bad-template", `template "${name}" needs parameter "${use.name}" (it is part of a longer text)`, node.loc("key"), `add \`${use.name}: …\``);
      ok = false;
    } else if (typeof arg.value === "object" && arg.value !== null) {
      scope.report.error("bad-template", `template parameter "${use.name}" is used inside a text, so it must be a single value`, arg.loc());
      ok = false;
    }
  }
  if (!ok) return undefined;
  const expanded = templateNode(body, args);
  return analyze(expanded, { ...scope, report: through(scope.report, name, node.loc().line), via: [...scope.via, name] });
}

function analyzeRules(node: ConfigNode, scope: HandlerScope, entityName: string, writable: ReadonlyMap<string, FieldIR>): ValidationRuleIR[] | undefined {
  if (node.value === undefined) return [];
  if (!Array.isArray(node.value)) {
    scope.report.error("bad-validate-rule", "`validate` should be a list of {field, min, max, minLength, maxLength, pattern}", node.loc());
    return undefined;
  }
  const rules: ValidationRuleIR[] = [];
  let ok = true;
  node.value.forEach((_, i) => {
    const item = node.at(i);
    const v = item.value;
    if (!isRecord(v)) {
      scope.report.error("bad-validate-rule", "a validation rule should be a mapping such as {field: price, min: 0}", item.loc());
      ok = false;
      return;
    }
    checkKeys(item, RULE_KEYS, "a validation rule", scope.report);
    const field = typeof v.field === "string" ? writable.get(v.field) : undefined;
    if (!field) {
      const s = typeof v.field === "string" ? closest(v.field, [...writable.keys()]) : undefined;
      scope.report.error(v.field === undefined ? "missing-key" : "unknown-field", v.field === undefined ? "a validation rule needs `field:`" : `${entityName} has no writable field "${String(v.field)}"`, v.field === undefined ? item.loc() : item.at("field").loc(), s ? `did you mean "${s}"?` : `writable fields: ${[...writable.keys()].join(", ")}`);
      ok = false;
      return;
    }
    const rule: ValidationRuleIR = { field: field.name, loc: item.loc() };
    const numeric = NUMERIC_TYPES.has(field.type) && field.type !== "money" && !field.array;
    const text = STRING_TYPES.has(field.type) && !field.array;
    for (const key of ["min", "max", "minLength", "maxLength"] as const) {
      if (v[key] === undefined) continue;
      const n = v[key];
      const lengthRule = key === "minLength" || key === "maxLength";
      if (typeof n !== "number" || !Number.isFinite(n) || (lengthRule && (!Number.isInteger(n) || n < 0))) {
        scope.report.error("bad-validate-rule", `${key} should be ${lengthRule ? "a non-negative integer" : "a number"}`, item.at(key).loc());
        ok = false;
      } else if (lengthRule ? !text : !numeric) {
        scope.report.error("bad-validate-rule", `${key} applies to ${lengthRule ? "text" : "number"} fields, but ${entityName}.${field.name} is ${field.array ? "a list" : field.type}`, item.at(key).loc("key"), lengthRule ? "use min/max for numbers" : "use minLength/maxLength for text");
        ok = false;
      } else rule[key] = n;
    }
    if (v.pattern !== undefined) {
      let valid = typeof v.pattern === "string" && text;
      if (valid) {
        try {
          new RegExp(v.pattern as string);
        } catch {
          valid = false;
        }
      }
      if (!valid) {
        scope.report.error("bad-validate-rule", text ? "pattern should be a valid regular expression" : `pattern applies to text fields, but ${entityName}.${field.name} is ${field.type}`, item.at("pattern").loc());
        ok = false;
      } else rule.pattern = v.pattern as string;
    }
    if (v.message !== undefined) {
      if (typeof v.message !== "string") scope.report.error("bad-validate-rule", "message should be a string", item.at("message").loc());
      else rule.message = v.message;
    }
    if (rule.min === undefined && rule.max === undefined && rule.minLength === undefined && rule.maxLength === undefined && rule.pattern === undefined && ok) {
      scope.report.error("bad-validate-rule", `the rule on ${field.name} checks nothing`, item.loc(), "add min, max, minLength, maxLength or pattern");
      ok = false;
      return;
    }
    rules.push(rule);
  });
  return ok ? rules : undefined;
}

function analyzeWrite(node: ConfigNode, scope: HandlerScope, template: (typeof BUILTIN_TEMPLATES)[number]): WriteHandlerIR | undefined {
  checkKeys(node, WRITE_KEYS, `the ${template} template`, scope.report);
  const entity = resolveEntity(node, scope, `the ${template} template`);
  if (!entity) return undefined;
  const { method, label } = scope.endpoint;
  const override = scope.override?.operation;
  let operation: WriteHandlerIR["operation"] | undefined;
  if (template === "create-with-validation") operation = (override ?? (method === "POST" ? "create" : undefined)) === "create" ? "create" : undefined;
  else {
    const op = override ?? (method === "PUT" ? "replace" : method === "PATCH" ? "update" : undefined);
    operation = op === "replace" || op === "update" ? op : undefined;
  }
  if (!operation) {
    scope.report.error("bad-template", `${template} ${template.startsWith("create") ? "creates a row: use it on POST" : "changes a row: use it on PUT or PATCH"}, not on ${override ? `the ${override} route` : method}`, node.at("template").loc(), template.startsWith("create") ? "use update-with-validation for PUT/PATCH" : "use create-with-validation for POST");
    return undefined;
  }
  if (operation !== "create" && scope.endpoint.params.length === 0) {
    scope.report.error("bad-template", `${template} needs the row's id in the path, but ${label} has no path parameter`, node.loc("key"), "add /:id to the path");
    return undefined;
  }
  if (scope.endpoint.body) {
    scope.report.error("bad-template", `${template} validates the body as ${entity.name}'s ${operation} input; \`body:\` cannot be declared too`, scope.endpoint.loc, "remove the endpoint's `body:`");
    return undefined;
  }
  const writable = new Map(entity.fields.filter((f) => !f.readonly && !(f.primary && f.generated) && !f.autoUpdate).map((f) => [f.name, f]));
  const rules = analyzeRules(node.at("validate"), scope, entity.name, writable);
  if (!rules) return undefined;
  return { kind: "write", entity: entity.name, operation, rules, loc: node.loc() };
}
