/**
 * `type: expression` → the inline code as a function of the endpoint module, typed like a handler
 * file: it receives the endpoint's `<Name>Context` and its result is checked against the declared
 * response, so tsc checks the code where it runs. The route around it is a handler file's.
 */
import type { EndpointIR, ExpressionHandlerIR, ProjectIR } from "../../ir.js";
import type { Imports } from "../writer.js";
import { pascalCase } from "../../2-analyze/types.js";

/** Error classes the code may throw without importing them. */
const ERRORS = ["ApiError", "ConflictError", "ForbiddenError", "NotFoundError", "UnauthorizedError", "UnprocessableError", "ValidationError"];

/** Indexes of the lines of `code` that start inside a template literal. */
export function linesInTemplates(code: string): Set<number> {
  const out = new Set<number>();
  // Nesting of template literals and the `${ … }` inside them, with the braces open in each.
  const stack: ({ kind: "template" } | { kind: "expr"; braces: number })[] = [];
  let state: "code" | "'" | '"' | "line" | "block" = "code";
  let line = 0;
  for (let i = 0; i < code.length; i++) {
    const ch = code[i]!;
    const top = stack.at(-1);
    if (ch === "\n") {
      line++;
      if (top?.kind === "template") out.add(line);
      if (state === "line") state = "code";
      continue;
    }
    if (top?.kind === "template") {
      if (ch === "\\") i++;
      else if (ch === "`") stack.pop();
      else if (ch === "$" && code[i + 1] === "{") {
        stack.push({ kind: "expr", braces: 0 });
        i++;
      }
      continue;
    }
    if (state === "'" || state === '"') {
      if (ch === "\\") i++;
      else if (ch === state) state = "code";
    } else if (state === "line") continue;
    else if (state === "block") {
      if (ch === "*" && code[i + 1] === "/") {
        state = "code";
        i++;
      }
    } else if (ch === "'" || ch === '"') state = ch;
    else if (ch === "/" && code[i + 1] === "/") state = "line";
    else if (ch === "/" && code[i + 1] === "*") state = "block";
    else if (ch === "`") stack.push({ kind: "template" });
    else if (top?.kind === "expr" && ch === "{") top.braces++;
    else if (top?.kind === "expr" && ch === "}") {
      if (top.braces === 0) stack.pop();
      else top.braces--;
    }
  }
  return out;
}

export function expressionHandler(ep: EndpointIR, h: ExpressionHandlerIR, ir: ProjectIR, imports: Imports): string {
  const uses = (name: string) => new RegExp(`\\b${name}\\b`).test(h.code);
  const errors = ERRORS.filter(uses);
  if (errors.length) imports.add("../lib/errors.js", ...errors);
  const bindings = [
    ...(uses("context") ? ["  const context = ctx;"] : []),
    ...(["params", "query", "body"].some(uses) ? [`  const { ${["params", "query", "body"].filter(uses).join(", ")} } = ctx;`] : []),
  ];
  // Indented into the function, except lines that continue a template literal (their text would change).
  const keep = linesInTemplates(h.code);
  const code = h.code.split("\n").map((l, i) => (l === "" || keep.has(i) ? l : `  ${l}`)).join("\n");
  const body = h.isExpression ? `  return ${code.trim()};` : code;
  return `/** The handler of ${ep.method} ${ep.path}, written inline at ${ir.configFile}:${h.codeLoc.line}. */
async function handler(ctx: ${pascalCase(ep.name)}Context) {
${[...bindings, body].join("\n")}
}`;
}
