/**
 * `crudOverrides:`: endpoints that replace CRUD routes. Each entry is an endpoint without path
 * and method (they are the CRUD route's), written under the entity or at the top level:
 *
 *   entities:
 *     Product:
 *       crud: true
 *       crudOverrides:
 *         POST:                     # or create; PUT/replace, PATCH/update, DELETE/delete, GET_LIST/list, GET_ONE/get
 *           handler:
 *             type: template
 *             template: create-with-validation
 *             validate: [{field: price, min: 0}]
 *
 *   crudOverrides:                  # the same, at the top level
 *     Product:
 *       POST: {handler: …}
 */
import { closest } from "../../diagnostics.js";
import type { CrudRoutePlan, EntityIR } from "../../ir.js";
import type { ConfigPath } from "../../1-parse/parse.js";
import type { RawConfig, RawEndpoint } from "../config-schema.js";
import { collectEntitySources } from "../entities.js";
import { camelCase } from "../types.js";
import type { ConfigNode, Reporter } from "./node.js";

type Operation = CrudRoutePlan["operation"];

const KEYS: Readonly<Record<string, Operation>> = {
  GET_LIST: "list", GET_ONE: "get", POST: "create", PUT: "replace", PATCH: "update", DELETE: "delete",
  list: "list", get: "get", create: "create", replace: "replace", update: "update", delete: "delete",
};
const METHOD: Readonly<Record<Operation, RawEndpoint["method"]>> = { list: "GET", get: "GET", create: "POST", replace: "PUT", update: "PATCH", delete: "DELETE" };

export interface OverrideEndpoint {
  raw: RawEndpoint;
  path: ConfigPath;
  override: { entity: string; operation: Operation };
}

export function collectCrudOverrides(config: RawConfig, entities: readonly EntityIR[], node: (path: ConfigPath) => ConfigNode, report: Reporter): OverrideEndpoint[] {
  const sources: { entity: string; entries: Record<string, unknown>; path: ConfigPath }[] = [];
  for (const [name, source] of collectEntitySources(config).entities) {
    if (source.raw.crudOverrides) sources.push({ entity: name, entries: source.raw.crudOverrides, path: [...source.path, "crudOverrides"] });
  }
  for (const [name, entries] of Object.entries(config.crudOverrides ?? {})) {
    const at = node(["crudOverrides", name]);
    if (!entities.some((e) => e.name === name)) {
      const s = closest(name, entities.map((e) => e.name));
      report.error("unknown-entity", `crudOverrides names unknown entity "${name}"`, at.loc("key"), s ? `did you mean "${s}"?` : undefined);
      continue;
    }
    sources.push({ entity: name, entries, path: ["crudOverrides", name] });
  }
  const out: OverrideEndpoint[] = [];
  const seen = new Map<string, string>();
  for (const { entity: name, entries, path } of sources) {
    // An entity whose own definition failed is not in the list; its errors are already reported.
    const entity = entities.find((e) => e.name === name);
    if (!entity) continue;
    for (const [key, entry] of Object.entries(entries)) {
      const at = node([...path, key]);
      const operation = Object.hasOwn(KEYS, key) ? KEYS[key]! : undefined;
      if (!operation) {
        const s = closest(key, Object.keys(KEYS));
        report.error("bad-crud-override", `"${key}" is not a CRUD route`, at.loc("key"), key.toUpperCase() === "GET" ? "GET is two routes: write GET_LIST (the list) or GET_ONE (by id)" : s ? `did you mean "${s}"?` : `routes: ${Object.keys(KEYS).join(", ")}`);
        continue;
      }
      if (!entity.crud) {
        report.error("bad-crud-override", `${name} has no CRUD routes to override`, at.loc("key"), "add `crud: true` to the entity, or declare an endpoint instead");
        continue;
      }
      if (!entity.crud.methods.includes(operation)) {
        report.error("bad-crud-override", `${name}'s CRUD has no ${operation} route (${METHOD[operation]}) to override`, at.loc("key"), "enable it under `crud.enabled`, or declare an endpoint instead");
        continue;
      }
      const id = `${name}.${operation}`;
      if (seen.has(id)) {
        report.error("bad-crud-override", `the ${operation} route of ${name} is overridden twice (also by ${seen.get(id)})`, at.loc("key"));
        continue;
      }
      seen.set(id, key);
      const byId = operation !== "list" && operation !== "create";
      const base = entity.crud.basePath === "/" ? "" : entity.crud.basePath;
      const pk = entity.fields.find((f) => f.name === entity.primaryKey)!;
      const raw = entry as RawEndpoint;
      out.push({
        raw: {
          ...raw,
          path: byId ? `${base}/:id` : base || "/",
          method: METHOD[operation],
          name: raw.name ?? camelCase(`${operation} ${name}`),
          ...(byId ? { params: { id: `${pk.type}${pk.type === "string" ? `(${pk.maxLength ?? pk.length ?? 255})` : ""}!` } } : {}),
        },
        path: [...path, key],
        override: { entity: name, operation },
      });
    }
  }
  return out;
}
