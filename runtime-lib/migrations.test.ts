/** Reading the migrations folder: a journal entry whose file is gone is named, with what to do. */
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { readMigrations } from "./migrations.js";

describe("readMigrations", () => {
  it("names a migration the journal lists but the folder lacks", () => {
    const folder = mkdtempSync(join(tmpdir(), "yamac-migrations-"));
    try {
      mkdirSync(join(folder, "meta"));
      writeFileSync(join(folder, "meta", "_journal.json"), JSON.stringify({ entries: [{ tag: "0000_init", when: 1 }, { tag: "0001_dev", when: 2 }] }));
      writeFileSync(join(folder, "0000_init.sql"), "CREATE TABLE a (id int);\n");
      expect(() => readMigrations(folder)).toThrow(/lists migration 0001_dev, but .*0001_dev\.sql does not exist: restore the file, or remove its entry from the journal/);
      writeFileSync(join(folder, "0001_dev.sql"), "ALTER TABLE a ADD b int;\n");
      expect(readMigrations(folder).map((m) => m.tag)).toEqual(["0000_init", "0001_dev"]);
    } finally {
      rmSync(folder, { recursive: true, force: true });
    }
  });
});
