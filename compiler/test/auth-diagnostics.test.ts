import { describe, expect, it } from "vitest";
import { compileText } from "../index.js";

const entity = `entities:\n  Note:\n    fields:\n      id: uuid!\n      title: string!\n    crud: true\n`;

describe("auth diagnostics", () => {
  it("a secret written into the config is an error at its line:col", () => {
    const r = compileText(`auth:\n  providers:\n    - type: jwt\n      secret: hunter2\n${entity}`);
    expect(r.ok).toBe(false);
    expect(r.diagnostics).toContainEqual(expect.objectContaining({ code: "secret-in-config", location: expect.objectContaining({ line: 4, col: 15 }) }));
  });

  it("an unknown provider type and an unknown option are reported", () => {
    const r = compileText(`auth:\n  providers:\n    - type: oauth-gitlab\n  rolez: {}\n${entity}`);
    expect(r.ok).toBe(false);
    expect(r.diagnostics.map((d) => d.code)).toEqual(expect.arrayContaining(["bad-plugin-option", "unknown-key"]));
    expect(r.diagnostics.find((d) => d.code === "unknown-key")).toMatchObject({ hint: 'did you mean "roles"?', location: expect.objectContaining({ line: 4, col: 3 }) });
  });

  it("an endpoint asking for auth without an auth: section is warned about, never silently public", () => {
    const r = compileText(`${entity}endpoints:\n  - path: /notes\n    method: GET\n    auth: {required: true}\n    response: Note[]\n`);
    expect(r.ok).toBe(true);
    expect(r.diagnostics).toContainEqual(expect.objectContaining({ severity: "warning", code: "auth-not-configured", location: expect.objectContaining({ line: 10, col: 5 }) }));
  });

  it("with providers, routes without an auth rule are protected by default", () => {
    const r = compileText(`auth:\n  providers:\n    - {type: jwt, secret: "\${JWT_SECRET}"}\n${entity}`);
    expect(r.ok).toBe(true);
    const rules = r.files!.find((f) => f.path === "src/plugins/auth.ts")!.content;
    for (const route of ['"GET", path: "/notes"', '"POST", path: "/notes"', '"DELETE", path: "/notes/:id"']) expect(rules).toContain(`method: ${route}`);
  });
});
