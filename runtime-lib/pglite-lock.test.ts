/** One process at a time on a PGlite data directory: the lock file beside it. */
import { spawn } from "node:child_process";
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { lockDataDir } from "./pglite.js";

const base = mkdtempSync(join(tmpdir(), "yamac-pglite-lock-"));
afterAll(() => rmSync(base, { recursive: true, force: true }));

describe("lockDataDir", () => {
  it("writes this process's id beside the directory (making its parent) and removes it on release", () => {
    const dir = join(base, "new-parent", "own");
    const release = lockDataDir(dir);
    expect(readFileSync(`${dir}.lock`, "utf8").trim()).toBe(String(process.pid));
    release();
    expect(existsSync(`${dir}.lock`)).toBe(false);
  });

  it("refuses a directory another live process has open, and takes over once that process is gone", async () => {
    const dir = join(base, "shared");
    const other = spawn("sleep", ["30"], { stdio: "ignore" });
    try {
      writeFileSync(`${dir}.lock`, `${other.pid}\n`);
      expect(() => lockDataDir(dir)).toThrow(`is open in process ${other.pid}`);
      expect(readFileSync(`${dir}.lock`, "utf8").trim()).toBe(String(other.pid));
    } finally {
      other.kill();
      await new Promise((resolve) => other.once("exit", resolve));
    }
    const release = lockDataDir(dir);
    expect(readFileSync(`${dir}.lock`, "utf8").trim()).toBe(String(process.pid));
    release();
  });

  it("a lock naming this very process (a container restarted with the same pid) is stale", () => {
    const dir = join(base, "restarted");
    writeFileSync(`${dir}.lock`, `${process.pid}\n`);
    const release = lockDataDir(dir);
    release();
    expect(existsSync(`${dir}.lock`)).toBe(false);
  });
});
