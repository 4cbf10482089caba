/**
 * Bad declarative handlers (query, relation, aggregate, sql, expression, templates, CRUD
 * overrides) and the diagnostics they produce: code, a fragment of the message and of the
 * hint, and the line:col the caret points at.
 */
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import type { Diagnostic } from "../diagnostics.js";
import { compileText, folderHost } from "../index.js";
import { FIXTURES, ROOT } from "./snapshot-lib.js";

/** Lines 1–13: two entities; endpoints start at line 14. */
const BASE = [
  "entities:",
  "  Product:",
  "    fields:",
  "      id: uuid!",
  "      name: string!",
  "      price: number!",
  "      secret: string? sensitive",
  "      category: Category?",
  "    crud: true",
  "  Category:",
  "    fields:",
  "      id: uuid!",
  "      name: string!",
];

/** A config: BASE, then `endpoints:` with one endpoint (path, method, then `rest`), then `after`. */
function config(path: string, method: string, rest: string[], after: string[] = []): string {
  return [...BASE, "endpoints:", `  - path: ${path}`, `    method: ${method}`, ...rest, ...after].join("\n") + "\n";
}

interface Case {
  name: string;
  yaml: string;
  code: string;
  message: string | RegExp;
  /** The line, and the text the caret must start at (its first occurrence on that line, or the n-th with [text, n]). */
  line: number;
  at: string | [string, number];
  hint?: string | RegExp;
  severity?: "error" | "warning";
}

/** Line numbers of the endpoint's own lines: `rest[0]` is on line 17. */
const L = (i: number) => 17 + i;

const cases: Case[] = [
  // Keys and types
  {
    name: "unknown key in a query handler",
    yaml: config("/x", "GET", ["    handler: {type: query, entity: Product, filter: []}"]),
    code: "unknown-key", message: 'unknown key "filter" in a query handler', line: L(0), at: "filter", hint: 'did you mean "filters"?',
  },
  {
    name: "misspelt handler type",
    yaml: config("/x", "GET", ["    handler: {type: qeury, entity: Product}"]),
    code: "bad-value", message: "must be one of", line: L(0), at: "qeury", hint: 'did you mean "query"?',
  },
  {
    name: "missing entity",
    yaml: config("/x", "GET", ["    handler:", "      type: query"]),
    code: "missing-key", message: "a query handler needs `entity:`", line: L(0), at: "handler",
  },
  {
    name: "misspelt entity",
    yaml: config("/x", "GET", ["    handler: {type: query, entity: Prodcut}"]),
    code: "unknown-entity", message: 'unknown entity "Prodcut"', line: L(0), at: "Prodcut", hint: 'did you mean "Product"?',
  },
  // Filters
  {
    name: "misspelt field in a filter",
    yaml: config("/x", "GET", ["    handler:", "      type: query", "      entity: Product", "      filters:", "        - {field: nmae, operator: eq, param: query.q}", "    query:", "      q: string"]),
    code: "unknown-field", message: 'Product has no field "nmae"', line: L(4), at: "nmae", hint: 'did you mean "name"?',
  },
  {
    name: "misspelt operator",
    yaml: config("/x", "GET", ["    handler:", "      type: query", "      entity: Product", "      filters:", "        - {field: name, operator: ilikee, param: query.q}", "    query:", "      q: string"]),
    code: "unknown-operator", message: 'unknown filter operator "ilikee"', line: L(4), at: "ilikee", hint: 'did you mean "ilike"?',
  },
  {
    name: "misspelt key in a filter",
    yaml: config("/x", "GET", ["    handler:", "      type: query", "      entity: Product", "      filters:", "        - {field: name, operater: eq, param: query.q}", "    query:", "      q: string"]),
    code: "unknown-key", message: 'unknown key "operater" in a filter', line: L(4), at: "operater", hint: 'did you mean "operator"?',
  },
  {
    name: "filter parameter not declared",
    yaml: config("/x", "GET", ["    handler:", "      type: query", "      entity: Product", "      filters:", "        - {field: name, operator: ilike, param: query.serch}", "    query:", "      search: string"]),
    code: "undeclared-input", message: "reads query.serch, which GET /x does not declare", line: L(4), at: "query.serch", hint: 'did you mean "query.search"?',
  },
  {
    name: "filter parameter with nothing declared",
    yaml: config("/x", "GET", ["    handler:", "      type: query", "      entity: Product", "      filters:", "        - {field: name, operator: ilike, param: query.q}"]),
    code: "undeclared-input", message: "does not declare", line: L(4), at: "query.q", hint: "declare it on the endpoint: `query: {q: string}`",
  },
  {
    name: "body parameter on GET",
    yaml: config("/x", "GET", ["    handler:", "      type: query", "      entity: Product", "      filters:", "        - {field: name, param: body.name}"]),
    code: "undeclared-input", message: "GET requests carry no body", line: L(4), at: "body.name", hint: "use query.name",
  },
  {
    name: "malformed parameter reference",
    yaml: config("/x", "GET", ["    handler:", "      type: query", "      entity: Product", "      filters:", "        - {field: name, param: query.q.x}"]),
    code: "bad-input-ref", message: '"query.q.x" is not a request reference', line: L(4), at: "query.q.x", hint: "query.<name>",
  },
  {
    name: "LIKE on a number",
    yaml: config("/x", "GET", ["    handler:", "      type: query", "      entity: Product", "      filters:", "        - {field: price, operator: like, param: query.q}", "    query:", "      q: string"]),
    code: "bad-filter", message: "like searches text, but Product.price is number", line: L(4), at: "like",
  },
  {
    name: "parameter of the wrong type",
    yaml: config("/x", "GET", ["    handler:", "      type: query", "      entity: Product", "      filters:", "        - {field: price, operator: gte, param: query.min}", "    query:", "      min: string"]),
    code: "bad-filter", message: "Product.price is number, but query.min is string", line: L(4), at: "query.min", hint: "declare min with the field's type (number)",
  },
  {
    name: "filter on a sensitive field",
    yaml: config("/x", "GET", ["    handler:", "      type: query", "      entity: Product", "      filters:", "        - {field: secret, operator: eq, value: x}"]),
    code: "hidden-field", message: "Product.secret is never sent to clients", line: L(4), at: "secret",
  },
  {
    name: "between with one bound",
    yaml: config("/x", "GET", ["    handler:", "      type: query", "      entity: Product", "      filters:", "        - {field: price, operator: between, param: query.min}", "    query:", "      min: number"]),
    code: "bad-filter", message: "between needs two bounds", line: L(4), at: "query.min", hint: "[query.minPrice, query.maxPrice]",
  },
  {
    name: "in from a path parameter",
    yaml: config("/x/:name", "GET", ["    handler:", "      type: query", "      entity: Product", "      filters:", "        - {field: name, operator: in, param: params.name}"]),
    code: "bad-filter", message: "in needs a list, but params.name is a path parameter", line: L(4), at: "params.name",
  },
  {
    name: "constant of the wrong type",
    yaml: config("/x", "GET", ["    handler:", "      type: query", "      entity: Product", "      filters:", "        - {field: price, operator: lt, value: cheap}"]),
    code: "bad-filter", message: 'the value "cheap" cannot be compared with Product.price', line: L(4), at: "cheap", hint: "a number",
  },
  {
    name: "param and value together",
    yaml: config("/x", "GET", ["    handler:", "      type: query", "      entity: Product", "      filters:", "        - {field: price, param: query.p, value: 3}", "    query:", "      p: number"]),
    code: "bad-filter", message: "either `param`", line: L(4), at: "value",
  },
  // ORDER BY and pagination
  {
    name: "orderBy on an unknown field",
    yaml: config("/x", "GET", ["    handler:", "      type: query", "      entity: Product", "      orderBy: {field: nam, direction: desc}"]),
    code: "unknown-field", message: 'Product has no field "nam" (orderBy)', line: L(3), at: "nam,", hint: 'did you mean "name"?',
  },
  {
    name: "orderBy with a bad direction",
    yaml: config("/x", "GET", ["    handler:", "      type: query", "      entity: Product", "      orderBy: {field: name, direction: up}"]),
    code: "bad-sort", message: 'direction should be asc or desc, not "up"', line: L(3), at: "up",
  },
  {
    name: "orderBy from an undeclared parameter",
    yaml: config("/x", "GET", ["    handler:", "      type: query", "      entity: Product", "      orderBy: query.sort"]),
    code: "undeclared-input", message: "orderBy reads query.sort", line: L(3), at: "query.sort",
  },
  {
    name: "orderBy sort string naming an unknown field",
    yaml: config("/x", "GET", ["    handler:", "      type: query", "      entity: Product", "      orderBy: -prise"]),
    code: "unknown-field", message: 'Product has no field "prise"', line: L(3), at: "-prise", hint: 'did you mean "price"?',
  },
  {
    name: "cursor pagination",
    yaml: config("/x", "GET", ["    handler:", "      type: query", "      entity: Product", "      pagination: {type: cursor}"]),
    code: "bad-pagination", message: 'pagination type "cursor" is not compiled', line: L(3), at: "cursor",
  },
  {
    name: "pagination limit that is not an integer",
    yaml: config("/x", "GET", ["    handler:", "      type: query", "      entity: Product", "      pagination: {limit: query.limit}", "    query:", "      limit: string"]),
    code: "bad-pagination", message: "query.limit is string, but pagination.limit is an integer", line: L(3), at: "query.limit",
  },
  {
    name: "pagination with a single response",
    yaml: config("/x", "GET", ["    handler:", "      type: query", "      entity: Product", "      pagination: true", "    response: Product"]),
    code: "bad-pagination", message: "returns one Product, so it cannot be paginated", line: L(3), at: "pagination",
  },
  {
    name: "response of another entity",
    yaml: config("/x", "GET", ["    handler: {type: query, entity: Product}", "    response: Category[]"]),
    code: "response-mismatch", message: "declares response Category[], but its query returns Product rows", line: 15, at: "path",
  },
  // Relations
  {
    name: "misspelt relation",
    yaml: config("/products/:id/category", "GET", ["    handler: {type: relation, entity: Product, relation: categry, parentId: params.id}"]),
    code: "unknown-relation", message: 'Product has no relation "categry"', line: L(0), at: "categry", hint: 'did you mean "category"?',
  },
  {
    name: "relation parent id a request may leave out",
    yaml: config("/products/category", "GET", ["    handler: {type: relation, entity: Product, relation: category, parentId: query.id}", "    query:", "      id: uuid"]),
    code: "bad-relation", message: "parentId reads query.id, which a request may leave out", line: L(0), at: "query.id",
  },
  {
    name: "pagination on a belongsTo relation",
    yaml: config("/products/:id/category", "GET", ["    handler: {type: relation, entity: Product, relation: category, parentId: params.id, pagination: true}"]),
    code: "bad-relation", message: "belongsTo: it points at one row", line: L(0), at: "pagination",
  },
  {
    name: "relation handler without parentId",
    yaml: config("/products/:id/category", "GET", ["    handler: {type: relation, entity: Product, relation: category}"]),
    code: "missing-key", message: "needs `parentId:`", line: L(0), at: "handler", hint: "parentId: params.id",
  },
  // Aggregates
  {
    name: "unknown aggregate",
    yaml: config("/x", "GET", ["    handler:", "      type: aggregate", "      entity: Product", "      operations:", "        - {type: medain, field: price}"]),
    code: "unknown-operator", message: 'unknown aggregate "medain"', line: L(4), at: "medain", hint: "aggregates: count, sum, avg, min, max",
  },
  {
    name: "sum of text",
    yaml: config("/x", "GET", ["    handler:", "      type: aggregate", "      entity: Product", "      operations:", "        - {type: sum, field: name, alias: total}"]),
    code: "bad-aggregate", message: "sum adds numbers, but Product.name is string", line: L(4), at: "name",
  },
  {
    name: "two operations with one alias",
    yaml: config("/x", "GET", ["    handler:", "      type: aggregate", "      entity: Product", "      operations:", "        - {type: count, alias: n}", "        - {type: max, field: price, alias: n}"]),
    code: "bad-aggregate", message: '"n" names two values of the result', line: L(5), at: "n}",
  },
  {
    name: "misspelt groupBy field",
    yaml: config("/x", "GET", ["    handler:", "      type: aggregate", "      entity: Product", "      groupBy: nme", "      operations: [{type: count}]"]),
    code: "unknown-field", message: 'Product has no field "nme" (groupBy)', line: L(3), at: "nme", hint: 'did you mean "name"?',
  },
  // SQL
  {
    name: "sql placeholder naming an undeclared input",
    yaml: config("/x", "GET", ["    handler:", "      type: sql", "      query: SELECT * FROM products WHERE price > :minPrise", "    query:", "      minPrice: number"]),
    code: "undeclared-input", message: "the sql placeholder :minPrise reads minPrise", line: L(2), at: ":minPrise", hint: 'did you mean "minPrice"?',
  },
  {
    name: "sql placeholder inside a block, on its own line",
    yaml: config("/x", "GET", ["    handler:", "      type: sql", "      query: |", "        SELECT *", "        FROM products", "        WHERE name = ${query.nmae}"]),
    code: "undeclared-input", message: "${query.nmae}", line: L(5), at: "${query.nmae}",
  },
  {
    name: "positional sql parameter",
    yaml: config("/x", "GET", ["    handler:", "      type: sql", "      query: \"SELECT * FROM products WHERE price > $1\""]),
    code: "bad-sql", message: "positional parameter $1 cannot be bound", line: L(2), at: "$1", hint: ":name",
  },
  {
    name: "two sql statements",
    yaml: config("/x", "GET", ["    handler:", "      type: sql", "      query: SELECT 1; DELETE FROM products"]),
    code: "bad-sql", message: "a sql handler runs one statement", line: L(2), at: ";",
  },
  // Expressions
  {
    name: "expression and code together",
    yaml: config("/x", "GET", ["    handler:", "      type: expression", "      expression: 1", "      code: 2"]),
    code: "bad-expression", message: "takes `expression:` or `code:`, not both", line: L(3), at: "code",
  },
  {
    name: "expression handler without code",
    yaml: config("/x", "GET", ["    handler:", "      type: expression"]),
    code: "missing-key", message: "needs `expression:`", line: L(0), at: "handler",
  },
  // Templates
  {
    name: "misspelt template",
    yaml: config("/x", "GET", ["    handler: {type: template, template: searhBy}"], ["handlerTemplates:", "  searchBy: {type: query, entity: Product}"]),
    code: "unknown-template", message: 'unknown handler template "searhBy"', line: L(0), at: "searhBy", hint: 'did you mean "searchBy"?',
  },
  {
    name: "argument the template has no parameter for",
    yaml: config("/x", "GET", ["    handler: {type: template, template: byEntity, entiy: Product}"], ["handlerTemplates:", '  byEntity: {type: query, entity: "${entity}"}']),
    code: "unknown-key", message: 'template "byEntity" has no parameter "entiy"', line: L(0), at: "entiy", hint: 'did you mean "entity"?',
  },
  {
    name: "a mistake inside a template names the use",
    yaml: config("/x", "GET", ["    handler: {type: template, template: byEntity, entity: Product}"], ["handlerTemplates:", '  byEntity: {type: query, entity: "${entity}", orderBy: prise}']),
    code: "unknown-field", message: '(in template "byEntity" used at line 17)', line: 19, at: "prise", hint: 'did you mean "price"?',
  },
  {
    name: "a template using itself",
    yaml: config("/x", "GET", ["    handler: {type: template, template: loop}"], ["handlerTemplates:", "  loop: {type: template, template: loop}"]),
    code: "bad-template", message: 'template "loop" uses itself (loop → loop)', line: 19, at: "loop}",
  },
  {
    name: "an unused template",
    yaml: config("/x", "GET", ["    handler: {type: query, entity: Product}"], ["handlerTemplates:", "  spare: {type: query, entity: Product}"]),
    code: "unused-template", message: 'handler template "spare" is never used', line: 19, at: "spare", severity: "warning",
  },
  {
    name: "create-with-validation on GET",
    yaml: config("/x", "GET", ["    handler: {type: template, template: create-with-validation, entity: Product}"]),
    code: "bad-template", message: "create-with-validation creates a row: use it on POST, not on GET", line: L(0), at: "create-with-validation",
  },
  {
    name: "validation rule on an unknown field",
    yaml: config("/x", "POST", ["    handler:", "      type: template", "      template: create-with-validation", "      entity: Product", "      validate:", "        - {field: prise, min: 0}"]),
    code: "unknown-field", message: 'Product has no writable field "prise"', line: L(5), at: "prise", hint: 'did you mean "price"?',
  },
  {
    name: "minLength on a number",
    yaml: config("/x", "POST", ["    handler:", "      type: template", "      template: create-with-validation", "      entity: Product", "      validate:", "        - {field: price, minLength: 2}"]),
    code: "bad-validate-rule", message: "minLength applies to text fields, but Product.price is number", line: L(5), at: "minLength", hint: "use min/max",
  },
  // CRUD overrides
  {
    name: "crudOverrides with GET",
    yaml: [...BASE.slice(0, 9), "    crudOverrides:", "      GET:", "        handler: {type: query, entity: Product}", ...BASE.slice(9)].join("\n") + "\n",
    code: "bad-crud-override", message: '"GET" is not a CRUD route', line: 11, at: "GET", hint: "GET_LIST",
  },
  {
    name: "crudOverrides for an entity without CRUD",
    yaml: [...BASE, "crudOverrides:", "  Category:", "    POST:", "      handler: {type: template, template: create-with-validation}"].join("\n") + "\n",
    code: "bad-crud-override", message: "Category has no CRUD routes to override", line: 16, at: "POST", hint: "crud: true",
  },
  {
    name: "top-level crudOverrides naming an unknown entity",
    yaml: [...BASE, "crudOverrides:", "  Prodct:", "    POST:", "      handler: {type: template, template: create-with-validation}"].join("\n") + "\n",
    code: "unknown-entity", message: 'crudOverrides names unknown entity "Prodct"', line: 15, at: "Prodct", hint: 'did you mean "Product"?',
  },
  {
    name: "misspelt key of a crudOverrides entry",
    yaml: [...BASE.slice(0, 9), "    crudOverrides:", "      POST:", "        handlr: {type: query, entity: Product}", ...BASE.slice(9)].join("\n") + "\n",
    code: "unknown-key", message: 'unknown key "handlr"', line: 12, at: "handlr", hint: 'did you mean "handler"?',
  },
];

function find(diagnostics: readonly Diagnostic[], c: Case): Diagnostic | undefined {
  return diagnostics.find((d) => d.code === c.code && (typeof c.message === "string" ? d.message.includes(c.message) : c.message.test(d.message)));
}

describe("declarative handler diagnostics", () => {
  it.each(cases)("$name", (c) => {
    const result = compileText(c.yaml);
    const d = find(result.diagnostics, c);
    expect(d, `expected ${c.code} "${c.message}", got:\n${result.diagnostics.map((x) => `${x.location.line}:${x.location.col} ${x.code} ${x.message}`).join("\n")}`).toBeDefined();
    const text = c.yaml.split("\n")[c.line - 1]!;
    const [token, nth] = typeof c.at === "string" ? [c.at, 1] : c.at;
    let col = -1;
    for (let i = 0; i < nth; i++) col = text.indexOf(token, col + 1);
    expect(col, `"${token}" on line ${c.line}: ${text}`).toBeGreaterThanOrEqual(0);
    expect({ line: d!.location.line, col: d!.location.col }).toEqual({ line: c.line, col: col + 1 });
    expect(d!.severity).toBe(c.severity ?? "error");
    if (c.hint !== undefined) {
      if (typeof c.hint === "string") expect(d!.hint ?? "").toContain(c.hint);
      else expect(d!.hint ?? "").toMatch(c.hint);
    }
    if ((c.severity ?? "error") === "error") expect(result.ok).toBe(false);
  });

  it("reports every bad handler of a config at once", () => {
    const yaml = config("/a", "GET", ["    handler: {type: query, entity: Prodcut}", "  - path: /b", "    method: GET", "    handler: {type: aggregate, entity: Product, operations: [{type: medain}]}"]);
    const codes = compileText(yaml).diagnostics.map((d) => d.code);
    expect(codes).toEqual(expect.arrayContaining(["unknown-entity", "unknown-operator"]));
  });

  it("accepts every handler type of fixtures/handlers without diagnostics", () => {
    const result = compileText(readFileSync(join(FIXTURES, "handlers", "yama.yaml"), "utf8"), "yama.yaml", folderHost(join(FIXTURES, "handlers")));
    expect(result.diagnostics).toEqual([]);
    expect(result.ok).toBe(true);
  });

  it("compiles the example of docs/handlers.md without diagnostics", () => {
    const doc = readFileSync(join(ROOT, "docs", "handlers.md"), "utf8");
    const example = /^```yaml\n([\s\S]*?)^```$/m.exec(doc)![1]!;
    const result = compileText(example);
    expect(result.diagnostics).toEqual([]);
    expect(result.ok).toBe(true);
  });
});
