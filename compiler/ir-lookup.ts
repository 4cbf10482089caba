/**
 * Entities of a ProjectIR by name. Emitters ask for related entities all the time (a relation's
 * target, a handler's entity); a linear search for each question, or a map built per emitted
 * file, made emitting quadratic in the number of entities. The map is built once per entity list.
 */
import type { EntityIR, ProjectIR } from "./ir.js";

const maps = new WeakMap<readonly EntityIR[], Map<string, EntityIR>>();

/** Every entity by name. */
export function entityMap(ir: Pick<ProjectIR, "entities">): ReadonlyMap<string, EntityIR> {
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
