/**
 * Plugins are compile-time modules. Each one owns a config section, validates it with its
 * own zod schema (diagnostics carry line:col like the rest of the config), records what it
 * needs in the IR, and contributes plain code to the emitted app: middleware wired into
 * src/app.ts, modules under src/plugins/, runtime-lib pieces (copied when imported) and the
 * npm packages the emitted package.json must list. An app that does not use a plugin
 * contains none of its code and none of its dependencies.
 *
 * The interface is deliberately small so that a project can later register its own plugins.
 */
import type { ZodType } from "zod";
import type { DiagnosticBag, SourceLocation } from "../diagnostics.js";
import type { ConfigPath, ParsedConfig } from "../1-parse/parse.js";
import type { OutputFile } from "../4-emit/index.js";
import type { EntityIR, ProjectIR } from "../ir.js";
import type { ProjectHost } from "../2-analyze/endpoints.js";

/** One plugin as the config enables it, with its validated options. */
export interface PluginUseIR {
  /** Canonical package-style name, e.g. `@betagors/yama-logging`. */
  name: string;
  /** The plugin's options after its schema parsed them (defaults applied). */
  options: unknown;
  loc: SourceLocation;
}

export interface PluginAnalyzeContext {
  parsed: ParsedConfig;
  diagnostics: DiagnosticBag;
  /** Where the plugin's options are in the config, for diagnostics. */
  path: ConfigPath;
  /** The whole config as plain data, for plugins that also read a top-level section. */
  config: Readonly<Record<string, unknown>>;
  /** Reads project files (handler files a plugin names); absent when compiling a config alone. */
  host?: ProjectHost;
  /** The entities, analysed (plugins that read or write tables check their fields). */
  entities: readonly EntityIR[];
}

/** A statement added to src/app.ts, e.g. `app.use(requestLogger)`. */
export interface AppWiring {
  /** Lower runs first. Conventions: 10 logging, 15 docs (routes that send their own security headers), 20 security, 30 rate limit, 40 auth (middleware), 50 and up: routes (health). Routes see only the middleware registered before them. */
  order: number;
  /** Named imports, by module specifier relative to src/app.ts. */
  imports: Readonly<Record<string, readonly string[]>>;
  statement: string;
}

/**
 * A function the app's error handler calls with every error that becomes a 500, e.g. a logger
 * or an error tracker: `(err: unknown, c: Context<AppEnv>) => void`, exported by `from`.
 */
export interface ErrorReporter {
  /** Lower runs first. */
  order: number;
  /** Module specifier relative to src/app.ts. */
  from: string;
  name: string;
  /** Whether it writes the error to the logs (otherwise the app also prints it to stderr). */
  logs?: boolean;
}

/** A member of the handler context (`ctx.<name>`), typed, built once per request or shared. */
export interface ContextMember {
  name: string;
  /** Named imports, by module specifier relative to src/context.ts. */
  imports: Readonly<Record<string, readonly string[]>>;
  /** Type-only imports, likewise. */
  typeImports?: Readonly<Record<string, readonly string[]>>;
  /** Its doc comment in HandlerContext. */
  doc: string;
  type: string;
  /** An expression of that type; `c` is the request's Hono context. */
  value: string;
  /** Whether `value` needs the request (`c`): such members are not given to queue job processors. */
  requestScoped?: boolean;
}

/** Something src/server.ts awaits on shutdown before exiting (flushing telemetry). */
export interface ShutdownStep {
  /** Named imports, by module specifier relative to src/server.ts. */
  imports: Readonly<Record<string, readonly string[]>>;
  /** A promise-valued expression. */
  call: string;
  /** Run once the server stopped taking requests and before the database closes (work that still uses it, e.g. queue workers). */
  beforeDatabase?: boolean;
  /** Run first, before the server stops taking requests: connections that would keep it open (WebSockets). */
  beforeServer?: boolean;
}

/** A statement src/server.ts runs once the server listens (e.g. starting queue workers). */
export interface StartupStep {
  /** Named imports, by module specifier relative to src/server.ts. */
  imports: Readonly<Record<string, readonly string[]>>;
  statement: string;
}

/** An option of `serve()` in src/server.ts (the Node server), e.g. `websocket: { server: sockets }`. */
export interface ServeOption {
  /** Named imports, by module specifier relative to src/server.ts. */
  imports: Readonly<Record<string, readonly string[]>>;
  /** `name: value`. */
  property: string;
}

export interface PluginContribution {
  serveOptions?: ServeOption[];
  wiring?: AppWiring[];
  errorReporters?: ErrorReporter[];
  context?: ContextMember[];
  shutdown?: ShutdownStep[];
  startup?: StartupStep[];
  files?: OutputFile[];
  /** npm scripts the emitted package.json gets (written once, like the file itself). */
  scripts?: Readonly<Record<string, string>>;
  /** npm packages the emitted project needs, with versions. */
  dependencies?: Readonly<Record<string, string>>;
  /** npm packages its type check needs (type declarations), with versions. */
  devDependencies?: Readonly<Record<string, string>>;
  /** Top-level fields of the emitted package.json (written once, like the file itself). */
  packageFields?: Readonly<Record<string, unknown>>;
  /** Table modules the plugin adds under src/db/tables/ (file names without .ts), exported by src/db/schema.ts so migrations create them. */
  tables?: readonly string[];
}

export interface YamaPlugin<TOptions = unknown> {
  name: string;
  /** Other names configs use for it (`logging`, `@betagors/yama-logging`). */
  aliases: readonly string[];
  /**
   * Top-level config sections that enable the plugin without a `plugins:` entry (e.g. `rateLimit`).
   * Its options are then `{<section>: <value>, …}` and diagnostics point into those sections.
   */
  sections?: readonly string[];
  /** A context member only one plugin of the config may provide (the e-mail providers' `ctx.email`): a second such plugin is an error. */
  provides?: "email";
  /** Validates the plugin's options; unknown keys should be rejected (strictObject). */
  options: ZodType<TOptions>;
  /**
   * Extra checks once the options parsed (cross-references to entities, handler files, other
   * sections such as `monitoring:`). It may complete its own options object with what it
   * resolved (e.g. handler files found), which `emit` then reads.
   */
  analyze?(options: TOptions, ctx: PluginAnalyzeContext): void;
  /** What the plugin adds to the emitted app. */
  emit(options: TOptions, ir: ProjectIR): PluginContribution;
}

/**
 * `X-Request-ID` on every response (honouring a well-formed incoming one). The observability
 * plugins wire it so a client's id leads to its log lines, spans and error events; apps without
 * them still put a request id in every error body, but skip the header.
 */
export const REQUEST_ID_WIRING: AppWiring = { order: 1, imports: { "./lib/http.js": ["requestId"] }, statement: "app.use(requestId);" };
