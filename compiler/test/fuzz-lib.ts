/**
 * The mutations of the compiler fuzz test (compiler/test/fuzz-compiler.test.ts), shared with
 * `npm run soak`. Deterministic: case i is always the same text, so a failure can be replayed.
 */
/** A small deterministic generator, so a failing case can be replayed from its index. */
export function generator(seed: number) {
  let state = seed >>> 0;
  const next = () => {
    state ^= state << 13;
    state >>>= 0;
    state ^= state >>> 17;
    state ^= state << 5;
    state >>>= 0;
    return state;
  };
  return { int: (n: number) => next() % n, pick: <T>(items: readonly T[]): T => items[next() % items.length]! };
}
type Random = ReturnType<typeof generator>;

const VALUES = ["null", "~", "[]", "{}", "0", "-1", "true", "no", "string", "string!", "uuid", "Post", "User", "Post[]", "enum()", "json[]", "\"\"", "''", "|", ">-", "!!binary aGk=", "!!str 5", "!!int x", "=", "?", "toString", "__proto__", "constructor", "cascade", "through:x"];
const HUGE = ["99999999999999999999999999999", "1e308", "1e309", "-1e309", ".inf", "-.inf", ".nan", "0x7fffffffffffffff", "-0", "0o777777777777777777", "1_000_000"];
const UNICODE = ["\u0000", "\uFEFF", "\u202E", "\u200B", "é", "\u0301", "😀", "\uD800", "\uDFFF", "\u2028", "\u0085", "\t", "\r", "\\", "𝔘𝔫𝔦𝔠𝔬𝔡𝔢", "名前", "ـ"];

const keyOf = (line: string) => /^(\s*)(-\s+)?([^\s:#][^:#]*?):(\s|$)/.exec(line);

/** One mutation of one line (or of the whole text, for the structural ones). */
export function mutate(lines: string[], r: Random): void {
  const at = r.int(lines.length);
  const line = lines[at] ?? "";
  const pos = r.int(line.length + 1);
  const key = keyOf(line);
  switch (r.int(12)) {
    case 0: // delete a line (often a key with its value)
      lines.splice(at, 1);
      break;
    case 1: // duplicate a line (a duplicate key)
      lines.splice(at, 0, line);
      break;
    case 2: // retype a value
      if (key) lines[at] = `${line.slice(0, key.index + key[0].length)} ${r.pick(VALUES)}`;
      break;
    case 3: // wrong indentation
      lines[at] = r.int(2) === 0 ? " ".repeat(1 + r.int(3)) + line : line.replace(/^ {1,3}/, "");
      break;
    case 4: // random unicode
      lines[at] = line.slice(0, pos) + r.pick(UNICODE) + line.slice(pos);
      break;
    case 5: // huge or odd numbers
      if (key) lines[at] = `${line.slice(0, key.index + key[0].length)} ${r.pick(HUGE)}`;
      else lines[at] = line.slice(0, pos) + r.pick(HUGE) + line.slice(pos);
      break;
    case 6: { // deep nesting
      const depth = 50 + r.int(2000);
      const nested = r.int(2) === 0 ? "[".repeat(depth) + "]".repeat(depth) : "{a: ".repeat(depth) + "1" + "}".repeat(depth);
      lines[at] = key ? `${line.slice(0, key.index + key[0].length)} ${nested}` : nested;
      break;
    }
    case 7: { // anchor a mapping and merge it elsewhere
      if (!key) break;
      lines[at] = `${line} &m${at}`;
      const target = r.int(lines.length);
      const indent = /^\s*/.exec(lines[target] ?? "")![0];
      lines.splice(target + 1, 0, `${indent}  <<: *m${at}`);
      break;
    }
    case 8: // an alias to an anchor that may not exist, or to itself
      if (key) lines[at] = `${line.slice(0, key.index + key[0].length)} ${r.int(2) ? "*nope" : `&self [*self]`}`;
      break;
    case 9: // rename a key (unknown keys, misspellings, empty keys)
      if (key) lines[at] = line.replace(key[3]!, r.pick([key[3]!.slice(1), `${key[3]}s`, "", "\"\"", "?", key[3]!.toUpperCase()]));
      break;
    case 10: // break flow syntax
      lines[at] = line.slice(0, pos) + r.pick(["[", "]", "{", "}", ",", ":", "- ", "#", "&", "*", "!", "|", ">", "%", "@", "`", "'", "\""]) + line.slice(pos);
      break;
    case 11: // move a block under another key
      if (lines.length > 2) {
        const [moved] = lines.splice(at, 1);
        lines.splice(r.int(lines.length), 0, `  ${moved}`);
      }
      break;
  }
}

/** Case `i`: a fixture chosen and mutated one to four times by a generator seeded with `i`. */
export function fuzzCase(i: number, seeds: ReadonlyArray<{ name: string; text: string }>): { seed: string; text: string } {
  const r = generator(0x9e3779b9 ^ Math.imul(i, 2654435761));
  const seed = r.pick(seeds);
  const lines = seed.text.split("\n");
  for (let k = 1 + r.int(4); k > 0; k--) mutate(lines, r);
  return { seed: seed.name, text: lines.join("\n") };
}
