/**
 * `?search=` support. User input is escaped so `%`, `_` and `\` match literally; the mode
 * decides where the wildcards go.
 */
export type SearchMode = "contains" | "starts" | "ends" | "exact";

export function escapeLike(value: string): string {
  return value.replace(/[\\%_]/g, (ch) => `\\${ch}`);
}

/** The ILIKE pattern for a search term (PostgreSQL's default LIKE escape character is `\`). */
export function likePattern(value: string, mode: SearchMode): string {
  const escaped = escapeLike(value);
  switch (mode) {
    case "starts":
      return `${escaped}%`;
    case "ends":
      return `%${escaped}`;
    case "exact":
      return escaped;
    default:
      return `%${escaped}%`;
  }
}
