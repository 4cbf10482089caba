/**
 * Entities of a ProjectIR by name. Emitters ask for related entities all the time (a relation's
 * target, a handler's entity); a linear search for each question, or a map built per emitted
 * file, made emitting quadratic in the number of entities. The map is built once per entity list.
 *
 * A *scoped* IR (4-emit/cache.ts) holds only some entities: asking it for another one throws
 * OutOfScope, so that an emitter can never silently see less than the whole IR.
 */
import type { EntityIR, JunctionIR, ProjectIR, RelationIR } from "./ir.js";

/** Thrown when an emitter reads a part of the IR its scope does not hold. */
export class OutOfScope extends Error {
  constructor(what: string) {
    super(`${what} is outside this emitter's scope`);
  }
}

/** The entities of a scoped IR: lookups by name only, and a name outside the scope throws. */
export class ScopedEntities extends Map<string, EntityIR> {
  override get(name: string): EntityIR {
    const entity = super.get(name);
    if (entity === undefined) throw new OutOfScope(`entity ${name}`);
    return entity;
  }
  override has(name: string): boolean {
    return this.get(name) !== undefined;
  }
  override get size(): number {
    throw new OutOfScope("the list of entities");
  }
  override forEach(): void {
    throw new OutOfScope("the list of entities");
  }
  override entries(): MapIterator<[string, EntityIR]> {
    throw new OutOfScope("the list of entities");
  }
  override keys(): MapIterator<string> {
    throw new OutOfScope("the list of entities");
  }
  override values(): MapIterator<EntityIR> {
    throw new OutOfScope("the list of entities");
  }
  override [Symbol.iterator](): MapIterator<[string, EntityIR]> {
    throw new OutOfScope("the list of entities");
  }
}

/** Where a scoped IR keeps its entities (its `entities` list itself throws when read). */
export const SCOPED_ENTITIES = Symbol("scoped entities");

const maps = new WeakMap<readonly EntityIR[], Map<string, EntityIR>>();

/** Every entity by name. */
export function entityMap(ir: Pick<ProjectIR, "entities">): ReadonlyMap<string, EntityIR> {
  const scoped = (ir as { [SCOPED_ENTITIES]?: ScopedEntities })[SCOPED_ENTITIES];
  if (scoped !== undefined) return scoped;
  let map = maps.get(ir.entities);
  // The size check catches an entity list that grew after the map was built.
  if (map === undefined || map.size !== ir.entities.length) {
    map = new Map(ir.entities.map((e) => [e.name, e]));
    maps.set(ir.entities, map);
  }
  return map;
}

/** The entity called `name`; analysis has checked that every name the IR uses exists. */
export function entityNamed(ir: Pick<ProjectIR, "entities">, name: string): EntityIR {
  const entity = entityMap(ir).get(name);
  if (entity === undefined) throw new Error(`no entity named ${name} in the IR`);
  return entity;
}

/** A many-to-many relation's junction columns: the one holding the owning row's key, and the one holding the related row's. */
export function junctionSides(rel: RelationIR): { junction: JunctionIR; mine: JunctionIR["from"]; theirs: JunctionIR["from"] } {
  const junction = rel.junction;
  if (junction === undefined) throw new Error(`${rel.name} is not a many-to-many relation`);
  return rel.junctionSide === "to" ? { junction, mine: junction.to, theirs: junction.from } : { junction, mine: junction.from, theirs: junction.to };
}
