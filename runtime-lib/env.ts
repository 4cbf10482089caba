/**
 * The start-up check of `config:` (src/env.ts): every variable is checked, and when any is
 * missing or malformed the app stops with one message that lists them all. Secret values are
 * never printed.
 */
import type { core, z } from "zod";

export interface EnvOptions {
  /** The environment variable behind a property, where the names differ. */
  names?: Readonly<Record<string, string>>;
  /** Properties whose values are never printed. */
  secrets?: readonly string[];
}

/** The environment does not satisfy the schema: one line per problem. */
export class EnvError extends Error {
  constructor(readonly problems: string[]) {
    super(`invalid environment (${problems.length} problem${problems.length === 1 ? "" : "s"}):\n${problems.map((p) => `  - ${p}`).join("\n")}\nSet them in the environment, or for local runs in .env (see .env.example).`);
    this.name = "EnvError";
  }
}

function problem(issue: core.$ZodIssue, variable: string, value: string | undefined, secret: boolean, description: string | undefined): string {
  if (value === undefined) return `${variable} is not set${description ? ` (${description})` : ""}`;
  const got = secret ? " (value hidden: secret)" : `, got ${JSON.stringify(value)}`;
  switch (issue.code) {
    case "invalid_type":
      return `${variable} must be ${issue.expected === "number" ? "a number" : `a ${issue.expected}`}${got}`;
    case "invalid_value":
      return (issue as { expected?: string }).expected === "stringbool" ? `${variable} must be true or false (or 1/0, yes/no, on/off)${got}` : `${variable} must be one of: ${issue.values.map(String).join(", ")}${got}`;
    case "invalid_format":
      return issue.format === "regex" ? `${variable} must match ${(issue as { pattern?: string }).pattern ?? "its pattern"}${got}` : `${variable} must be a valid ${issue.format}${got}`;
    case "too_small":
      return `${variable} must be ${issue.origin === "string" ? `at least ${issue.minimum} characters long` : `at least ${issue.minimum}`}${got}`;
    case "too_big":
      return `${variable} must be ${issue.origin === "string" ? `at most ${issue.maximum} characters long` : `at most ${issue.maximum}`}${got}`;
    default:
      return `${variable}: ${issue.message}${got}`;
  }
}

/** Checks `input` (an empty string counts as unset); returns the typed values or throws EnvError listing every problem. */
export function parseEnv<T extends z.ZodObject>(schema: T, input: Record<string, string | undefined>, options: EnvOptions = {}): z.output<T> {
  const values: Record<string, string | undefined> = {};
  for (const [key, value] of Object.entries(input)) values[key] = value === "" ? undefined : value;
  const result = schema.safeParse(values);
  if (result.success) return result.data;
  const seen = new Set<string>();
  const problems: string[] = [];
  for (const issue of result.error.issues) {
    const key = String(issue.path[0] ?? "");
    if (seen.has(key)) continue;
    seen.add(key);
    const description = (schema.shape[key] as z.ZodType | undefined)?.description;
    problems.push(problem(issue, options.names?.[key] ?? key, values[key], options.secrets?.includes(key) === true, description));
  }
  throw new EnvError(problems);
}

/**
 * A value of the environment that cannot work, found while the app's modules load (a JWT secret
 * too short to be safe): thrown as a bad environment is reported, without a stack trace (the
 * process printing it shows where, and the message says what to set).
 */
export function badEnvironment(problem: string): never {
  const err = new EnvError([problem]);
  err.stack = err.message;
  throw err;
}

/** parseEnv at start-up: on a bad environment, prints every problem and exits with code 1. */
export function loadEnv<T extends z.ZodObject>(schema: T, input: Record<string, string | undefined>, options: EnvOptions = {}): z.output<T> {
  try {
    return parseEnv(schema, input, options);
  } catch (err) {
    if (!(err instanceof EnvError) || typeof process === "undefined" || typeof process.exit !== "function") throw err;
    console.error(err.message);
    process.exit(1);
  }
}
