/**
 * `type: expression`: inline TypeScript, compiled as a typed function of the endpoint module.
 *
 *   handler:
 *     type: expression
 *     expression: |                        # or `code:`
 *       const product = await ctx.entities.Product.findById(params.id);
 *       if (!product) throw new NotFoundError(`Product ${params.id} not found`);
 *       return { ...product, priceLabel: `$${product.price.toFixed(2)}` };
 *
 * The code is a function body (it uses `return`) or a single expression (returned as is). It sees
 * `ctx` (also as `context`), `params`, `query` and `body`, typed like a handler file's.
 */
import type { ExpressionHandlerIR } from "../../ir.js";
import { resolveEntity, type HandlerScope } from "./common.js";
import { checkKeys, type ConfigNode } from "./node.js";
import { textLines } from "./sql.js";

export const EXPRESSION_KEYS = ["type", "expression", "code", "entity"];

export function analyzeExpression(node: ConfigNode, scope: HandlerScope): ExpressionHandlerIR | undefined {
  checkKeys(node, EXPRESSION_KEYS, "an expression handler", scope.report);
  if (node.at("entity").value !== undefined && !resolveEntity(node, scope, "an expression handler")) return undefined;
  const hasExpression = node.at("expression").value !== undefined;
  const hasCode = node.at("code").value !== undefined;
  if (hasExpression && hasCode) {
    scope.report.error("bad-expression", "an expression handler takes `expression:` or `code:`, not both", node.at("code").loc("key"));
    return undefined;
  }
  const key = hasCode ? "code" : "expression";
  const codeNode = node.at(key);
  if (typeof codeNode.value !== "string" || codeNode.value.trim() === "") {
    scope.report.error(codeNode.value === undefined ? "missing-key" : "bad-expression", codeNode.value === undefined ? "an expression handler needs `expression:` (TypeScript)" : "`expression` should be TypeScript code", codeNode.value === undefined ? node.loc("key") : codeNode.loc(), "write e.g. `expression: ctx.entities.Product.count()`");
    return undefined;
  }
  const code = codeNode.value.replace(/\s+$/, "");
  const lines = codeNode.path ? textLines(scope.configText, codeNode.loc(), codeNode.value) : undefined;
  const start = lines?.[0];
  const codeLoc = start ? { ...codeNode.loc(), line: start.line, col: start.col } : codeNode.loc();
  return { kind: "expression", code, isExpression: !/\breturn\b/.test(code), codeLoc, loc: node.loc() };
}
