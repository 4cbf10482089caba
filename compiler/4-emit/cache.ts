/**
 * Reuse of emitted files between compiles in one process (`yamac dev`).
 *
 * The files of one entity (table, validation, routes, repository) and of one endpoint are emitted
 * from a *scope*: a view of the IR that holds the project-wide settings, that entity or endpoint,
 * and the entities it is related to. Everything else throws OutOfScope when read: the list of all
 * entities, an entity outside the scope, the endpoints, routes, schemas, config variables,
 * environment references and where each plugin is configured. So the files are a function of the
 * scope alone, and the scope's JSON is their cache key: when it is the same as at the previous
 * compile, the previous files are reused. An emitter that reads past its scope is not wrong, only
 * uncached: OutOfScope is caught and those files are emitted from the whole IR.
 * compiler/test/emit-cache.test.ts emits every fixture both ways, through edits, and compares bytes.
 *
 * Generated files name the config line they come from, and the IR keeps those lines, so a save
 * that adds a line changes the key (and the files) of every entity below it.
 */
import type { CrudRoutePlan, EndpointIR, EntityIR, ProjectIR } from "../ir.js";
import { OutOfScope, SCOPED_ENTITIES, ScopedEntities } from "../ir-lookup.js";
import type { PluginUseIR } from "../plugins/types.js";
import type { OutputFile } from "./index.js";

/** What a scope shares with the whole IR. When any of it changes, nothing is reused. */
const SETTINGS = ["name", "version", "configFile", "database", "server", "targets", "deployment", "plugins", "junctions", "environment", "projectDir"] as const satisfies readonly (keyof ProjectIR)[];
/** What a scope does not hold: reading it throws. */
const OUTSIDE = ["entities", "endpoints", "routes", "schemas", "config", "envReferences"] as const satisfies readonly (keyof ProjectIR)[];

// Every part of ProjectIR is either shared or outside; a new part must be sorted into one of them.
type Unsorted = Exclude<keyof ProjectIR, (typeof SETTINGS)[number] | (typeof OUTSIDE)[number]>;
const sorted: [Unsorted] extends [never] ? true : Unsorted = true;
void sorted;

/** What a file set was emitted from: its own part of the IR as JSON, then each entity of its scope. */
type Key = readonly string[];

const sameKey = (a: Key, b: Key) => a.length === b.length && a.every((part, i) => part === b[i]);

/** A file set's key, and the scoped IR to emit it from (built only when the key is new). */
export interface Scoped {
  key: Key;
  scope: () => ProjectIR;
}

/** What a compile emitted for one id (a file set, or a part of a project-wide file), and from what. */
interface Entry {
  key: Key;
  value: unknown;
}

/**
 * Reuse of a part of a project-wide file (a path item of src/openapi.json, a method or type of src/sdk/): `build` runs unless
 * the parts of `key` are those of the previous compile. Objects in the key are compared by their
 * JSON. Unlike a scope, nothing enforces that `build` reads only what its key names (and the
 * project-wide settings, whose change drops every part), so it is used only for small pure
 * builders (openapi.ts, sdk.ts); the emit-cache test compares src/openapi.json and src/sdk/ too. Without a cache,
 * `build` just runs.
 */
export type PartMemo = <T>(id: string, key: readonly (string | object)[], build: () => T, options?: PartOptions) => T;

export interface PartOptions {
  /**
   * What `build` makes never names a config line (openapi.json does not), so objects in the key
   * are compared without their source locations' line numbers: a save that adds a line above
   * them does not rebuild it.
   */
  withoutLines?: boolean;
}

export const noMemo: PartMemo = (_id, _key, build) => build();

export class EmitCache {
  /** By id, what the previous compile emitted, and what this one has so far (file sets and parts alike). */
  private previous = new Map<string, Entry>();
  private current = new Map<string, Entry>();
  /** The project-wide settings of the previous compile (Scopes.settings). */
  private settings: string | undefined;
  /** JSON of the objects keys name, once per compile. */
  private json = new WeakMap<object, string>();
  /**
   * Key texts of this compile and of the previous one, each kept as the first string object that
   * had it: a text the previous compile had is replaced by that compile's string, so comparing
   * it with the previous key (reuse, moved) finds the same object instead of comparing the text.
   */
  private texts = new Map<string, string>();
  private previousTexts = new Map<string, string>();
  /** Key JSON split into its line numbers and the rest (see linesOf), for this compile and the previous one. */
  private lineSplits = new Map<string, LineSplit>();
  private previousLineSplits = new Map<string, LineSplit>();
  /** Of the last compile: file sets reused, reused with their config lines moved, emitted afresh, and emitted from the whole IR because they read past their scope. */
  stats = { reused: 0, moved: 0, emitted: 0, unscoped: 0 };
  /** Of the last compile: what each file set emitted from the whole IR read past its scope. */
  unscoped = new Map<string, string>();

  /**
   * Starts a compile of `ir`, and returns its scopes. When the project-wide settings changed,
   * nothing is reused, unless only their config line numbers did (a line added above
   * `deployment:`): every key holds those lines (Scopes.settingsLines), so files that name them
   * are moved like any other (moved()). Entries this compile does not use are dropped at the next one.
   */
  begin(ir: ProjectIR): Scopes {
    const scopes = new Scopes(ir, (value) => this.jsonOf(value), (text) => this.intern(text));
    this.previous = scopes.settings === this.settings ? this.current : new Map();
    this.settings = scopes.settings;
    this.current = new Map();
    this.json = new WeakMap();
    this.previousTexts = this.texts;
    this.texts = new Map();
    this.previousLineSplits = this.lineSplits;
    this.lineSplits = new Map();
    this.stats = { reused: 0, moved: 0, emitted: 0, unscoped: 0 };
    this.unscoped = new Map();
    return scopes;
  }

  /** The JSON of an IR object, computed once per compile (and interned, see `texts`). */
  jsonOf(value: object): string {
    let text = this.json.get(value);
    if (text === undefined) {
      text = this.intern(JSON.stringify(value));
      this.json.set(value, text);
    }
    return text;
  }

  /** `text` as the string object the previous compile (or this one) first had it as. */
  intern(text: string): string {
    let known = this.texts.get(text);
    if (known === undefined) {
      known = this.previousTexts.get(text) ?? text;
      this.texts.set(known, known);
    }
    return known;
  }

  /** The entry the previous compile made for `id` from the same key (kept for the next compile too), or undefined. */
  private reuse(id: string, key: Key): Entry | undefined {
    const hit = this.previous.get(id);
    if (hit === undefined || !sameKey(hit.key, key)) return undefined;
    this.current.set(id, hit);
    return hit;
  }

  /**
   * A save that adds or removes lines above an entity changes nothing in its files but the config
   * lines they name (`yama.yaml:42` in headers and comments). When the key differs from the
   * previous one only in its line numbers, and they moved in order (each old line to one new
   * line, keeping their order, as inserting or deleting lines does), the previous files are reused
   * with each `<config>:<line>` moved the same way. A mention of a line the key does not hold, or
   * a key naming another file, means emitting afresh.
   */
  private moved(id: string, key: Key, configFile: string): OutputFile[] | undefined {
    const previous = this.previous.get(id);
    if (previous === undefined || previous.key.length !== key.length) return undefined;
    const moves = new Map<number, number>();
    for (let i = 0; i < key.length; i++) {
      const before = this.linesOf(previous.key[i]!);
      const after = this.linesOf(key[i]!);
      if (before.files.some((f) => f !== configFile) || after.files.some((f) => f !== configFile)) return undefined;
      if (before.rest !== after.rest || before.lines.length !== after.lines.length) return undefined;
      for (let j = 0; j < before.lines.length; j++) {
        const to = moves.get(before.lines[j]!);
        if (to !== undefined && to !== after.lines[j]) return undefined;
        moves.set(before.lines[j]!, after.lines[j]!);
      }
    }
    const order = [...moves].sort(([a], [b]) => a - b);
    if (order.some(([, to], i) => i > 0 && to <= order[i - 1]![1])) return undefined;
    const mention = new RegExp(`${configFile.replace(/[.*+?^${}()|[\]\\]/g, "\\$&")}:(\\d+)`, "g");
    const files: OutputFile[] = [];
    for (const file of previous.value as OutputFile[]) {
      let foreign = false;
      const content = file.content.replace(mention, (text, line: string) => {
        const to = moves.get(Number(line));
        if (to === undefined) foreign = true;
        return `${configFile}:${to}`;
      });
      if (foreign) return undefined;
      // (Its parts, if it had any, no longer add up to the new content.)
      const { parts: _parts, ...rest } = file;
      files.push({ ...rest, content });
    }
    return files;
  }

  /** linesOf(json), once per key string per compile (the same entity's JSON is in many keys). */
  private linesOf(json: string): LineSplit {
    let split = this.lineSplits.get(json);
    if (split === undefined) {
      split = this.previousLineSplits.get(json) ?? linesOf(json);
      this.lineSplits.set(json, split);
    }
    return split;
  }

  /** See PartMemo. */
  readonly part: PartMemo = (id, key, build, options) => {
    const parts = key.map((k) => (typeof k === "string" ? k : options?.withoutLines ? this.linesOf(this.jsonOf(k)).rest : this.jsonOf(k)));
    const hit = this.reuse(id, parts);
    if (hit !== undefined) return hit.value as ReturnType<typeof build>;
    const value = build();
    this.current.set(id, { key: parts, value });
    return value;
  };

  /**
   * The files `build` emits from the scope, reused when the key is the one of the previous compile,
   * or when it differs from it only in config line numbers (see moved()).
   */
  files(id: string, { key, scope }: Scoped, ir: ProjectIR, build: (ir: ProjectIR) => OutputFile[]): OutputFile[] {
    const hit = this.reuse(id, key);
    if (hit !== undefined) {
      this.stats.reused++;
      return hit.value as OutputFile[];
    }
    const moved = this.moved(id, key, ir.configFile);
    if (moved !== undefined) {
      this.stats.moved++;
      this.current.set(id, { key, value: moved });
      return moved;
    }
    try {
      const files = build(scope());
      this.stats.emitted++;
      this.current.set(id, { key, value: files });
      return files;
    } catch (err) {
      if (!(err instanceof OutOfScope)) throw err;
      this.stats.unscoped++;
      this.unscoped.set(id, err.message);
      return build(ir);
    }
  }
}

/**
 * Builds the scopes and keys of one compile (entity JSON from the cache, once per entity); an entity's
 * neighbours are the entities its relations and foreign keys name, the entities whose relations
 * and foreign keys name it, and the entities plugin options name (e.g. the auth module's users).
 */
export class Scopes {
  /**
   * The JSON of everything a scope shares with the whole IR, without its config line numbers when
   * it names no other file (those are in settingsLines).
   */
  readonly settings: string;
  /**
   * The config lines the settings name (deployment's locations), as a key part every scope holds;
   * undefined when the settings name another file (an overlay), and are then compared whole.
   */
  readonly settingsLines: string | undefined;
  private readonly neighbours = new Map<string, Set<string>>();
  /** Each entity's index in the IR. */
  private readonly order: Map<string, number>;
  /** The plugin uses as a scope sees them: without their source locations. */
  private readonly plugins: PluginUseIR[];
  private readonly pluginEntities: string[];

  constructor(
    private readonly ir: ProjectIR,
    private readonly jsonOf: (value: object) => string,
    private readonly intern: (text: string) => string,
  ) {
    this.order = new Map(ir.entities.map((e, i) => [e.name, i]));
    // A plugin's place in the config moves whenever a line above it is added; its files say so, but
    // the files of entities never do, so in a scope reading it throws instead of being part of the key.
    this.plugins = ir.plugins.map((use) => {
      const copy = { name: use.name, options: use.options } as PluginUseIR;
      Object.defineProperty(copy, "loc", {
        get() {
          throw new OutOfScope(`where plugin ${use.name} is configured`);
        },
      });
      return copy;
    });
    const settings = JSON.stringify(SETTINGS.map((k) => (k === "plugins" ? this.plugins : ir[k]) ?? null));
    const split = linesOf(settings);
    const ownFile = split.files.every((f) => f === ir.configFile);
    this.settings = ownFile ? split.rest : settings;
    this.settingsLines = ownFile ? split.lines.map((n) => `"line":${n}`).join(",") : undefined;
    const plugins = JSON.stringify(this.plugins);
    this.pluginEntities = ir.entities.filter((e) => plugins.includes(JSON.stringify(e.name))).map((e) => e.name);
    const link = (a: string, b: string) => {
      if (!this.neighbours.has(a)) this.neighbours.set(a, new Set());
      this.neighbours.get(a)!.add(b);
    };
    for (const e of ir.entities) {
      for (const r of e.relations) {
        link(e.name, r.target);
        link(r.target, e.name);
      }
      for (const f of e.fields) {
        if (!f.references) continue;
        link(e.name, f.references.entity);
        link(f.references.entity, e.name);
      }
    }
  }

  /** The scope of one entity's files; `flags` are what else decides which files it has. */
  entity(entity: EntityIR, plans: readonly CrudRoutePlan[], flags: string): Scoped {
    const names = new Set([entity.name, ...(this.neighbours.get(entity.name) ?? []), ...this.pluginEntities]);
    return this.make(names, `${flags}\n${JSON.stringify(plans)}`);
  }

  /** The scope of one endpoint's file: the entities its IR names, and their neighbours. */
  endpoint(endpoint: EndpointIR): Scoped {
    const names = new Set(this.pluginEntities);
    for (const text of strings(endpoint)) {
      if (!this.order.has(text)) continue;
      names.add(text);
      for (const n of this.neighbours.get(text) ?? []) names.add(n);
    }
    return this.make(names, JSON.stringify(endpoint));
  }

  private make(names: ReadonlySet<string>, own: string): Scoped {
    // In the IR's order, so that the key does not depend on how the names were gathered.
    const entities = [...names].sort((a, b) => this.order.get(a)! - this.order.get(b)!).map((n) => this.ir.entities[this.order.get(n)!]!);
    return { key: [this.intern(own), this.settingsLines ?? "", ...entities.map((e) => this.jsonOf(e))], scope: () => this.view(entities) };
  }

  /** The IR as seen from a scope holding `entities`. */
  private view(entities: readonly EntityIR[]): ProjectIR {
    const scope = {} as ProjectIR;
    for (const k of SETTINGS) Object.defineProperty(scope, k, { value: k === "plugins" ? this.plugins : this.ir[k], enumerable: true });
    for (const k of OUTSIDE)
      Object.defineProperty(scope, k, {
        get() {
          throw new OutOfScope(k);
        },
      });
    Object.defineProperty(scope, SCOPED_ENTITIES, { value: new ScopedEntities(entities.map((e) => [e.name, e])) });
    return scope;
  }

}

/** A key's JSON taken apart: the line numbers of its source locations, the files they name, and the rest. */
interface LineSplit {
  lines: number[];
  files: string[];
  rest: string;
}

function linesOf(json: string): LineSplit {
  const files = new Set<string>();
  for (const m of json.matchAll(/"file":("(?:[^"\\]|\\.)*")/g)) files.add(JSON.parse(m[1]!) as string);
  const lines: number[] = [];
  const rest = json.replace(/"line":(\d+)/g, (_, n: string) => {
    lines.push(Number(n));
    return '"line":';
  });
  return { lines, files: [...files], rest };
}

/** Every string in a JSON-like value (where an endpoint names entities). */
function* strings(value: unknown): Generator<string> {
  if (typeof value === "string") yield value;
  else if (Array.isArray(value)) for (const v of value) yield* strings(v);
  else if (value !== null && typeof value === "object") for (const v of Object.values(value)) yield* strings(v);
}
