/**
 * Files of the yamac package itself: its package.json, the runtime-lib sources it copies into
 * emitted projects, the dev host. Found from the package root rather than from each module's own
 * place, so the compiler reads them the same way from its sources and from the CLI's bundle
 * (bin/yamac.js runs a bundle kept under node_modules/.cache).
 */
import { existsSync, readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";

function packageRoot(): URL {
  let dir = new URL("./", import.meta.url);
  for (;;) {
    if (existsSync(new URL("runtime-lib/", dir)) && existsSync(new URL("package.json", dir))) return dir;
    const up = new URL("../", dir);
    if (up.href === dir.href) throw new Error(`yamac: cannot find its package root above ${fileURLToPath(import.meta.url)}`);
    dir = up;
  }
}

const ROOT = packageRoot();

/** A file of the yamac package, by its path from the package root (e.g. "runtime-lib/db.ts"). */
export function packageFile(path: string): URL {
  return new URL(path, ROOT);
}

/** yamac's own package.json: its version and the versions it pins for emitted projects. */
export const ownPackage = JSON.parse(readFileSync(packageFile("package.json"), "utf8")) as {
  version: string;
  dependencies: Record<string, string>;
  devDependencies: Record<string, string>;
};
