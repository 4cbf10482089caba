/**
 * A small structured logger: one JSON line per entry, bound to the request id.
 * The logging plugin replaces it with pino; handlers only see this interface.
 */
export interface Logger {
  debug(message: string, meta?: Record<string, unknown>): void;
  info(message: string, meta?: Record<string, unknown>): void;
  warn(message: string, meta?: Record<string, unknown>): void;
  error(message: string, error?: unknown, meta?: Record<string, unknown>): void;
  child(bindings: Record<string, unknown>): Logger;
}

const LEVELS = { debug: 20, info: 30, warn: 40, error: 50 } as const;
type Level = keyof typeof LEVELS;
const threshold = LEVELS[(process.env.LOG_LEVEL as Level | undefined) ?? "info"] ?? LEVELS.info;

function write(level: Level, bindings: Record<string, unknown>, message: string, meta?: Record<string, unknown>): void {
  if (LEVELS[level] < threshold) return;
  const line = JSON.stringify({ level, time: new Date().toISOString(), ...bindings, ...meta, msg: message });
  if (LEVELS[level] >= LEVELS.warn) process.stderr.write(line + "\n");
  else process.stdout.write(line + "\n");
}

export function createLogger(bindings: Record<string, unknown> = {}): Logger {
  return {
    debug: (message, meta) => write("debug", bindings, message, meta),
    info: (message, meta) => write("info", bindings, message, meta),
    warn: (message, meta) => write("warn", bindings, message, meta),
    error: (message, error, meta) =>
      write("error", bindings, message, { ...meta, ...(error instanceof Error ? { err: { name: error.name, message: error.message } } : error !== undefined ? { err: String(error) } : {}) }),
    child: (more) => createLogger({ ...bindings, ...more }),
  };
}
