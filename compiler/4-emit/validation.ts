/**
 * Emits src/validation/<entity>.ts: the zod schemas of one entity's request bodies and
 * list query, built once when the module loads.
 */
import type { EntityIR, FieldIR, ProjectIR } from "../ir.js";
import { validationHelpers, zodForBody, zodForQuery } from "./column-types.js";
import type { OutputFile } from "./index.js";
import { file, header, Imports, key, literal } from "./writer.js";

/** Query parameters every list understands; a field with one of these names is not a filter. */
export const RESERVED_QUERY = new Set(["limit", "offset", "sort", "orderBy", "count", "search", "include", "fields", "cursor"]);

/** Fields a client may send in a create/replace/update body. */
export function writableFields(entity: EntityIR): FieldIR[] {
  return entity.fields.filter((f) => !f.readonly && !(f.primary && f.generated) && !f.autoUpdate);
}

/** Fields never sent back to a client. */
export function hiddenFields(entity: EntityIR): FieldIR[] {
  // The soft-delete marker is always null on rows a client can see, so it is not sent.
  return entity.fields.filter((f) => f.writeOnly || f.sensitive || f.name === entity.softDelete?.field);
}

export function filterFields(entity: EntityIR): FieldIR[] {
  const byName = new Map(entity.fields.map((f) => [f.name, f]));
  return (entity.crud?.filterable ?? []).map((n) => byName.get(n)!).filter((f) => !RESERVED_QUERY.has(f.name));
}

const isRequiredOnCreate = (f: FieldIR) => f.notNull && f.default === undefined && !f.generated;

export function schemaNames(entity: EntityIR) {
  const base = entity.name[0]!.toLowerCase() + entity.name.slice(1);
  return {
    create: `${base}CreateSchema`,
    replace: `${base}ReplaceSchema`,
    update: `${base}UpdateSchema`,
    listQuery: `${base}ListQuerySchema`,
    getQuery: `${base}GetQuerySchema`,
    bulk: `${base}BulkSchema`,
    createType: `${entity.name}CreateInput`,
    replaceType: `${entity.name}ReplaceInput`,
    updateType: `${entity.name}UpdateInput`,
    listQueryType: `${entity.name}ListQuery`,
  };
}

export function emitValidation(entity: EntityIR, ir: ProjectIR): OutputFile {
  const imports = new Imports().add("zod", "z");
  const names = schemaNames(entity);
  const helpers = new Set<string>();
  const use = (expr: string) => {
    for (const h of validationHelpers(expr)) helpers.add(h);
    return expr;
  };
  const blocks: string[] = [];
  const writable = writableFields(entity);
  const methods = new Set(entity.crud?.methods ?? []);

  const createLines = writable.map((f) => {
    let expr = use(zodForBody(f));
    if (!f.notNull) expr += ".nullable()";
    if (!isRequiredOnCreate(f)) expr += ".optional()";
    return `  ${key(f.name)}: ${expr},`;
  });
  blocks.push(`/** Body of POST ${entity.crud?.basePath ?? ""}: unknown fields are rejected. */\nexport const ${names.create} = z.strictObject({\n${createLines.join("\n")}\n});\nexport type ${names.createType} = z.infer<typeof ${names.create}>;`);

  if (methods.has("replace")) {
    // PUT replaces the whole row: an omitted field goes back to its default (or null).
    const replaceLines = writable.map((f) => {
      let expr = use(zodForBody(f));
      if (!f.notNull) expr += ".nullable()";
      if (!isRequiredOnCreate(f)) {
        // A field only some roles may set keeps its value when the body leaves it out.
        if (f.writableBy?.length) expr += ".optional()";
        else if (f.default?.kind === "literal") expr += `.default(${f.type === "money" ? literal(String(f.default.value)) : literal(f.default.value)})`;
        else if (!f.notNull) expr += ".default(null)";
        else expr += ".optional()";
      }
      return `  ${key(f.name)}: ${expr},`;
    });
    blocks.push(`/** Body of PUT ${entity.crud?.basePath ?? ""}/:id: the full row; omitted fields return to their defaults${writable.some((f) => f.writableBy?.length) ? " (but fields only some roles may set keep their value)" : ""}. */\nexport const ${names.replace} = z.strictObject({\n${replaceLines.join("\n")}\n});\nexport type ${names.replaceType} = z.infer<typeof ${names.replace}>;`);
  }
  if (methods.has("update")) {
    blocks.push(`/** Body of PATCH ${entity.crud?.basePath ?? ""}/:id: any subset of the writable fields. */\nexport const ${names.update} = ${names.create}.partial();\nexport type ${names.updateType} = z.infer<typeof ${names.update}>;`);
  }
  const shaping = [
    ...(entity.relations.length ? [`  include: z.string().max(512).optional(),`] : []),
    `  fields: z.string().max(1024).optional(),`,
  ];
  if (entity.crud?.bulk && methods.has("create")) {
    blocks.push(`/** Body of POST ${entity.crud.basePath}/bulk: up to 1,000 rows, inserted all or nothing. */\nexport const ${names.bulk} = z.array(${names.create}).min(1).max(1000);`);
  }
  if (methods.has("get")) {
    blocks.push(`/** Query of GET ${entity.crud?.basePath ?? ""}/:id. */\nexport const ${names.getQuery} = z.strictObject({\n${shaping.join("\n")}\n});`);
  }
  if (methods.has("list") && entity.crud) {
    const { defaultLimit, maxLimit, type } = entity.crud.pagination;
    helpers.add("queryInt");
    helpers.add("queryBoolean");
    const paging = type === "cursor"
      ? [`  limit: queryInt().pipe(z.int().min(1).max(${maxLimit})).default(${defaultLimit}),`, `  cursor: z.string().max(1024).optional(),`]
      : [
          `  limit: queryInt().pipe(z.int().min(1).max(${maxLimit})).default(${defaultLimit}),`,
          `  offset: queryInt().pipe(z.int().min(0)).default(0),`,
          `  sort: z.string().max(512).optional(),`,
          `  orderBy: z.string().max(512).optional(),`,
          `  count: queryBoolean().optional(),`,
        ];
    const lines = [
      ...paging,
      ...shaping,
      ...(entity.crud.search ? [`  search: z.string().min(1).max(256).optional(),`] : []),
      ...filterFields(entity).map((f) => `  ${key(f.name)}: ${use(zodForQuery(f))}.optional(),`),
    ];
    blocks.push(`/** Query of GET ${entity.crud.basePath}: paging, sorting and equality filters. Unknown parameters are rejected. */\nexport const ${names.listQuery} = z.strictObject({\n${lines.join("\n")}\n});\nexport type ${names.listQueryType} = z.infer<typeof ${names.listQuery}>;`);
  }
  if (helpers.size) imports.add("../lib/validation.js", ...[...helpers].sort());
  return { path: `src/validation/${entity.fileName}.ts`, content: header(`validation for ${entity.name}`, entity.loc) + file(imports.toString(), ...blocks) };
}
