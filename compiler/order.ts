/**
 * The one order the compiler sorts names, paths and messages in: English collation, whatever the
 * machine's locale. `a.localeCompare(b)` follows the locale the process starts with (LANG), and
 * some locales reorder plain ASCII names (Lithuanian sorts "y" with "i"), which would reorder
 * imports, OpenAPI paths, typed-client declarations and mounted routes: two machines would emit
 * different bytes from the same yama.yaml. English collation is the order every generated file
 * already had on an English-locale machine.
 */
const english = new Intl.Collator("en");

/** Compares two strings in English collation (for `Array.prototype.sort`). */
export const compareText = (a: string, b: string): number => english.compare(a, b);
