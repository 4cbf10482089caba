/**
 * Watches a folder tree with one non-recursive fs.watch per directory. Directory watches see
 * files that editors replace by renaming a temporary file over them (which file watches lose),
 * and do not depend on recursive watching, which Node implements differently per platform.
 * Directories created later are watched when they appear.
 */
import { existsSync, readdirSync, statSync, watch, type FSWatcher } from "node:fs";
import { join, relative, sep } from "node:path";

export class TreeWatcher {
  private readonly watchers = new Map<string, FSWatcher>();

  /** `include(rel)` decides which directories (relative, "" for the root) are watched; `onChange(rel)` gets changed file paths. */
  constructor(
    private readonly root: string,
    private readonly include: (relDir: string) => boolean,
    private readonly onChange: (relFile: string) => void,
  ) {
    this.add(root);
  }

  private add(dir: string): void {
    const rel = relative(this.root, dir).split(sep).join("/");
    if (this.watchers.has(dir) || (rel !== "" && !this.include(rel))) return;
    const w = watch(dir, (_event, name) => {
      if (!name) return;
      const full = join(dir, name.toString());
      const path = relative(this.root, full).split(sep).join("/");
      let isDir = false;
      try {
        isDir = existsSync(full) && statSync(full).isDirectory();
      } catch {
        isDir = false;
      }
      if (isDir) this.add(full);
      else this.onChange(path);
    });
    w.on("error", () => {
      // The directory was removed: forget it.
      w.close();
      this.watchers.delete(dir);
    });
    this.watchers.set(dir, w);
    for (const entry of readdirSync(dir, { withFileTypes: true })) if (entry.isDirectory()) this.add(join(dir, entry.name));
  }

  close(): void {
    for (const w of this.watchers.values()) w.close();
    this.watchers.clear();
  }
}
