/**
 * Links the references found in fields (and the explicit `relations:` section) into
 * relations with real foreign keys, then finalises indexes: every foreign key gets an
 * index unless an existing index already starts with it.
 *
 * Rules (docs/yama-yaml.md, "Relations"):
 *   author: User!        belongsTo, FK authorId NOT NULL (onDelete: no action unless cascade/restrict/setNull)
 *   reviewer: User?      belongsTo, FK reviewerId nullable (onDelete: set null)
 *   profile: Profile?    hasOne when Profile has a required `User!` reference back; else belongsTo
 *   posts: Post[]        hasMany: Post must reference this entity
 *   tags: Tag[] through:post_tags   manyToMany with a generated junction table
 */
import { closest, type DiagnosticBag } from "../diagnostics.js";
import type { EntityIR, FieldIR, IndexIR, JunctionIR, ReferentialAction } from "../ir.js";
import type { ParsedConfig } from "../1-parse/parse.js";
import type { RawConfig, RawRelation } from "./config-schema.js";
import { collectEntitySources, type PendingReference } from "./entities.js";
import { camelCase, snakeCase } from "./types.js";
import { compareText } from "../order.js";

const ACTIONS: Readonly<Record<string, ReferentialAction>> = {
  cascade: "cascade", setNull: "set null", "set null": "set null", restrict: "restrict",
  noAction: "no action", "no action": "no action", setDefault: "set default", "set default": "set default",
};

/** Turns the `relations:` section into PendingReferences; an explicit relation replaces an inline one of the same name. */
export function explicitRelations(config: RawConfig, parsed: ParsedConfig, diagnostics: DiagnosticBag, known: ReadonlySet<string>, refs: PendingReference[]): PendingReference[] {
  // By entity and name, in order; an explicit relation replaces an inline one and goes last.
  const out = new Map(refs.map((r) => [`${r.entity}\u0000${r.name}`, r]));
  for (const [entity, source] of collectEntitySources(config).entities) {
    for (const [name, def] of Object.entries(source.raw.relations ?? {})) {
      const path = [...source.path, "relations", name];
      const loc = parsed.locate(path);
      let rel: RawRelation;
      if (typeof def === "string") {
        const m = /^(belongsTo|hasMany|hasOne|manyToMany)\((\w+)\)$/.exec(def.trim());
        if (!m) {
          diagnostics.error("bad-relation", `cannot read relation "${def}"`, loc, "write e.g. belongsTo(User), hasMany(Post), hasOne(Profile) or manyToMany(Tag)");
          continue;
        }
        rel = { type: m[1] as RawRelation["type"], target: m[2] };
      } else rel = def;
      const target = rel.target ?? rel.entity;
      if (target === undefined) {
        diagnostics.error("bad-relation", `relation ${entity}.${name} names no target`, loc, "add `target: <Entity>`");
        continue;
      }
      if (!known.has(target)) {
        const s = closest(target, known);
        diagnostics.error("unknown-entity", `relation ${entity}.${name} points to unknown entity "${target}"`, loc, s ? `did you mean "${s}"?` : "declare the entity or fix the name");
        continue;
      }
      const key = `${entity}\u0000${name}`;
      out.delete(key);
      out.set(key, {
        entity, name, target,
        array: rel.type === "hasMany" || rel.type === "manyToMany",
        required: rel.required ?? (rel.nullable === undefined ? undefined : !rel.nullable),
        through: rel.through, onDelete: rel.onDelete ? ACTIONS[rel.onDelete] : undefined,
        explicitKind: rel.type, foreignKey: rel.foreignKey, path, loc,
      });
    }
  }
  return [...out.values()];
}

/** References grouped by the entity that holds them and the entity they point to, in order. */
function byPair(refs: readonly PendingReference[]): Map<string, PendingReference[]> {
  const pairs = new Map<string, PendingReference[]>();
  for (const r of refs) {
    const key = `${r.entity}\u0000${r.target}`;
    const list = pairs.get(key);
    if (list) list.push(r);
    else pairs.set(key, [r]);
  }
  return pairs;
}

export function linkRelations(entities: EntityIR[], refs: PendingReference[], diagnostics: DiagnosticBag): JunctionIR[] {
  const byName = new Map(entities.map((e) => [e.name, e]));
  const junctions = new Map<string, JunctionIR>();
  const singular = refs.filter((r) => !r.array);
  const plural = refs.filter((r) => r.array);
  const singularBack = byPair(singular);
  const pluralBack = byPair(plural);
  /** The references of `list` from r's target back to r's entity, other than r. */
  const back = (list: Map<string, PendingReference[]>, r: PendingReference) => (list.get(`${r.target}\u0000${r.entity}`) ?? []).filter((o) => o !== r);

  const isHasOne = (r: PendingReference) => {
    if (r.explicitKind) return r.explicitKind === "hasOne";
    if (r.required === true) return false;
    // The other side holds a required reference back: it owns the FK.
    return back(singularBack, r).some((o) => o.required === true && o.explicitKind !== "hasOne");
  };

  // 1. belongsTo: add the FK field.
  for (const r of singular) {
    if (isHasOne(r)) continue;
    const entity = byName.get(r.entity);
    const target = byName.get(r.target);
    if (!entity || !target) continue;
    const pk = target.fields.find((f) => f.name === target.primaryKey);
    if (!pk) continue;
    const fkName = r.foreignKey ?? `${r.name}Id`;
    let fk = entity.fields.find((f) => f.name === fkName);
    const notNull = r.required === true;
    if (fk) {
      if (fk.type !== pk.type) diagnostics.error("fk-type", `${entity.name}.${fkName} is ${fk.type} but ${target.name}.${pk.name} is ${pk.type}`, fk.loc, `declare ${fkName} as ${pk.type} or remove it (yamac adds it)`);
    } else {
      fk = {
        name: fkName, column: snakeCase(fkName), type: pk.type, array: false, notNull, primary: false, generated: false,
        unique: false, indexed: false, readonly: false, writeOnly: false, sensitive: false, autoUpdate: false, loc: r.loc,
        ...(pk.maxLength !== undefined ? { maxLength: pk.maxLength } : {}),
      };
      // Keep the declared order: the FK column goes where the relation was written.
      const anchor = r.after === undefined ? entity.fields.findIndex((f) => f.primary) : entity.fields.findIndex((f) => f.name === r.after);
      let at = anchor + 1;
      while (at < entity.fields.length && entity.fields[at]!.references) at++;
      entity.fields.splice(at, 0, fk);
    }
    const onDelete = r.onDelete ?? (notNull ? "no action" : "set null");
    if (onDelete === "set null" && fk.notNull) {
      diagnostics.error("bad-on-delete", `${entity.name}.${r.name} is required (!) so it cannot be set to null when ${target.name} is deleted`, r.loc, "use cascade or restrict, or make the relation optional with ?");
    }
    fk.references = { entity: target.name, field: pk.name, onDelete };
    entity.relations.push({ name: r.name, kind: "belongsTo", target: target.name, foreignKey: fkName, loc: r.loc });
  }

  // 2. hasOne: the target holds the FK.
  for (const r of singular.filter(isHasOne)) {
    const target = byName.get(r.target);
    const entity = byName.get(r.entity);
    if (!entity || !target) continue;
    const back = target.relations.filter((x) => x.kind === "belongsTo" && x.target === r.entity);
    const chosen = r.foreignKey ? back.find((x) => x.foreignKey === r.foreignKey) : back[0];
    if (!chosen) {
      diagnostics.error("dangling-relation", `${r.entity}.${r.name} is a hasOne, but ${r.target} has no reference to ${r.entity}`, r.loc, `add \`${camelCase(r.entity)}: ${r.entity}!\` to ${r.target}`);
      continue;
    }
    entity.relations.push({ name: r.name, kind: "hasOne", target: target.name, foreignKey: chosen.foreignKey, inverse: chosen.name, loc: r.loc });
  }

  // 3. Arrays: manyToMany (through, or both sides plural) or hasMany.
  for (const r of plural) {
    const entity = byName.get(r.entity);
    const target = byName.get(r.target);
    if (!entity || !target) continue;
    const inversePlural = back(pluralBack, r)[0];
    const backRefs = target.relations.filter((x) => x.kind === "belongsTo" && x.target === r.entity);
    const isManyToMany =
      r.through !== undefined ||
      r.explicitKind === "manyToMany" ||
      (r.explicitKind === undefined && inversePlural !== undefined && (inversePlural.through !== undefined || inversePlural.explicitKind === "manyToMany" || backRefs.length === 0));
    const through = r.through ?? inversePlural?.through;
    if (isManyToMany) {
      const owner = [entity.table, target.table].sort()[0] === entity.table ? entity : target;
      const other = owner === entity ? target : entity;
      const table = through ?? `${owner.table}_${other.table}`;
      let junction = junctions.get(table);
      if (!junction) {
        const fromCol = `${snakeCase(owner.name)}_id`;
        let toCol = `${snakeCase(other.name)}_id`;
        if (toCol === fromCol) toCol = `related_${toCol}`;
        junction = {
          table,
          varName: camelCase(table),
          from: { entity: owner.name, field: camelCase(fromCol), column: fromCol },
          to: { entity: other.name, field: camelCase(toCol), column: toCol },
        };
        junctions.set(table, junction);
      }
      // Each entity reads the junction from its own column; in a self-relation both columns point at
      // the same table, so of a pair through one junction (following / followers) the first one
      // declared reads from `from` and its inverse from `to`.
      let junctionSide: "from" | "to" = junction.from.entity === entity.name ? "from" : "to";
      if (entity === target) {
        const sides = entity.relations.filter((x) => x.junction === junction).map((x) => x.junctionSide);
        if (sides.length >= 2) {
          diagnostics.error("ambiguous-relation", `${r.entity}.${r.name} is a third relation through ${table}, which links ${r.entity} to itself in two directions only`, r.loc, `give it its own table, e.g. \`${r.target}[] through:${table}_${snakeCase(r.name)}\``);
          continue;
        }
        if (sides.includes("from")) junctionSide = "to";
      }
      entity.relations.push({ name: r.name, kind: "manyToMany", target: target.name, junction, junctionSide, inverse: inversePlural?.name, loc: r.loc });
      continue;
    }
    const chosen = r.foreignKey ? backRefs.find((x) => x.foreignKey === r.foreignKey) : backRefs.length === 1 ? backRefs[0] : undefined;
    if (!chosen) {
      if (backRefs.length > 1) {
        diagnostics.error("ambiguous-relation", `${r.entity}.${r.name}: ${r.target} references ${r.entity} ${backRefs.length} times (${backRefs.map((b) => b.name).join(", ")})`, r.loc, `say which one in \`relations:\`, e.g. \`${r.name}: {type: hasMany, target: ${r.target}, foreignKey: ${backRefs[0]!.foreignKey}}\``);
      } else {
        diagnostics.error("dangling-relation", `${r.entity}.${r.name} lists ${r.target}[], but ${r.target} has no reference to ${r.entity}`, r.loc, `add \`${camelCase(r.entity)}: ${r.entity}!\` to ${r.target}, or write \`${r.target}[] through:<table>\` for many-to-many`);
      }
      continue;
    }
    entity.relations.push({ name: r.name, kind: "hasMany", target: target.name, foreignKey: chosen.foreignKey, inverse: chosen.name, loc: r.loc });
    chosen.inverse ??= r.name;
  }

  for (const entity of entities) {
    const names = new Set(entity.fields.map((f) => f.name));
    for (const rel of entity.relations) {
      if (names.has(rel.name)) diagnostics.error("duplicate-name", `${entity.name}.${rel.name} is both a field and a relation`, rel.loc, "rename one of them");
      names.add(rel.name);
    }
  }
  return [...junctions.values()].sort((a, b) => compareText(a.table, b.table));
}

/** Checks declared index fields, adds an index to every FK not already leading one, names and dedupes. */
export function finalizeIndexes(entities: EntityIR[], diagnostics: DiagnosticBag): void {
  for (const entity of entities) {
    const fields = new Map<string, FieldIR>(entity.fields.map((f) => [f.name, f]));
    const byColumn = new Map<string, FieldIR>(entity.fields.map((f) => [f.column, f]));
    const valid: IndexIR[] = [];
    for (const index of entity.indexes) {
      const resolved: string[] = [];
      let ok = true;
      for (const name of index.fields) {
        const field = fields.get(name) ?? byColumn.get(name) ?? fields.get(`${name}Id`);
        if (!field) {
          const s = closest(name, fields.keys());
          diagnostics.error("unknown-field", `index on ${entity.name} names unknown field "${name}"`, index.loc, s ? `did you mean "${s}"?` : `fields of ${entity.name}: ${[...fields.keys()].join(", ")}`);
          ok = false;
        } else resolved.push(field.name);
      }
      if (ok) valid.push({ ...index, fields: resolved });
    }
    for (const field of entity.fields) {
      if (!field.references) continue;
      const covered = valid.some((i) => i.fields[0] === field.name) || field.primary;
      if (!covered) valid.push({ name: "", fields: [field.name], unique: false, origin: "foreign-key", loc: field.loc });
    }
    const seen = new Set<string>();
    entity.indexes = [];
    for (const index of valid) {
      const key = `${index.unique}:${index.fields.join(",")}`;
      if (seen.has(key)) continue;
      seen.add(key);
      const columns = index.fields.map((f) => fields.get(f)!.column);
      const name = index.name || `${entity.table}_${columns.join("_")}_${index.unique ? "unique" : "idx"}`;
      entity.indexes.push({ ...index, name: name.length > 63 ? name.slice(0, 63) : name });
    }
  }
}
