import { Node, Project, SyntaxKind } from "ts-morph";
import { describe, expect, it } from "vitest";
import { fixtureNames, snapshotFiles } from "./snapshot-lib.js";

/**
 * No emitted code builds SQL text out of request input: values always travel as parameters
 * (Drizzle placeholders, `sql` template values, postgres.js tagged templates). The only raw
 * SQL is compile-time text (string literals).
 */
describe("emitted SQL", () => {
  const project = new Project({ useInMemoryFileSystem: true });
  const files = fixtureNames().flatMap((name) =>
    [...snapshotFiles(name)].filter(([p]) => p.startsWith("src/") && p.endsWith(".ts") && !p.startsWith("src/lib/")).map(([p, text]) => project.createSourceFile(`/${name}/${p}`, text, { overwrite: true })),
  );

  function offendersIn(sources: readonly ReturnType<typeof project.createSourceFile>[]): string[] {
    const offenders: string[] = [];
    for (const file of sources) {
      for (const call of file.getDescendantsOfKind(SyntaxKind.CallExpression)) {
        const callee = call.getExpression().getText();
        if (!/(^|\.)(raw|unsafe|execute)$/.test(callee) || callee.endsWith("Statement.execute") || /^(findById|deleteById|byId|parent|statement|insertStatement\(.*\)|listStatement\(.*\)|countStatement\(.*\))\.execute$/.test(callee)) continue;
        if (/\.execute$/.test(callee) && !/^(db|tx)\./.test(callee)) continue; // prepared statements: values are bound by name
        const arg = call.getArguments()[0];
        if (arg && !Node.isStringLiteral(arg) && !Node.isNoSubstitutionTemplateLiteral(arg) && !Node.isTaggedTemplateExpression(arg)) {
          offenders.push(`${file.getFilePath()}:${call.getStartLineNumber()}: ${call.getText().slice(0, 80)}`);
        }
      }
      // A template literal (not a tagged sql`…`) that mentions SQL keywords would be string-built SQL.
      for (const t of file.getDescendantsOfKind(SyntaxKind.TemplateExpression)) {
        if (Node.isTaggedTemplateExpression(t.getParent()!)) continue;
        if (/\b(select|insert|update|delete)\b[\s\S]*\b(from|into|set|where)\b/i.test(t.getText())) offenders.push(`${file.getFilePath()}:${t.getStartLineNumber()}: ${t.getText().slice(0, 80)}`);
      }
    }
    return offenders;
  }

  it("never passes a non-literal to sql.raw, unsafe or execute", () => {
    expect(offendersIn(files)).toEqual([]);
  });

  it("would catch SQL built from input", () => {
    const bad = project.createSourceFile("/bad.ts", "const q = `select * from users where name = '${name}'`;\ndb.execute(sql.raw(q));\nsql.raw(input);\n", { overwrite: true });
    // The template literal, execute() of a non-literal, and both sql.raw() calls.
    expect(offendersIn([bad]).length).toBe(4);
  });

  it("checks a meaningful amount of code", () => {
    expect(files.length).toBeGreaterThan(80);
  });
});
