/**
 * Environment overlays: `yama.<env>.yaml` deep-merged over `yama.yaml` (see docs/environments.md).
 *
 * Merge rules, applied from the top of both documents down:
 *   - mapping + mapping: merged key by key; keys only in the overlay are added;
 *   - a key set to `null` (or `~`) in the overlay removes that key;
 *   - keyed lists (below) are merged item by item: an overlay item with the same key as a base
 *     item is merged into it, in the base item's place; other overlay items are appended;
 *   - anything else (scalars, other lists, a mapping over a scalar): the overlay's value replaces.
 *
 * The merged config still knows where every value came from: `locate` answers with the overlay
 * file's position for values the overlay set, and yama.yaml's for the rest, so diagnostics point
 * at the line the user has to change.
 */
import type { SourceLocation } from "../diagnostics.js";
import type { ConfigPath, ParsedConfig } from "./parse.js";

/** Where a merged value came from: a node of one file, with the origins of merged children. */
interface Origin {
  source: ParsedConfig;
  path: ConfigPath;
  children?: Map<string, Origin>;
}

const isRecord = (v: unknown): v is Record<string, unknown> => Object.prototype.toString.call(v) === "[object Object]";

/**
 * The identity of a list item, for lists merged item by item; undefined when the list at `path`
 * is not keyed or the item has no identity (then the whole list is replaced).
 *   endpoints (top level and under apis.rest): `METHOD path`;
 *   plugins (list form): the plugin's name (`"name"`, `{name: {...}}` or `{name: …, config: …}`);
 *   auth.providers: `type` plus `name` when given.
 */
export function listItemKey(path: ConfigPath, item: unknown): string | undefined {
  const p = path.map(String);
  const last = p.at(-1);
  if (last === "endpoints" && (p.length === 1 || p[0] === "apis")) {
    return isRecord(item) && typeof item.path === "string" && typeof item.method === "string" ? `${item.method.toUpperCase()} ${item.path}` : undefined;
  }
  if (p.length === 1 && last === "plugins") {
    if (typeof item === "string") return item;
    if (isRecord(item) && typeof item.name === "string") return item.name;
    if (isRecord(item) && Object.keys(item).length === 1) return Object.keys(item)[0];
    return undefined;
  }
  if (p.length === 2 && p[0] === "auth" && last === "providers") {
    return isRecord(item) && typeof item.type === "string" ? `${item.type}${typeof item.name === "string" ? ` ${item.name}` : ""}` : undefined;
  }
  return undefined;
}

/** The plugin entry's options merged: `"name"` in one file and `{name: {...}}` in the other. */
function asPluginMapping(item: unknown, key: string): Record<string, unknown> | undefined {
  if (typeof item === "string") return { [key]: {} };
  return isRecord(item) ? item : undefined;
}

function mergeValues(base: unknown, over: unknown, baseOrigin: Origin, overOrigin: Origin, path: ConfigPath): { value: unknown; origin: Origin } {
  if (isRecord(base) && isRecord(over)) {
    const value: Record<string, unknown> = {};
    const children = new Map<string, Origin>();
    for (const [k, v] of Object.entries(base)) {
      if (k in over) continue;
      value[k] = v;
      children.set(k, { source: baseOrigin.source, path: [...baseOrigin.path, k] });
    }
    for (const [k, v] of Object.entries(base)) {
      if (!(k in over)) continue;
      const o = over[k];
      if (o === null) continue; // `key: null` in an overlay removes the key
      const merged = mergeValues(v, o, { source: baseOrigin.source, path: [...baseOrigin.path, k] }, { source: overOrigin.source, path: [...overOrigin.path, k] }, [...path, k]);
      value[k] = merged.value;
      children.set(k, merged.origin);
    }
    for (const [k, o] of Object.entries(over)) {
      if (k in base || o === null) continue;
      value[k] = o;
      children.set(k, { source: overOrigin.source, path: [...overOrigin.path, k] });
    }
    return { value, origin: { ...baseOrigin, children } };
  }
  if (Array.isArray(base) && Array.isArray(over)) {
    const baseKeys = base.map((item) => listItemKey(path, item));
    const overKeys = over.map((item) => listItemKey(path, item));
    if (baseKeys.every((k) => k !== undefined) && overKeys.every((k) => k !== undefined)) {
      const value: unknown[] = [];
      const children = new Map<string, Origin>();
      const used = new Set<number>();
      base.forEach((item, i) => {
        const j = overKeys.indexOf(baseKeys[i]);
        const at = String(value.length);
        if (j < 0) {
          value.push(item);
          children.set(at, { source: baseOrigin.source, path: [...baseOrigin.path, i] });
          return;
        }
        used.add(j);
        const isPlugins = path.length === 1 && path[0] === "plugins";
        // `{name: pkg, config: {...}}` and `pkg` / `{pkg: {...}}` do not merge key by key: the overlay's entry replaces.
        const named = (x: unknown) => isRecord(x) && typeof x.name === "string";
        if (isPlugins && named(item) !== named(over[j])) {
          value.push(over[j]);
          children.set(at, { source: overOrigin.source, path: [...overOrigin.path, j] });
          return;
        }
        const b = isPlugins ? asPluginMapping(item, baseKeys[i]!) : item;
        const o = isPlugins ? asPluginMapping(over[j], baseKeys[i]!) : over[j];
        const merged = mergeValues(b, o, { source: baseOrigin.source, path: [...baseOrigin.path, i] }, { source: overOrigin.source, path: [...overOrigin.path, j] }, [...path, value.length]);
        value.push(merged.value);
        children.set(at, merged.origin);
      });
      over.forEach((item, j) => {
        if (used.has(j)) return;
        children.set(String(value.length), { source: overOrigin.source, path: [...overOrigin.path, j] });
        value.push(item);
      });
      return { value, origin: { ...baseOrigin, children } };
    }
  }
  return { value: over, origin: overOrigin };
}

/** The origin of the deepest merged node on `path`, and the part of the path below it. */
function originOf(root: Origin, path: ConfigPath): { origin: Origin; rest: ConfigPath } {
  let origin = root;
  let i = 0;
  for (; i < path.length; i++) {
    const child = origin.children?.get(String(path[i]));
    if (!child) break;
    origin = child;
  }
  return { origin, rest: path.slice(i) };
}

/** The value of `base` with `overlay` merged over it, locating each value in the file it came from. */
export function mergeOverlay(base: ParsedConfig, overlay: ParsedConfig): ParsedConfig {
  const { value, origin } = mergeValues(base.value, overlay.value, { source: base, path: [] }, { source: overlay, path: [] }, []);
  const sources = new Map([[base.file, base], [overlay.file, overlay]]);
  return {
    file: base.file,
    text: base.text,
    value,
    lineText: (line, file = base.file) => sources.get(file)?.lineText(line, file) ?? "",
    sourceText: (file) => sources.get(file)?.sourceText(file) ?? "",
    locate(path, part = "value"): SourceLocation {
      const found = originOf(origin, path);
      return found.origin.source.locate([...found.origin.path, ...found.rest], part);
    },
  };
}
