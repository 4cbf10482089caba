/**
 * .env files for local runs (`npm start`, `npm run dev`, `npm run migrate`, `yamac migrate`).
 * From lowest to highest precedence:
 *   .env, .env.<env>, .env.local, .env.<env>.local
 * where <env> is NODE_ENV (default "development"). A variable already set in the real
 * environment always wins over every file: deployments configure the environment, the files only
 * fill in what is missing. Files that do not exist are skipped.
 */
import { existsSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { parseEnv } from "node:util";

/** The files read for `env`, lowest precedence first. */
export function envFileNames(env: string): string[] {
  return [".env", `.env.${env}`, ".env.local", `.env.${env}.local`];
}

/**
 * Sets the variables of the .env files in `dir` that `target` does not have yet; returns the
 * files it read.
 */
export function loadEnvFiles(dir = process.cwd(), env = process.env.NODE_ENV || "development", target: Record<string, string | undefined> = process.env): string[] {
  const real = new Set(Object.keys(target).filter((k) => target[k] !== undefined));
  const merged: Record<string, string> = {};
  const read: string[] = [];
  for (const name of envFileNames(env)) {
    const path = join(dir, name);
    if (!existsSync(path)) continue;
    Object.assign(merged, parseEnv(readFileSync(path, "utf8")));
    read.push(name);
  }
  for (const [key, value] of Object.entries(merged)) if (!real.has(key) && value !== undefined) target[key] = value;
  return read;
}
