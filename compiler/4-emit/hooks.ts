/**
 * Emits src/hooks/<entity>.ts for an entity with `hooks:`: the types its hook files implement
 * (`PostHooks["beforeCreate"]`, …) and one runner per moment of a write (`postHooks.beforeCreate`),
 * which calls the user's functions in order. Every generated write of the entity (CRUD routes,
 * dialect-B operations, `ctx.entities`) calls the runners; `hookLines` gives the call.
 *
 * Before-hooks may change the data in place or return fields to change; after-hooks see the row
 * as the write returned it (delete hooks see the primary key).
 */
import { HOOK_PHASES, type EntityIR, type FieldIR, type HookIR, type HookPhase, type ProjectIR } from "../ir.js";
import type { OutputFile } from "./index.js";
import { hiddenFields } from "./validation.js";
import { file, header, Imports, moduleSpecifier, ts } from "./writer.js";

type Operation = "create" | "update" | "delete";
type Moment = "before" | "after";

const upperFirst = (s: string) => s[0]!.toUpperCase() + s.slice(1);

export const hooksFile = (entity: EntityIR) => `src/hooks/${entity.fileName}.ts`;
export const hooksName = (entity: EntityIR) => `${entity.name[0]!.toLowerCase()}${entity.name.slice(1)}Hooks`;

/** The hooks that run at one moment of one operation, in running order: beforeSave, then beforeCreate; afterCreate, then afterSave. */
export function hooksAt(entity: EntityIR, moment: Moment, operation: Operation): HookIR[] {
  const own = `${moment}${upperFirst(operation)}` as HookPhase;
  const save = `${moment}Save` as HookPhase;
  const phases: HookPhase[] = operation === "delete" ? [own] : moment === "before" ? [save, own] : [own, save];
  return phases.flatMap((p) => (entity.hooks ?? []).filter((h) => h.phase === p));
}

const EVENT: Record<Operation, "created" | "updated" | "deleted"> = { create: "created", update: "updated", delete: "deleted" };

/** Whether a write of `operation` publishes a realtime event (after it is done). */
const publishes = (entity: EntityIR, moment: Moment, operation: Operation) => moment === "after" && (entity.realtime?.events.includes(EVENT[operation]) ?? false);

/** Whether anything runs at that moment of a write: the entity's hooks, or its realtime event. */
export const hasHooks = (entity: EntityIR, moment: Moment, operation: Operation) => hooksAt(entity, moment, operation).length > 0 || publishes(entity, moment, operation);

/** Whether the entity's hooks module exists (src/hooks/<entity>.ts). */
export const hasHooksModule = (entity: EntityIR) => (entity.hooks?.length ?? 0) > 0 || (entity.realtime?.events.length ?? 0) > 0;

/** Whether update sites pass the changed field names (an update event that watches some fields). */
const needsChanged = (entity: EntityIR) => entity.realtime?.watchFields !== undefined && entity.realtime.events.includes("updated");

/**
 * The statement that runs the hooks of one moment at a write site, or "" when there are none.
 * `value` is the data (before create/update), the row (after create/update) or the key (delete).
 * Before create/update, the result (a copy of the data with the hooks' changes) is declared as
 * `const <into>`.
 */
export function hookLines(entity: EntityIR, moment: Moment, operation: Operation, value: string, context: { id?: string; request?: string; into?: string; changed?: string }, imports: Imports, fromDir: string, indent = "  "): string {
  if (!hasHooks(entity, moment, operation)) return "";
  imports.add(moduleSpecifier(fromDir, hooksFile(entity)), hooksName(entity));
  const parts = [
    `operation: ${ts(operation)}`,
    ...(context.id ? [context.id === "id" ? "id" : `id: ${context.id}`] : []),
    ...(context.request ? [context.request === "request" ? "request" : `request: ${context.request}`] : []),
    ...(context.changed && moment === "after" && operation === "update" && needsChanged(entity) ? [`changed: Object.keys(${context.changed})`] : []),
  ];
  const call = `await ${hooksName(entity)}.${moment}${upperFirst(operation)}(${value}, { ${parts.join(", ")} })`;
  return `${indent}${moment === "before" && operation !== "delete" ? `const ${context.into ?? "data"} = ${call}` : call};\n`;
}

function idType(pk: FieldIR): string {
  return ["smallint", "integer", "bigint"].includes(pk.type) ? "number" : "string";
}

export function emitHooks(entity: EntityIR, ir: ProjectIR): OutputFile {
  const E = entity.name;
  const pk = entity.fields.find((f) => f.name === entity.primaryKey)!;
  const hidden = hiddenFields(entity);
  const imports = new Imports()
    .type("hono", "Context")
    .type(`../db/tables/${entity.fileName}.js`, `New${E}Row`, `${E}Row`)
    .type("../lib/http.js", "AppEnv");
  // Each user export gets a local name: the file's base name, numbered when two files share one.
  const locals = new Map<string, string>();
  const taken = new Set<string>([hooksName(entity)]);
  for (const hook of entity.hooks ?? []) {
    const id = `${hook.file}#${hook.exportName}`;
    if (locals.has(id)) continue;
    const base = hook.file.replace(/^.*\//, "").replace(/\.ts$/, "").replace(/[^A-Za-z0-9_$]+(.)?/g, (_, c: string | undefined) => (c ?? "").toUpperCase());
    let local = /^[A-Za-z_$]/.test(base) ? base : `hook${upperFirst(base)}`;
    for (let n = 2; taken.has(local); n++) local = `${base}${n}`;
    taken.add(local);
    locals.set(id, local);
    const spec = moduleSpecifier("src/hooks", hook.file);
    if (hook.exportName === "default") imports.default(spec, local);
    else if (hook.exportName === local) imports.add(spec, local);
    else imports.add(spec, `${hook.exportName} as ${local}`);
  }
  const row = hidden.length ? `Omit<${E}Row, ${hidden.map((f) => ts(f.name)).join(" | ")}>` : `${E}Row`;
  const id = idType(pk);
  const types = `/** What every ${E} hook receives besides the data. */
export interface ${E}HookContext {
  /** The write that runs the hook. */
  operation: "create" | "update" | "delete";
  /** The ${pk.name} of the row an update or a delete changes. */
  id?: ${id};
  /** The request, when a route makes the write (\`request.get("auth")\` is the caller); absent for writes a handler makes through \`ctx.entities\` without passing it. */
  request?: Context<AppEnv>;${needsChanged(entity) ? "\n  /** The fields an update set (after-update). */\n  changed?: readonly string[];" : ""}
}

/** A ${E} as the write returns it, as after-hooks see it${hidden.length ? ` (without ${hidden.map((f) => f.name).join(", ")})` : ""}. */
export type ${E}HookRow = ${row};

type Awaitable<T> = T | Promise<T>;

/**
 * What the file of each hook exports, e.g. \`export default (async (data) => ({ slug: slugify(data.title) })) satisfies ${E}Hooks["beforeCreate"];\`.
 * Before-hooks may change \`data\` in place or return the fields to change, and throw an error of
 * src/lib/errors.ts (a ValidationError answers 400) to stop the write. After-hooks run once the
 * write is done.
 */
export interface ${E}Hooks {
  beforeSave: (data: Partial<New${E}Row>, ctx: ${E}HookContext) => Awaitable<Partial<New${E}Row> | void>;
  beforeCreate: (data: New${E}Row, ctx: ${E}HookContext) => Awaitable<Partial<New${E}Row> | void>;
  afterCreate: (row: ${E}HookRow, ctx: ${E}HookContext) => Awaitable<void>;
  beforeUpdate: (changes: Partial<New${E}Row>, ctx: ${E}HookContext) => Awaitable<Partial<New${E}Row> | void>;
  afterUpdate: (row: ${E}HookRow, ctx: ${E}HookContext) => Awaitable<void>;
  afterSave: (row: ${E}HookRow, ctx: ${E}HookContext) => Awaitable<void>;
  beforeDelete: (${pk.name}: ${id}, ctx: ${E}HookContext) => Awaitable<void>;
  afterDelete: (${pk.name}: ${id}, ctx: ${E}HookContext) => Awaitable<void>;
}`;
  const checks = HOOK_PHASES.flatMap((phase) => {
    const list = (entity.hooks ?? []).filter((h) => h.phase === phase);
    return list.length ? [`  ${phase}: [${[...new Set(list.map((h) => locals.get(`${h.file}#${h.exportName}`)!))].join(", ")}],`] : [];
  });
  const registry = entity.hooks?.length
    ? `/** The hooks yama.yaml names (${ir.configFile}:${entity.hooks[0]!.loc.line}); each must fit its phase's type. */
const hooks: { [P in ${HOOK_PHASES.filter((p) => entity.hooks!.some((h) => h.phase === p)).map((p) => ts(p)).join(" | ")}]: readonly ${E}Hooks[P][] } = {
${checks.join("\n")}
};`
    : undefined;
  const events = entity.realtime;
  if (events?.events.length) imports.add("../plugins/realtime.js", "realtime");
  /** The realtime event an after-runner publishes, after the hooks. */
  const publish = (operation: Operation, value: string): string[] => {
    if (!publishes(entity, "after", operation)) return [];
    const line = `await realtime.publish(${ts(events!.channel)}, ${ts(EVENT[operation])}, ${value});`;
    if (operation === "update" && events!.watchFields) {
      return [`    // Only updates that set ${events!.watchFields.join(", ")} are published.`, `    if (ctx.changed === undefined || ctx.changed.some((field) => ${JSON.stringify(events!.watchFields)}.includes(field))) ${line}`];
    }
    return [`    ${line}`];
  };
  const runners: string[] = [];
  const runner = (moment: Moment, operation: Operation) => {
    if (!hasHooks(entity, moment, operation)) return;
    const list = hooksAt(entity, moment, operation);
    const phases = [...new Set(list.map((h) => h.phase))];
    const name = `${moment}${upperFirst(operation)}`;
    const steps = [...phases.map((p) => `${p} (${list.filter((h) => h.phase === p).map((h) => h.file).join(", ")})`), ...(publishes(entity, moment, operation) ? [`publishes "${EVENT[operation]}" on the realtime channel ${events!.channel}`] : [])];
    const text = steps.join(", then ");
    const doc = `  /** ${phases.length ? `Runs ${text}` : `${text[0]!.toUpperCase()}${text.slice(1)}`}. */`;
    if (operation === "delete" && moment === "after") {
      runners.push(`${doc}\n  async ${name}(${pk.name}: ${id}, ctx: ${E}HookContext): Promise<void> {\n${[...phases.map((p) => `    for (const hook of hooks.${p}) await hook(${pk.name}, ctx);`), ...publish(operation, `{ ${pk.name} }`)].join("\n")}\n  },`);
    } else if (operation === "delete") {
      runners.push(`${doc}\n  async ${name}(${pk.name}: ${id}, ctx: ${E}HookContext): Promise<void> {\n${phases.map((p) => `    for (const hook of hooks.${p}) await hook(${pk.name}, ctx);`).join("\n")}\n  },`);
    } else if (moment === "before") {
      const type = operation === "create" ? `New${E}Row` : `Partial<New${E}Row>`;
      runners.push(`${doc}\n  async ${name}<T extends ${type}>(input: T, ctx: ${E}HookContext): Promise<T> {\n    const data = { ...input };\n${phases.map((p) => `    for (const hook of hooks.${p}) Object.assign(data, await hook(data, ctx));`).join("\n")}\n    return data;\n  },`);
    } else {
      runners.push(`${doc}\n  async ${name}(row: ${E}HookRow, ctx: ${E}HookContext): Promise<void> {\n${[...phases.map((p) => `    for (const hook of hooks.${p}) await hook(row, ctx);`), ...publish(operation, "row")].join("\n")}\n  },`);
    }
  };
  for (const operation of ["create", "update", "delete"] as const) for (const moment of ["before", "after"] as const) runner(moment, operation);
  const what = entity.hooks?.length ? `Runs ${E}'s hooks around its writes${events?.events.length ? " and publishes its realtime events" : ""}` : `Publishes ${E}'s realtime events after its writes`;
  const object = `/** ${what}. */\nexport const ${hooksName(entity)} = {\n${runners.join("\n")}\n};`;
  return { path: hooksFile(entity), content: header(`hooks of ${E}`, entity.hooks?.[0]?.loc ?? events!.loc) + file(imports.toString(), types, registry, object) };
}
