/**
 * Section-by-section parsing, for `yamac dev`: a save that changes one entity re-parses that
 * entity's lines only.
 *
 * The text is cut at its top-level keys (lines that start in column 0), and a section whose key
 * line holds nothing else (`entities:`) is cut again at its children's keys (`  Product:`). Each
 * piece is parsed on its own, as a YAML document of one pair, and kept by its text: the next
 * compile parses only the pieces whose text changed. The pieces' values are then put together in
 * file order, and positions are their own plus where the piece starts in the file.
 *
 * This gives what parsing the whole text gives only when the pieces are independent, so the whole
 * text is parsed instead (parse.ts) whenever a piece is not a clean document of exactly one pair
 * of a block mapping, starting at its first line: a syntax error or warning anywhere, an alias (its anchor may be in
 * another piece), document markers or directives, a key twice, keys that are not strings, tabs
 * or carriage returns in the layout. A cut in the wrong place (inside a multi-line quoted string
 * or flow collection) leaves a piece that does not parse cleanly, so it falls back too. The
 * equivalence of both ways (values and every position) is tested on every fixture and on
 * mutated configs (compiler/test/sections.test.ts).
 */
import { isMap, isScalar, LineCounter, parseDocument, visit, type Document, type Scalar, type YAMLMap } from "yaml";
import type { SourceLocation } from "../diagnostics.js";
import { duplicateKeys, nodeAt, spanOf, YAML_OPTIONS, type ConfigPath, type ParsedConfig } from "./parse.js";

/** One piece of the text parsed on its own: a document whose root is a block mapping of one pair. */
interface Piece {
  doc: Document;
  root: YAMLMap;
  key: string;
}

/** A piece at its place in the file. */
interface Placed {
  piece: Piece;
  /** Offset of the piece's text in the file. */
  base: number;
}

/** A top-level section: parsed whole, or as a key line and one piece per child. */
interface Section {
  key: string;
  whole?: Placed;
  header?: Placed;
  children?: Map<string, Placed>;
  /** The range of the section's mapping value (from its first child's key to its last child's end), when cut. */
  valueRange?: [number, number];
}

export interface SectionParse {
  value: unknown;
  locate: ParsedConfig["locate"];
}

/** Lines of the text: offset of each line's start, its indentation, and what it holds. */
interface Line {
  start: number;
  indent: number;
  /** Blank or a comment: belongs to the piece it is in. */
  empty: boolean;
  /** The first character after the indentation. */
  first: string;
}

const NOT_A_PIECE = Symbol("not a piece");

export class SectionCache {
  /** Pieces by their text: those of the previous compile, and those this compile used so far. */
  private previous = new Map<string, Piece | typeof NOT_A_PIECE>();
  private current = new Map<string, Piece | typeof NOT_A_PIECE>();
  /** Of the last parse: pieces reused and parsed; whether it fell back to parsing the whole text. */
  stats = { reused: 0, parsed: 0, whole: false };

  /** The config parsed section by section, or undefined when the whole text must be parsed. */
  parse(file: string, text: string): SectionParse | undefined {
    this.previous = this.current;
    this.current = new Map();
    this.stats = { reused: 0, parsed: 0, whole: false };
    const result = this.sections(file, text);
    if (!result) this.stats.whole = true;
    return result;
  }

  private sections(file: string, text: string): SectionParse | undefined {
    if (text.includes("\r") || text.charCodeAt(0) === 0xfeff) return undefined;
    const lines = linesOf(text);
    if (!lines) return undefined;
    const lineCounter = new LineCounter();
    for (const line of lines) lineCounter.addNewLine(line.start);
    const at = (offset: number, length = 1): SourceLocation => {
      const pos = lineCounter.linePos(offset);
      return { file, line: pos.line, col: pos.col, length };
    };

    // Top-level sections start at lines in column 0; before the first, only blank lines and comments.
    const starts: number[] = [];
    for (let i = 0; i < lines.length; i++) {
      const line = lines[i]!;
      if (line.empty || line.indent > 0) continue;
      if (line.first === "-" && starts.length > 0) continue; // a list under the key above, written without indentation
      starts.push(i);
    }
    if (starts.length === 0 || lines.slice(0, starts[0]).some((line) => !line.empty)) return undefined;

    const sections = new Map<string, Section>();
    const value: Record<string, unknown> = {};
    for (let s = 0; s < starts.length; s++) {
      const from = starts[s]!;
      const to = s + 1 < starts.length ? starts[s + 1]! : lines.length;
      const section = this.section(text, lines, from, to);
      if (!section || section.key === "__proto__" || sections.has(section.key)) return undefined;
      sections.set(section.key, section);
      if (section.whole) {
        const js = toJS(section.whole.piece);
        if (js === NOT_A_PIECE) return undefined;
        value[section.key] = js;
      } else {
        const children: Record<string, unknown> = {};
        for (const [key, child] of section.children!) {
          const js = toJS(child.piece);
          if (js === NOT_A_PIECE) return undefined;
          children[key] = js;
        }
        value[section.key] = children;
      }
    }

    const first = [...sections.values()][0]!;
    const last = [...sections.values()].at(-1)!;
    const rootRange: [number, number] = [rangeOf(first)[0], rangeOf(last)[1]];
    const locateIn = (placed: Placed, path: ConfigPath, part: "key" | "value"): SourceLocation => {
      const { node, key, depth } = nodeAt(placed.piece.doc, path);
      const target = part === "key" && depth === path.length && key ? key : node;
      const range = target?.range;
      if (!range) return at(placed.base);
      return at(placed.base + range[0], spanOf(target!, range));
    };
    const locate = (path: ConfigPath, part: "key" | "value" = "value"): SourceLocation => {
      const range = (r: [number, number]) => at(r[0], Math.max(1, r[1] - r[0]));
      const section = path.length > 0 ? sections.get(String(path[0])) : undefined;
      if (!section) return range(rootRange);
      if (section.whole) return locateIn(section.whole, path, part);
      if (path.length === 1 && part === "key") return locateIn(section.header!, path, part);
      const child = path.length > 1 ? section.children!.get(String(path[1])) : undefined;
      if (!child) return range(section.valueRange!);
      return locateIn(child, path.slice(1), part);
    };
    return { value, locate };
  }

  /** Lines [from, to) as a section: cut at its children when its key line holds only the key. */
  private section(text: string, lines: Line[], from: number, to: number): Section | undefined {
    const slice = (a: number, b: number): Placed | undefined => {
      const base = lines[a]!.start;
      // Up to the next piece's key: the indentation before it is where the whole parse ends a mapping.
      const end = b < lines.length ? lines[b]!.start + lines[b]!.indent : text.length;
      const piece = this.piece(text.slice(base, end), lines[a]!.indent);
      return piece ? { piece, base } : undefined;
    };
    const children = childStarts(lines, from, to);
    if (children) {
      const header = slice(from, children[0]!);
      if (header && isBareKey(header.piece, text, header.base)) {
        const placed = new Map<string, Placed>();
        for (let c = 0; c < children.length; c++) {
          const child = slice(children[c]!, c + 1 < children.length ? children[c + 1]! : to);
          if (!child || child.piece.key === "__proto__" || placed.has(child.piece.key)) return undefined;
          placed.set(child.piece.key, child);
        }
        const all = [...placed.values()];
        const valueRange: [number, number] = [all[0]!.base + all[0]!.piece.root.range![0], all.at(-1)!.base + all.at(-1)!.piece.root.range![1]];
        return { key: header.piece.key, header, children: placed, valueRange };
      }
    }
    const whole = slice(from, to);
    return whole ? { key: whole.piece.key, whole } : undefined;
  }

  /** The text parsed as a document of one pair whose key starts after `indent` spaces, or undefined. */
  private piece(text: string, indent: number): Piece | undefined {
    let piece = this.current.get(text) ?? this.previous.get(text);
    if (piece) this.stats.reused++;
    else {
      piece = parsePiece(text, indent);
      this.stats.parsed++;
    }
    this.current.set(text, piece);
    return piece === NOT_A_PIECE ? undefined : piece;
  }
}

function parsePiece(text: string, indent: number): Piece | typeof NOT_A_PIECE {
  const doc = parseDocument(text, YAML_OPTIONS);
  if (doc.errors.length > 0 || doc.warnings.length > 0 || !isMap(doc.contents)) return NOT_A_PIECE;
  const root = doc.contents;
  const pair = root.items[0];
  if (root.flow || root.items.length !== 1 || !isScalar(pair?.key) || typeof pair.key.value !== "string" || root.range?.[0] !== indent) return NOT_A_PIECE;
  let alias = false;
  visit(doc, { Alias: () => { alias = true; return visit.BREAK; } });
  if (alias || duplicateKeys(doc).length > 0) return NOT_A_PIECE;
  return { doc, root, key: pair.key.value };
}

/** The piece's value (a fresh copy on every call: later phases may keep or change it). */
function toJS(piece: Piece): unknown {
  try {
    return (piece.doc.toJS({ maxAliasCount: 1000 }) as Record<string, unknown>)[piece.key];
  } catch {
    return NOT_A_PIECE;
  }
}

/** Nothing written after the key on its line but a comment: no value, block scalar indicator, tag or anchor. */
function isBareKey(piece: Piece, text: string, base: number): boolean {
  const { key, value } = piece.root.items[0]!;
  if (value !== null && !(isScalar(value) && value.type === "PLAIN" && value.source === "" && !value.tag && !value.anchor)) return false;
  const keyEnd = base + (key as Scalar).range![1];
  const lineEnd = text.indexOf("\n", keyEnd);
  return /^ *: *(#.*)?$/.test(text.slice(keyEnd, lineEnd === -1 ? text.length : lineEnd));
}

function rangeOf(section: Section): [number, number] {
  if (section.valueRange) return [section.header!.base + section.header!.piece.root.range![0], section.valueRange[1]];
  const { base, piece } = section.whole!;
  return [base + piece.root.range![0], base + piece.root.range![1]];
}

/**
 * Where the children of the section on lines [from, to) start, when it can be cut there: the
 * first line below the key that is not blank or a comment sets the children's indentation, every
 * later such line is indented at least as far, and the children are keys, not list items.
 */
function childStarts(lines: Line[], from: number, to: number): number[] | undefined {
  const starts: number[] = [];
  let indent = 0;
  for (let i = from + 1; i < to; i++) {
    const line = lines[i]!;
    if (line.empty) continue;
    if (indent === 0) indent = line.indent;
    if (line.indent < indent || indent === 0) return undefined;
    if (line.indent > indent) continue;
    if (line.first === "-" || line.first === "?" || line.first === ":") return undefined;
    starts.push(i);
  }
  return starts.length > 0 ? starts : undefined;
}

/** The text's lines, or undefined when its layout has tabs, document markers or directives. */
function linesOf(text: string): Line[] | undefined {
  const lines: Line[] = [];
  for (let start = 0; start <= text.length; ) {
    let end = text.indexOf("\n", start);
    if (end === -1) end = text.length;
    let i = start;
    while (i < end && text.charCodeAt(i) === 32) i++;
    const first = text[i] ?? "";
    if (first === "\t") return undefined;
    if (i === start && (first === "%" || text.startsWith("---", i) || text.startsWith("...", i))) return undefined;
    lines.push({ start, indent: i - start, empty: i === end || first === "#", first });
    if (end === text.length) break;
    start = end + 1;
  }
  return lines;
}
