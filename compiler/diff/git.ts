/**
 * Reads a project's config (and the handler files it names) as they were at a git ref, with
 * `git show <ref>:<path>`. Nothing is written: the old config is analyzed in memory.
 */
import { execFileSync } from "node:child_process";
import { basename, relative, resolve, sep } from "node:path";
import type { ProjectHost } from "../2-analyze/index.js";

function git(cwd: string, args: string[]): string {
  return execFileSync("git", args, { cwd, encoding: "utf8", stdio: ["ignore", "pipe", "pipe"], maxBuffer: 64 * 1024 * 1024 });
}

export interface RefSource {
  /** The config text at the ref, or undefined when the file did not exist there. */
  text: string | undefined;
  /** The config's file name. */
  file: string;
  /** The ref resolved to a commit, for the report. */
  commit: string;
  host: ProjectHost;
}

/** Throws with git's message when `dir` is not in a repository or the ref does not exist. */
export function readAtRef(dir: string, configPath: string, ref: string): RefSource {
  let root: string;
  try {
    root = git(dir, ["rev-parse", "--show-toplevel"]).trim();
  } catch {
    throw new Error(`${dir} is not in a git repository: yamac diff compares the config with a git ref`);
  }
  let commit: string;
  try {
    commit = git(root, ["rev-parse", "--verify", "--quiet", `${ref}^{commit}`]).trim();
  } catch {
    throw new Error(`unknown git ref "${ref}"`);
  }
  const inRepo = (p: string) => relative(root, resolve(p)).split(sep).join("/");
  const show = (path: string): string | undefined => {
    try {
      return git(root, ["show", `${commit}:${path}`]);
    } catch {
      return undefined;
    }
  };
  const projectPath = inRepo(dir);
  return {
    text: show(inRepo(configPath)),
    file: basename(configPath),
    commit,
    host: { readFile: (relativePath) => show(projectPath ? `${projectPath}/${relativePath}` : relativePath) },
  };
}
