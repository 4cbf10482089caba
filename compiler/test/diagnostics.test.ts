/**
 * Bad configs and the diagnostics they must produce: code, message, and the exact line:col
 * the caret points at. Also: several errors are reported at once, warnings do not fail the
 * build, and no input makes compileText throw.
 */
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { formatDiagnostics, type Diagnostic } from "../diagnostics.js";
import { compileText } from "../index.js";
import { FIXTURES, fixtureNames } from "./snapshot-lib.js";

/** A config from its lines, so the line numbers in the table below can be counted. */
const lines = (...l: string[]) => l.join("\n") + "\n";

interface Case {
  name: string;
  yaml: string;
  code: string;
  message: string | RegExp;
  line: number;
  col: number;
  /** A fragment of the hint, when the hint matters. */
  hint?: string | RegExp;
}

const cases: Case[] = [
  // YAML syntax
  {
    name: "bad indentation",
    yaml: lines("entities:", "  Post:", "    fields:", "      title: string!", "     body: text"),
    code: "yaml-syntax", message: "same column", line: 5, col: 6, hint: "indentation",
  },
  {
    name: "unclosed quote",
    yaml: lines("entities:", "  Post:", "    fields:", '      title: "string!'),
    code: "yaml-syntax", message: "quoted string is never closed", line: 4, col: 14, hint: 'closing "',
  },
  {
    name: "unclosed bracket",
    yaml: lines("entities:", "  Post:", "    fields:", "      title: string!", "    indexes: [title"),
    code: "yaml-syntax", message: "list is never closed: ] is missing", line: 5, col: 14, hint: "closing ]",
  },
  {
    name: "unclosed brace",
    yaml: lines("entities:", "  Post:", "    fields: {title: string!"),
    code: "yaml-syntax", message: "mapping is never closed: } is missing", line: 3, col: 13,
  },
  {
    name: "a type with [] unquoted in a one-line mapping",
    yaml: lines("entities:", "  Post:", "    fields: { id: uuid!, tags: string[], title: string! }"),
    code: "yaml-syntax", message: "string[] must be quoted", line: 3, col: 32, hint: 'write "string[]" in quotes',
  },
  {
    name: "${VAR} in a plugin option fixed at compile time",
    yaml: lines("plugins:", '  - "@betagors/yama-logging": { requests: "${LOG_REQUESTS}" }', "entities:", "  Post:", "    fields: { id: uuid! }"),
    code: "bad-plugin-option", message: "expected boolean", line: 2, col: 43, hint: "fixed when yamac compiles",
  },
  {
    name: "duplicate key",
    yaml: lines("entities:", "  Post:", "    fields:", "      title: string!", "      title: text"),
    code: "yaml-syntax", message: "unique", line: 5, col: 7, hint: "remove or rename",
  },
  {
    name: "several YAML documents",
    yaml: lines("entities: {}", "---", "name: x"),
    code: "yaml-syntax", message: "one YAML document", line: 2, col: 1,
  },
  {
    name: "alias to a missing anchor",
    yaml: lines("base: &base {a: 1}", "entities:", "  Post: *bsae"),
    code: "yaml-syntax", message: "Unresolved alias", line: 3, col: 9,
  },

  // the shape of the config
  {
    name: "empty config",
    yaml: "",
    code: "bad-config", message: "the config is empty", line: 1, col: 1, hint: "entities:",
  },
  {
    name: "config with only comments",
    yaml: lines("# nothing yet"),
    code: "bad-config", message: "the config is empty", line: 1, col: 1,
  },
  {
    name: "config that is a list",
    yaml: lines("- entities", "- Post"),
    code: "bad-config", message: "must be a mapping", line: 1, col: 1,
  },
  {
    name: "config that is a tagged binary value",
    yaml: lines("!!binary aGVsbG8="),
    code: "bad-config", message: "must be a mapping", line: 1, col: 10,
  },
  {
    name: "misspelt top-level key",
    yaml: lines("entites:", "  Post:", "    fields:", "      title: string!"),
    code: "unknown-key", message: 'unknown key "entites"', line: 1, col: 1, hint: 'did you mean "entities"?',
  },
  {
    name: "misspelt entity key",
    yaml: lines("entities:", "  Post:", "    feilds:", "      title: string!"),
    code: "unknown-key", message: 'unknown key "feilds" in entities.Post', line: 3, col: 5, hint: 'did you mean "fields"?',
  },
  {
    name: "misspelt long-form field key",
    yaml: lines("entities:", "  Post:", "    fields:", "      title:", "        type: string", "        requird: true"),
    code: "unknown-key", message: 'unknown key "requird"', line: 6, col: 9, hint: 'did you mean "required"?',
  },
  {
    name: "field that is a number",
    yaml: lines("entities:", "  Post:", "    fields:", "      views: 1"),
    code: "bad-value", message: "entities.Post.fields.views should be a string or a mapping", line: 4, col: 14,
  },
  {
    name: "OpenAPI-style endpoints keyed by path",
    yaml: lines("entities:", "  User:", "    fields:", "      name: string!", "endpoints:", "  /users:", "    get:", "      handler: handlers/list-users.ts"),
    code: "openapi-style-endpoints", message: "not YAMA syntax", line: 6, col: 3, hint: /endpoints:\n\s+- path: \/users\n\s+method: GET/,
  },

  // types
  {
    name: "unknown field type (caret on the type inside the shorthand)",
    yaml: lines("entities:", "  Post:", "    fields:", "      title: strng! unique"),
    code: "unknown-type", message: 'unknown type "strng" for field Post.title', line: 4, col: 14, hint: 'did you mean "string"?',
  },
  {
    name: "unknown field type in a quoted shorthand",
    yaml: lines("entities:", "  Post:", "    fields:", '      title: "strng! unique"'),
    code: "unknown-type", message: 'unknown type "strng"', line: 4, col: 15, hint: '"string"',
  },
  {
    name: "unknown type close to an entity name",
    yaml: lines("entities:", "  Category:", "    fields:", "      name: string!", "  Post:", "    fields:", "      category: Categroy!"),
    code: "unknown-type", message: 'unknown type "Categroy"', line: 7, col: 17, hint: 'did you mean "Category"?',
  },
  {
    name: "a type named like an Object.prototype member",
    yaml: lines("entities:", "  Post:", "    fields:", "      x: toString"),
    code: "unknown-type", message: 'unknown type "toString"', line: 4, col: 10,
  },
  {
    name: "empty enum()",
    yaml: lines("entities:", "  Post:", "    fields:", "      status: enum()"),
    code: "bad-type-params", message: "an enum needs at least one value", line: 4, col: 19,
  },
  {
    name: "enum without values",
    yaml: lines("entities:", "  Post:", "    fields:", "      status: enum!"),
    code: "enum-values", message: "enum field Post.status lists no values", line: 4, col: 15,
  },
  {
    name: "empty list in enums:",
    yaml: lines("enums:", "  Status: []", "entities:", "  Post:", "    fields:", "      status: Status"),
    code: "enum-values", message: "enum Status lists no values", line: 2, col: 11,
  },
  {
    name: "min above max",
    yaml: lines("entities:", "  Post:", "    fields:", "      rating: integer(10..1)"),
    code: "bad-type-params", message: "the range 10..1 is empty", line: 4, col: 22,
  },
  {
    name: "invalid regex in the shorthand",
    yaml: lines("entities:", "  Post:", "    fields:", "      code: string(/[a-z/)"),
    code: "bad-pattern", message: "the pattern /[a-z/ of Post.code is not a valid regular expression", line: 4, col: 19, hint: "character class",
  },
  {
    name: "invalid regex in the long form",
    yaml: lines("entities:", "  Post:", "    fields:", "      code:", "        type: string", '        pattern: "(a"'),
    code: "bad-pattern", message: "the pattern /(a/ of Post.code", line: 6, col: 18,
  },

  // defaults
  {
    name: "boolean default that is not a boolean",
    yaml: lines("entities:", "  Post:", "    fields:", "      done: boolean = maybe"),
    code: "bad-default", message: 'default "maybe" is not true or false', line: 4, col: 23,
  },
  {
    name: "integer default with a fraction",
    yaml: lines("entities:", "  Post:", "    fields:", "      count: integer = 1.5"),
    code: "bad-default", message: "default 1.5 is not an integer", line: 4, col: 24,
  },
  {
    name: "enum default not among the values",
    yaml: lines("entities:", "  Post:", "    fields:", "      status: enum(draft, published) = publishd"),
    code: "bad-default", message: 'default "publishd" is not one of the enum values (draft, published)', line: 4, col: 40, hint: 'did you mean "published"?',
  },
  {
    name: "list default in the shorthand",
    yaml: lines("entities:", "  Post:", "    fields:", "      tags: string[] = []"),
    code: "bad-default", message: 'default "[]" is not a list (field tags: string[])', line: 4, col: 24, hint: 'the long form: `tags: { type: "string[]", default: [] }`',
  },
  {
    name: "list default with a value outside the enum",
    yaml: lines("entities:", "  Post:", "    fields:", "      colors:", "        type: enum(red, green)[]", "        default: [red, gren]"),
    code: "bad-default", message: 'default "gren" is not one of the enum values (red, green)', line: 6, col: 18, hint: 'did you mean "green"?',
  },
  {
    name: "current_date on a timestamp",
    yaml: lines("entities:", "  Post:", "    fields:", "      seenAt: timestamp = current_date"),
    code: "bad-default", message: "default current_date is today's date, but field seenAt is timestamp", line: 4, col: 27, hint: "`= now`",
  },
  {
    name: "now on an integer",
    yaml: lines("entities:", "  Post:", "    fields:", "      count: integer = now"),
    code: "bad-default", message: "default now is the current time, which does not fit field count: integer", line: 4, col: 24, hint: "timestamp, date and time fields",
  },

  // modifiers
  {
    name: "misspelt modifier",
    yaml: lines("entities:", "  Post:", "    fields:", "      title: string! uniqe"),
    code: "bad-modifier", message: 'unknown modifier "uniqe" on Post.title', line: 4, col: 22, hint: 'did you mean "unique"?',
  },
  {
    name: "relation modifier on a scalar",
    yaml: lines("entities:", "  Post:", "    fields:", "      title: string cascade"),
    code: "bad-modifier", message: '"cascade" only applies to relations', line: 4, col: 21,
  },
  {
    name: "unknown onDelete action",
    yaml: lines("entities:", "  User:", "    fields:", "      name: string!", "  Post:", "    fields:", "      author: User! onDelete:cascde"),
    code: "bad-modifier", message: "onDelete:cascde is not a referential action", line: 7, col: 21, hint: 'did you mean "cascade"?',
  },

  // relations and tables
  {
    name: "dangling hasMany",
    yaml: lines("entities:", "  User:", "    fields:", "      name: string!", "      posts: Post[]", "  Post:", "    fields:", "      title: string!"),
    code: "dangling-relation", message: "User.posts lists Post[], but Post has no reference to User", line: 5, col: 14, hint: "user: User!",
  },
  {
    name: "relation to an unknown entity",
    yaml: lines("entities:", "  Post:", "    fields:", "      title: string!", "    relations:", "      author: belongsTo(Author)"),
    code: "unknown-entity", message: 'relation Post.author points to unknown entity "Author"', line: 6, col: 15,
  },
  {
    name: "required relation with setNull",
    yaml: lines("entities:", "  User:", "    fields:", "      name: string!", "  Post:", "    fields:", "      author: User! setNull"),
    code: "bad-on-delete", message: "cannot be set to null", line: 7, col: 15, hint: "cascade or restrict",
  },
  {
    name: "two entities with the same table",
    yaml: lines("entities:", "  Post:", "    table: items", "    fields:", "      title: string!", "  Article:", "    table: items", "    fields:", "      title: string!"),
    code: "duplicate-table", message: 'entities Post and Article both use the table "items"', line: 6, col: 3,
  },
  {
    name: "index naming an unknown field",
    yaml: lines("entities:", "  Post:", "    fields:", "      title: string!", "    indexes:", "      - [title, slug]"),
    code: "unknown-field", message: 'index on Post names unknown field "slug"', line: 6, col: 9,
  },
  {
    name: "validation list on an unknown field",
    yaml: lines("entities:", "  Post:", "    fields:", "      title: string!", "    validations:", "      titel: [email]"),
    code: "unknown-field", message: "validation rule refers to unknown field Post.titel", line: 6, col: 15, hint: 'did you mean "title"?',
  },
  {
    name: "validation rule on an unknown field",
    yaml: lines("entities:", "  Post:", "    fields:", "      title: string!", "    validation:", "      titleMin:", "        field: titel", "        rule: minLength", "        params: [3]"),
    code: "unknown-field", message: "unknown field Post.titel", line: 7, col: 16, hint: 'did you mean "title"?',
  },

  // crud
  {
    name: "unknown HTTP method in crud.enabled",
    yaml: lines("entities:", "  Post:", "    fields:", "      title: string!", "    crud: {enabled: [GET, FETCH]}"),
    code: "bad-value", message: "entities.Post.crud.enabled.1 must be one of: GET, POST, PUT, PATCH, DELETE", line: 5, col: 27,
  },
  {
    name: "page size above maxLimit",
    yaml: lines("entities:", "  Post:", "    fields:", "      title: string!", "    crud: {pagination: {limit: 500, maxLimit: 100}}"),
    code: "bad-crud-option", message: "the default page size 500 is above maxLimit 100", line: 5, col: 32, hint: "maxLimit",
  },
  {
    name: "array field in crud.filters",
    yaml: lines("entities:", "  Post:", "    fields:", "      tags: string[]", "    crud: {filters: [tags]}"),
    code: "bad-crud-option", message: "crud.filters: Post.tags is an array (string[])", line: 5, col: 22, hint: "remove tags from crud.filters",
  },

  // database
  {
    name: "password in database.url",
    yaml: lines("database:", "  url: postgres://app:hunter2@db.example.com/app", "entities:", "  Post:", "    fields:", "      title: string!"),
    code: "secret-in-config", message: "database.url contains a password", line: 2, col: 8, hint: "${DATABASE_URL}",
  },
];

const errorsOf = (yaml: string): Diagnostic[] => compileText(yaml, "yama.yaml").diagnostics.filter((d) => d.severity === "error");

describe("diagnostics for bad configs", () => {
  it.each(cases.map((c) => [c.name, c] as const))("%s", (_, c) => {
    const result = compileText(c.yaml, "yama.yaml");
    expect(result.ok).toBe(false);
    expect(result.files).toBeUndefined();
    const matching = result.diagnostics.filter((d) => d.code === c.code);
    expect(matching, `diagnostics: ${JSON.stringify(result.diagnostics, null, 2)}`).toHaveLength(1);
    const d = matching[0]!;
    expect(d.severity).toBe("error");
    expect(d.message).toMatch(c.message);
    expect({ file: d.location.file, line: d.location.line, col: d.location.col }).toEqual({ file: "yama.yaml", line: c.line, col: c.col });
    if (c.hint !== undefined) expect(d.hint ?? "").toMatch(c.hint);
    // One problem, one diagnostic: no follow-up errors for the same mistake.
    expect(result.diagnostics.filter((x) => x.severity === "error")).toHaveLength(1);
  });

  it("a type with commas in a one-line mapping (cut by YAML at the comma) is told to be quoted", () => {
    const errors = errorsOf(lines("entities:", "  Post:", "    fields: { id: uuid!, status: enum(draft, published) }"));
    expect(errors[0]).toMatchObject({ code: "bad-field-syntax", message: expect.stringMatching("unbalanced parentheses"), location: { line: 3, col: 34 } });
    expect(errors[0]!.hint).toMatch('quote a type that holds commas: "enum(');
  });

  it("the logging level may name an environment variable, whose fallback must be a level", () => {
    const config = (level: string) => lines("plugins:", `  - "@betagors/yama-logging": { level: "${level}" }`, "entities:", "  Post:", "    fields: { id: uuid! }");
    const logging = (level: string) => compileText(config(level), "yama.yaml").files?.find((f) => f.path === "src/plugins/logging.ts")?.content ?? "";
    expect(logging("${APP_LOG_LEVEL:-debug}")).toContain(`level: process.env.LOG_LEVEL ?? (process.env.APP_LOG_LEVEL || "debug"),`);
    expect(logging("${LOG_LEVEL:-warn}")).toContain(`level: process.env.LOG_LEVEL || "warn",`);
    expect(logging("error")).toContain(`level: process.env.LOG_LEVEL ?? "error",`);
    expect(errorsOf(config("${APP_LOG_LEVEL:-loud}"))).toMatchObject([{ code: "bad-plugin-option", location: { line: 2, col: 40 } }]);
  });

  it("reports every error of a config in one compile, in source order", () => {
    const yaml = lines(
      "entities:",
      "  User:",
      "    fields:",
      "      name: strng!",
      "      active: boolean = maybe",
      "      email: string! uniqe",
      "      posts: Post[]",
      "  Post:",
      "    fields:",
      "      rating: integer(10..1)",
      "    indexes:",
      "      - slug",
    );
    const errors = errorsOf(yaml);
    expect(errors.map((d) => [d.code, d.location.line, d.location.col])).toEqual([
      ["unknown-type", 4, 13],
      ["bad-default", 5, 25],
      ["bad-modifier", 6, 22],
      ["dangling-relation", 7, 14],
      ["bad-type-params", 10, 22],
      ["unknown-field", 12, 9],
    ]);
  });

  it("reports every misspelt key at once", () => {
    const yaml = lines("entites:", "  Post: {}", "databse:", "  url: x", "servr:", "  port: 3000");
    const errors = errorsOf(yaml);
    expect(errors.map((d) => [d.code, d.location.line, d.hint])).toEqual([
      ["unknown-key", 1, 'did you mean "entities"?'],
      ["unknown-key", 3, 'did you mean "database"?'],
      ["unknown-key", 5, 'did you mean "server"?'],
    ]);
  });

  it("a regex with escaped brackets is a valid pattern", () => {
    const result = compileText(lines("entities:", "  Post:", "    fields:", "      code: string(/^\\d+\\)[(]$/)!"), "yama.yaml");
    expect(result.diagnostics).toEqual([]);
    expect(result.ok).toBe(true);
    expect(result.ir!.entities[0]!.fields.find((f) => f.name === "code")!.pattern).toBe("^\\d+\\)[(]$");
  });
});

describe("warnings", () => {
  it("do not fail the build", () => {
    const yaml = lines("monitoring:", "  enabled: true", "entities:", "  Post:", "    fields:", "      title: string!", "    crud: true");
    const result = compileText(yaml, "yama.yaml");
    expect(result.ok).toBe(true);
    expect(result.files!.length).toBeGreaterThan(0);
    expect(result.diagnostics).toHaveLength(1);
    expect(result.diagnostics[0]).toMatchObject({ severity: "warning", code: "not-yet-compiled", location: { file: "yama.yaml", line: 1, col: 1 } });
    expect(result.diagnostics[0]!.message).toContain("monitoring");
  });
});

describe("formatDiagnostics", () => {
  const yaml = lines("entities:", "  Post:", "    fields:", "      title: strng! unique", "  Tag:", "    fields:", "      name: string! uniqe");
  const result = compileText(yaml, "yama.yaml");

  it("prints file:line:col, the source line, a caret under the span and the hint", () => {
    const out = formatDiagnostics(result.diagnostics, { color: false, sources: result.sources });
    expect(out).toContain('yama.yaml:4:14: error: unknown type "strng" for field Post.title [unknown-type]');
    expect(out).toContain("  4 |       title: strng! unique\n    |              ^^^^^\n  = hint: did you mean \"string\"?");
    expect(out).toContain('yama.yaml:7:21: error: unknown modifier "uniqe" on Tag.name [bad-modifier]');
    expect(out).toContain("  7 |       name: string! uniqe\n    |                     ^^^^^");
    expect(out.split("\n").at(-1)).toBe("2 errors");
    expect(out).not.toContain("\x1b[");
  });

  it("colours only when asked", () => {
    expect(formatDiagnostics(result.diagnostics, { color: true, sources: result.sources })).toContain("\x1b[");
  });

  it("prints no source line when the source is unknown", () => {
    const out = formatDiagnostics(result.diagnostics, { color: false });
    expect(out).toContain("yama.yaml:4:14: error:");
    expect(out).not.toContain(" | ");
  });
});

describe("compileText never throws", () => {
  const nasty = [
    "\u0000", "\uFEFFentities: {}", "? [a]\n: 1", "a: &x [*x]", "entities:\n  User:\n    <<: 5", "__proto__: 1",
    "entities: !!set {a}", "entities:\n  Post: !!binary aGVsbG8=", "entities:\n  Post:\n    fields:\n      n: !!int \"3\"",
    "entities:\n  Post:\n    fields:\n      x: constructor", "entities:\n  Post:\n    fields:\n      x: hasOwnProperty",
    "entities:\n  User:\n    fields:\n      n: string\n  Post:\n    fields:\n      u: User toString",
    "entities:\n  User:\n    fields:\n      n: string\n  Post:\n    fields:\n      u: User onDelete:__proto__",
    "entities:\n  Post:\n    fields:\n      x: \"=\"", "entities:\n  Post:\n    fields:\n      x: \"string][\"", "entities:\n  Post:\n    fields:\n      x: string(",
    "entities:\n  Post:\n    fields:\n      x: \"string(/a/\"", "entities:\n  Post:\n    fields:\n      x: \"enum(a,a)\"",
    "entities:\n  \"\": {fields: {a: string}}", "entities:\n  Post:\n    fields:\n      \"\": string",
    "entities:\n  User:\n    fields:\n      profile: Profile?\n  Profile:\n    fields:\n      user: User?",
    "entities:\n  Post:\n    fields:\n      kids: Post[]", "entities:\n  Post:\n    fields:\n      parent: Post?",
    "entities:\n  User:\n    fields:\n      n: string\n    relations:\n      me: {type: belongsTo, target: User, foreignKey: n}",
  ];

  const check = (text: string) => {
    let result;
    try {
      result = compileText(text, "yama.yaml");
    } catch (err) {
      throw new Error(`compileText threw on ${JSON.stringify(text)}: ${(err as Error).stack}`);
    }
    const lineCount = text.split("\n").length;
    for (const d of result.diagnostics) {
      expect(d.location.line, `${d.code} in ${JSON.stringify(text)}`).toBeGreaterThanOrEqual(1);
      expect(d.location.line, `${d.code} in ${JSON.stringify(text)}`).toBeLessThanOrEqual(lineCount);
      expect(d.location.col).toBeGreaterThanOrEqual(1);
    }
    if (!result.ok) expect(result.diagnostics.some((d) => d.severity === "error")).toBe(true);
  };

  it("on odd inputs", () => {
    for (const text of nasty) check(text);
  });

  it("on mutated fixtures", () => {
    const seeds = fixtureNames().map((name) => readFileSync(join(FIXTURES, name, "yama.yaml"), "utf8"));
    const tokens = ["null", "[]", "{}", "1", "-1", "true", "Post", "User", "string!", '"', "[", "]", ":", "  ", "- a", "~", "&a", "*a", "enum()", "(", ")", "=", "!", "?", "through:x", "cascade", "0.5", "/", "json[]", "toString"];
    let state = 12345;
    const random = (n: number) => {
      state = (state * 1103515245 + 12345) & 0x7fffffff;
      return state % n;
    };
    for (let i = 0; i < 400; i++) {
      const text = seeds[random(seeds.length)]!.split("\n");
      for (let k = 1 + random(3); k > 0; k--) {
        const at = random(text.length);
        const line = text[at]!;
        const p = random(line.length + 1);
        switch (random(4)) {
          case 0: text.splice(at, 1); break;
          case 1: text[at] = line.includes(": ") ? line.slice(0, line.indexOf(": ") + 2) + tokens[random(tokens.length)] : line; break;
          case 2: text[at] = line.slice(0, p) + tokens[random(tokens.length)] + line.slice(p); break;
          case 3: text[at] = line.slice(0, p) + line.slice(p + 1 + random(4)); break;
        }
      }
      check(text.join("\n"));
    }
  });
});

describe("the diagnostics catalog", () => {
  it("docs/diagnostics.md lists every code the compiler reports", async () => {
    const { readdirSync, readFileSync, statSync } = await import("node:fs");
    const { join } = await import("node:path");
    const root = new URL("../..", import.meta.url).pathname;
    const files: string[] = [];
    const walk = (dir: string) => {
      for (const name of readdirSync(dir)) {
        const full = join(dir, name);
        if (statSync(full).isDirectory()) {
          if (name !== "test") walk(full);
        } else if (name.endsWith(".ts")) files.push(full);
      }
    };
    walk(join(root, "compiler"));
    const codes = new Set<string>();
    for (const f of files) for (const m of readFileSync(f, "utf8").matchAll(/\.(?:error|warn)\(\s*"([a-z-]+)"/g)) codes.add(m[1]!);
    const catalog = readFileSync(join(root, "docs/diagnostics.md"), "utf8");
    expect([...codes].filter((c) => !catalog.includes(`\`${c}\``))).toEqual([]);
  });
});

describe("crud filters and sort", () => {
  it("a belongsTo relation's name stands for its foreign key, as in indexes", () => {
    const r = compileText(lines("name: t", "entities:", "  Team:", "    fields: { id: uuid!, name: string! }", "  Player:", "    fields: { id: uuid!, name: string!, team: Team? }", "    crud: { filters: [team], sort: [team] }"));
    expect(r.diagnostics).toEqual([]);
    const validation = r.files!.find((f) => f.path === "src/validation/player.ts")!.content;
    expect(validation).toMatch(/ListQuerySchema = z\.strictObject\(\{[^]*teamId: z\.uuid\(\)\.optional\(\)/);
  });
});
