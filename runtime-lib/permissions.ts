/** `posts:*` grants `posts:read`; `*` grants everything. */
export function permits(granted: readonly string[], wanted: string): boolean {
  return granted.some((g) => g === "*" || g === wanted || (g.endsWith(":*") && wanted.startsWith(g.slice(0, -1))));
}
