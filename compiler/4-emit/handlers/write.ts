/**
 * The `create-with-validation` and `update-with-validation` templates → the entity's CRUD write
 * (its body schema, its repository) with the configured checks in between. Every rule is one
 * `if`; all failing rules are reported together, like schema validation.
 */
import type { FieldIR, ValidationRuleIR, WriteHandlerIR } from "../../ir.js";
import { regexLiteral } from "../column-types.js";
import { pathParam } from "../path-params.js";
import { hookRequestArg, repositoryName } from "../repositories.js";
import { schemaNames } from "../validation.js";
import { ts } from "../writer.js";
import { entityOf, pkOf, type RouteModule } from "./inputs.js";

function checks(rule: ValidationRuleIR, field: FieldIR): string[] {
  const v = `input${/^[A-Za-z_$][\w$]*$/.test(field.name) ? `.${field.name}` : `[${ts(field.name)}]`}`;
  const out: string[] = [];
  const add = (test: string, message: string, name: string) =>
    out.push(`  if (${test}) problems.push({ field: ${ts(field.name)}, message: ${ts(rule.message ?? message)}, rule: ${ts(name)} });`);
  const present = `${v} !== undefined && ${v} !== null`;
  if (rule.min !== undefined) add(`${present} && ${v} < ${rule.min}`, `must be at least ${rule.min}`, "min");
  if (rule.max !== undefined) add(`${present} && ${v} > ${rule.max}`, `must be at most ${rule.max}`, "max");
  if (rule.minLength !== undefined) add(`${present} && ${v}.length < ${rule.minLength}`, `must be at least ${rule.minLength} characters`, "minLength");
  if (rule.maxLength !== undefined) add(`${present} && ${v}.length > ${rule.maxLength}`, `must be at most ${rule.maxLength} characters`, "maxLength");
  if (rule.pattern !== undefined) add(`${present} && !${regexLiteral(rule.pattern)}.test(${v})`, `must match ${rule.pattern}`, "pattern");
  return out;
}

export function emitWrite(m: RouteModule, h: WriteHandlerIR, status: number): void {
  const { imports, ep } = m;
  const entity = entityOf(m.ir, h.entity);
  const names = schemaNames(entity);
  const repo = repositoryName(entity);
  imports.add(`../repositories/${entity.fileName}.js`, repo).add("../lib/http.js", "readJson", "validate");
  // PUT replaces the row when CRUD declares the replace schema; otherwise it takes the full create body.
  const schema = h.operation === "create" ? names.create : h.operation === "replace" ? (entity.crud?.methods.includes("replace") ? names.replace : names.create) : entity.crud?.methods.includes("update") ? names.update : `${names.create}.partial()`;
  imports.add(`../validation/${entity.fileName}.js`, schema.replace(/\.partial\(\)$/, ""));
  if (h.operation !== "create") m.lines.push(`  const id = ${pathParam(pkOf(entity), ep.params[0]!.name, imports)};`);
  m.lines.push(`  const input = validate(${schema}, await readJson(c), "VALIDATION_BODY", "Invalid request body");`);
  const ruleLines = h.rules.flatMap((r) => checks(r, entity.fields.find((f) => f.name === r.field)!));
  if (ruleLines.length) {
    imports.add("../lib/errors.js", "ValidationError").type("../lib/errors.js", "ErrorDetail");
    m.lines.push(`  const problems: ErrorDetail[] = [];`, ...ruleLines, `  if (problems.length > 0) throw new ValidationError("Invalid request body", problems, "VALIDATION_BODY");`);
  }
  const code = status === 200 ? "" : `, ${status}`;
  if (h.operation === "create") m.lines.push(`  const row = await ${repo}.create(input${hookRequestArg(entity, "create")});`, `  return c.json(row${code});`);
  else {
    imports.add("../lib/errors.js", "NotFoundError");
    m.lines.push(`  const row = await ${repo}.update(id, input${hookRequestArg(entity, "update")});`, `  if (!row) throw new NotFoundError(\`${entity.name} \${id} not found\`);`, `  return c.json(row${code});`);
  }
}
