import { isMap, isPair, isScalar, isSeq, LineCounter, parseDocument, type Document, type Node as YamlNode } from "yaml";
import type { DiagnosticBag, SourceLocation } from "../diagnostics.js";

/** A key path into the config, e.g. ["entities", "Product", "fields", "price"]. */
export type ConfigPath = readonly (string | number)[];

/**
 * Phase 1 output: the config as plain data plus a way back to source positions.
 * Nothing here knows what the keys mean.
 */
export interface ParsedConfig {
  file: string;
  text: string;
  /** The document as plain JS values (anchors, aliases and merge keys resolved). */
  value: unknown;
  /** Position of the value at `path` (or of its key with `part: "key"`); falls back to the nearest parent. */
  locate(path: ConfigPath, part?: "key" | "value"): SourceLocation;
}

function nodeAt(doc: Document, path: ConfigPath): { node: YamlNode | undefined; key: YamlNode | undefined; depth: number } {
  let node: unknown = doc.contents;
  let key: YamlNode | undefined;
  let depth = 0;
  for (const segment of path) {
    if (isMap(node)) {
      const pair = node.items.find((p) => isPair(p) && isScalar(p.key) && String(p.key.value) === String(segment));
      if (!pair) break;
      key = pair.key as YamlNode;
      node = pair.value ?? pair.key;
    } else if (isSeq(node) && typeof segment === "number" && node.items[segment] !== undefined) {
      key = undefined;
      node = node.items[segment];
    } else {
      break;
    }
    depth++;
  }
  return { node: node as YamlNode | undefined, key, depth };
}

export function parseConfig(file: string, text: string, diagnostics: DiagnosticBag): ParsedConfig | undefined {
  const lineCounter = new LineCounter();
  const doc = parseDocument(text, { lineCounter, merge: true, uniqueKeys: true, prettyErrors: false, strict: true });
  const at = (offset: number, length = 1): SourceLocation => {
    const pos = lineCounter.linePos(offset);
    return { file, line: pos.line, col: pos.col, length };
  };
  for (const err of doc.errors) {
    const message = err.message.split("\n")[0]!.replace(/ at line \d+, column \d+:?$/, "");
    const hint = err.code === "DUPLICATE_KEY" ? "remove or rename one of the two keys" : err.code === "BAD_INDENT" || err.code === "MISSING_CHAR" ? "check the indentation of this line and the one above" : undefined;
    diagnostics.error("yaml-syntax", message, at(err.pos[0], Math.max(1, err.pos[1] - err.pos[0])), hint);
  }
  if (doc.errors.length > 0) return undefined;
  for (const warning of doc.warnings) {
    diagnostics.warn("yaml-warning", warning.message.split("\n")[0]!, at(warning.pos[0]));
  }
  let value: unknown;
  try {
    value = doc.toJS({ maxAliasCount: 1000 });
  } catch (err) {
    diagnostics.error("yaml-syntax", (err as Error).message, at(0), "reduce the number of YAML aliases");
    return undefined;
  }
  return {
    file,
    text,
    value,
    locate(path, part = "value") {
      const { node, key, depth } = nodeAt(doc, path);
      const target = part === "key" && depth === path.length && key ? key : node;
      const range = target?.range;
      if (!range) return at(0);
      const source = isScalar(target) && typeof target.source === "string" ? target.source : undefined;
      return at(range[0], Math.max(1, (source?.length ?? range[1] - range[0]) || 1));
    },
  };
}
