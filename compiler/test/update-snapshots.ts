/** `npm run snapshots:update`: rewrites snapshots/ from fixtures/. Review the diff before committing. */
import { rmSync, existsSync, readdirSync } from "node:fs";
import { join } from "node:path";
import { fixtureNames, SNAPSHOTS, writeSnapshot } from "./snapshot-lib.js";

const names = fixtureNames();
for (const stale of existsSync(SNAPSHOTS) ? readdirSync(SNAPSHOTS) : []) {
  if (!names.includes(stale)) rmSync(join(SNAPSHOTS, stale), { recursive: true, force: true });
}
for (const name of names) writeSnapshot(name);
console.log(`updated ${names.length} snapshots: ${names.join(", ")}`);
