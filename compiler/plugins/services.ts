/**
 * Typed clients of other services, from the `services:` section (YAMA roadmap, tier 3):
 *
 *   services:
 *     payment-service:
 *       baseUrl: ${PAYMENT_SERVICE_URL}
 *       headers: { authorization: "Bearer ${PAYMENT_TOKEN}" }
 *       endpoints:
 *         - { path: /payments, method: POST, body: {type: CreatePaymentInput}, response: {type: Payment} }
 *         - { path: /payments/:id, method: GET, response: Payment }
 *       resilience:
 *         timeout: 5000
 *         retry: { maxAttempts: 3, backoff: exponential, initialDelay: 100 }
 *         circuitBreaker: { failureThreshold: 5, resetTimeout: 30000 }
 *
 * Compiled to src/services.ts: one object per service (`paymentService`), one typed method per
 * endpoint (`createPayment(input)`, `getPayment({id})`), and `services`, which handlers get as
 * `ctx.services`. Body and response types name schemas or entities of the config.
 */
import { z } from "zod";
import { parseConfigString } from "../2-analyze/config-string.js";
import { camelCase, singularize, wordsOf } from "../2-analyze/types.js";
import { closest } from "../diagnostics.js";
import { envText, requiredVariables } from "../4-emit/env.js";
import { file, header, Imports, key, ts } from "../4-emit/writer.js";
import type { ProjectIR } from "../ir.js";
import type { ContextMember, YamaPlugin } from "./types.js";

const METHODS = ["GET", "POST", "PUT", "PATCH", "DELETE"] as const;
type Method = (typeof METHODS)[number];

/** `Payment`, `Payment[]` or `{type: Payment}`. */
const typeRef = z.union([z.string().min(1), z.strictObject({ type: z.string().min(1) })]);

const endpoint = z.strictObject({
  path: z.string().regex(/^\/[^?#\s]*$/, "must be a path starting with /, e.g. /users/:id"),
  method: z.string().transform((m) => m.toUpperCase()).pipe(z.enum(METHODS)),
  /** The client method's name (default: from the method and path, e.g. getUser). */
  name: z.string().regex(/^[A-Za-z_$][A-Za-z0-9_$]*$/, "must be an identifier such as getUser").optional(),
  description: z.string().optional(),
  body: typeRef.optional(),
  response: typeRef.optional(),
});

const service = z.strictObject({
  baseUrl: z.string().min(1),
  /** Informational (the base URL carries any version prefix). */
  version: z.union([z.string(), z.number()]).optional(),
  description: z.string().optional(),
  headers: z.record(z.string(), z.string()).optional(),
  timeout: z.number().int().positive().optional(),
  endpoints: z.array(endpoint).default([]),
  resilience: z
    .strictObject({
      timeout: z.number().int().positive().optional(),
      retry: z
        .strictObject({
          enabled: z.boolean().default(true),
          maxAttempts: z.number().int().min(1).max(10).default(3),
          backoff: z.enum(["exponential", "constant"]).default("exponential"),
          initialDelay: z.number().int().nonnegative().default(100),
        })
        .optional(),
      circuitBreaker: z
        .strictObject({
          enabled: z.boolean().default(true),
          failureThreshold: z.number().int().positive().default(5),
          /** Accepted for compatibility; each attempt's limit is `resilience.timeout`. */
          timeout: z.number().int().positive().optional(),
          resetTimeout: z.number().int().positive().default(30_000),
        })
        .optional(),
      loadBalancer: z.unknown().optional(),
    })
    .optional(),
  discovery: z.unknown().optional(),
});

const options = z.strictObject({
  services: z.record(z.string().regex(/^[A-Za-z][A-Za-z0-9_-]*$/, "must be a name such as payment-service"), service),
});

/** The options, with where each service is declared (set by analyze, for the emitted doc comments). */
export type ServicesOptions = z.output<typeof options> & { declaredAt?: Record<string, string> };
type ServiceDef = z.output<typeof service>;
type EndpointDef = z.output<typeof endpoint>;

/** A type reference as written: its name and whether it is a list. */
function refOf(ref: z.output<typeof typeRef>): { name: string; array: boolean } {
  const text = (typeof ref === "string" ? ref : ref.type).trim();
  return text.endsWith("[]") ? { name: text.slice(0, -2), array: true } : { name: text, array: false };
}

/** The path's parameters (`:id`, `{id}`), in order. */
const paramsOf = (path: string): string[] => [...path.matchAll(/[:{]([A-Za-z_][A-Za-z0-9_]*)\}?/g)].map((m) => m[1]!);

/** `/users/{id}` → `/users/:id`. */
const templateOf = (path: string): string => path.replace(/\{([A-Za-z_][A-Za-z0-9_]*)\}/g, ":$1");

/** getUser (GET /users/:id), listUsers (GET /users), createPayment (POST /payments), updateUser, deleteUser. */
function endpointMethodName(method: Method, path: string): string {
  const segments = path.split("/").filter((s) => s !== "");
  const byParam = segments.length > 0 && /^[:{]/.test(segments.at(-1)!);
  const resource = segments.filter((s) => !/^[:{]/.test(s)).at(-1) ?? "root";
  const words = wordsOf(resource);
  const one = [...words.slice(0, -1), singularize(words.at(-1) ?? resource)].join(" ");
  const verb = method === "GET" ? (byParam ? "get" : "list") : method === "POST" ? "create" : method === "DELETE" ? "delete" : "update";
  const noun = method === "GET" && !byParam ? words.join(" ") : one;
  return camelCase(`${verb} ${noun}`);
}

/** The identifier of a service in emitted code: payment-service → paymentService. */
const serviceIdentifier = (name: string): string => camelCase(name);

export const servicesPlugin: YamaPlugin<ServicesOptions> = {
  name: "@betagors/yama-service-client",
  aliases: ["services", "service-client"],
  sections: ["services"],
  options,
  analyze(opts, ctx) {
    const at = (...rest: (string | number)[]) => ctx.parsed.locate(["services", ...rest]);
    const atKey = (...rest: (string | number)[]) => ctx.parsed.locate(["services", ...rest], "key");
    const raw = (ctx.config.schemas ?? {}) as Record<string, unknown>;
    const types = new Set([...ctx.entities.map((e) => e.name), ...Object.keys(raw)]);
    const identifiers = new Map<string, string>();
    opts.declaredAt = {};
    for (const [name, svc] of Object.entries(opts.services)) {
      const loc = atKey(name);
      opts.declaredAt[name] = `${loc.file}:${loc.line}`;
      const id = serviceIdentifier(name);
      const other = identifiers.get(id);
      if (other !== undefined) ctx.diagnostics.error("bad-plugin-option", `services ${other} and ${name} both become \`${id}\` in code`, atKey(name), "rename one of them");
      identifiers.set(id, name);
      const base = parseConfigString(svc.baseUrl);
      if (base.kind === "literal" && !/^https?:\/\/[^\s]+$/.test(svc.baseUrl)) ctx.diagnostics.error("bad-plugin-option", `services.${name}.baseUrl must be an http(s) URL or come from the environment`, at(name, "baseUrl"), "write e.g. `baseUrl: ${PAYMENT_SERVICE_URL}`");
      for (const [header, value] of Object.entries(svc.headers ?? {})) {
        if (/^(authorization|x-api-key|api-key|cookie)$/i.test(header) && parseConfigString(value).kind === "literal") {
          ctx.diagnostics.error("secret-in-config", `services.${name}.headers.${header} is written into the config`, at(name, "headers", header), `read it from the environment, e.g. \`${header}: "Bearer \${${name.toUpperCase().replace(/[^A-Z0-9]+/g, "_")}_TOKEN}"\``);
        }
      }
      for (const k of ["loadBalancer"] as const) if (svc.resilience?.[k] !== undefined) ctx.diagnostics.warn("not-yet-compiled", `services.${name}.resilience.${k} is not compiled by this version of yamac; calls go to baseUrl`, atKey(name, "resilience", k));
      if (svc.discovery !== undefined) ctx.diagnostics.warn("not-yet-compiled", `services.${name}.discovery is not compiled by this version of yamac; calls go to baseUrl`, atKey(name, "discovery"));
      const methods = new Map<string, number>();
      svc.endpoints.forEach((ep, i) => {
        const methodName = ep.name ?? endpointMethodName(ep.method, ep.path);
        if (methods.has(methodName)) ctx.diagnostics.error("bad-plugin-option", `services.${name}: endpoints ${methods.get(methodName)! + 1} and ${i + 1} are both ${methodName}()`, at(name, "endpoints", i), "give one of them `name:`");
        methods.set(methodName, i);
        for (const part of ["body", "response"] as const) {
          const ref = ep[part];
          if (ref === undefined) continue;
          const { name: typeName } = refOf(ref);
          if (!types.has(typeName)) {
            const s = closest(typeName, [...types]);
            ctx.diagnostics.error("unknown-type", `services.${name} ${ep.method} ${ep.path}: ${part} type ${typeName} is neither a schema nor an entity`, at(name, "endpoints", i, part), s ? `did you mean ${s}?` : "declare it under `schemas:`, or leave the type out (unknown)");
          }
        }
        if (ep.body !== undefined && (ep.method === "GET" || ep.method === "DELETE")) ctx.diagnostics.error("bad-plugin-option", `services.${name}: ${ep.method} ${ep.path} cannot send a body`, at(name, "endpoints", i, "body"), "a GET or DELETE method's input goes to the query string; remove `body:`");
      });
    }
  },
  emit(opts, ir) {
    if (ir.endpoints.length === 0) return {};
    const imports = new Imports().add("./lib/service-client.js", "serviceClient");
    const typeOf = (ref: z.output<typeof typeRef> | undefined): string => {
      if (ref === undefined) return "unknown";
      const { name, array } = refOf(ref);
      const entity = ir.entities.find((e) => e.name === name);
      if (entity) imports.type(`./repositories/${entity.fileName}.js`, name);
      else imports.type("./schemas.js", name);
      return array ? `${name}[]` : name;
    };
    const blocks: string[] = [];
    const names: string[] = [];
    for (const [name, svc] of Object.entries(opts.services)) {
      const id = serviceIdentifier(name);
      names.push(id);
      const call = `${id}Call`;
      blocks.push(`const ${call} = serviceClient(${serviceSettings(name, svc)});

/** ${name}${svc.description ? `: ${svc.description}` : ""} (${opts.declaredAt?.[name] ?? ir.configFile}). */
export const ${id} = {
${svc.endpoints.map((ep) => method(ep, call, typeOf)).join("\n")}
};`);
    }
    blocks.push(`/** Every service of yama.yaml: \`ctx.services.${names[0] ?? "name"}\` in handlers. */
export const services = { ${names.join(", ")} };`);
    const use = ir.plugins.find((p) => p.name === servicesPlugin.name);
    const context: ContextMember[] = [{ name: "services", imports: { "./services.js": ["services"] }, doc: "Typed clients of the services yama.yaml declares (src/services.ts).", type: "typeof services", value: "services" }];
    return {
      files: [{ path: "src/services.ts", content: header("service clients", use?.loc ?? ir.configFile) + file(imports.toString(), ...blocks) }],
      context,
      dependencies: { cockatiel: "^3.2.1" },
    };
  },
};

/** The serviceClient options of one service. */
function serviceSettings(name: string, svc: ServiceDef): string {
  const base = parseConfigString(svc.baseUrl);
  const variables = requiredVariables(base);
  const lines = [`  name: ${ts(name)},`, `  baseUrl: ${base.kind === "literal" ? ts(svc.baseUrl) : envText(base)},`, `  variables: [${variables.map(ts).join(", ")}],`];
  const headers = Object.entries(svc.headers ?? {});
  if (headers.length) lines.push(`  headers: { ${headers.map(([k, v]) => `${key(k.toLowerCase())}: ${envText(parseConfigString(v))}`).join(", ")} },`);
  lines.push(`  timeoutMs: ${svc.resilience?.timeout ?? svc.timeout ?? 10_000},`);
  const r = svc.resilience?.retry;
  if (r?.enabled) lines.push(`  retry: { maxAttempts: ${r.maxAttempts}, backoff: ${ts(r.backoff)}, initialDelayMs: ${r.initialDelay} },`);
  const cb = svc.resilience?.circuitBreaker;
  if (cb?.enabled) lines.push(`  circuitBreaker: { failureThreshold: ${cb.failureThreshold}, resetTimeoutMs: ${cb.resetTimeout} },`);
  return `{\n${lines.join("\n")}\n}`;
}

/** One typed method of a service client. */
function method(ep: EndpointDef, call: string, typeOf: (ref: z.output<typeof typeRef> | undefined) => string): string {
  const name = ep.name ?? endpointMethodName(ep.method, ep.path);
  const params = paramsOf(ep.path);
  const path = templateOf(ep.path);
  const paramType = params.length ? `{ ${params.map((p) => `${key(p)}: string | number`).join("; ")} }` : undefined;
  const hasBody = ep.method === "POST" || ep.method === "PUT" || ep.method === "PATCH";
  const body = ep.body !== undefined ? typeOf(ep.body) : hasBody ? "Record<string, unknown>" : "Record<string, string | number | boolean | readonly (string | number)[] | undefined>";
  const input = paramType ? `${paramType} & ${body}` : body;
  // A method with no path parameters and no declared body may be called without input.
  const optional = !paramType && ep.body === undefined;
  const response = typeOf(ep.response);
  const doc = `  /** ${ep.method} ${path}${ep.description ? `: ${ep.description}` : ""}${hasBody ? (params.length ? ` (${params.join(", ")} in the path, the rest as the JSON body)` : " (the input is the JSON body)") : params.length ? ` (${params.join(", ")} in the path, the rest as the query string)` : " (the input is the query string)"}. */`;
  return `${doc}
  ${key(name)}: (input${optional ? "?" : ""}: ${input}) => ${call}<${response}>({ name: ${ts(name)}, method: ${ts(ep.method)}, path: ${ts(path)}, params: [${params.map(ts).join(", ")}] }, input),`;
}
