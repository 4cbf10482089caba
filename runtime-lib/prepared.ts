/**
 * Prepared statements for queries whose SQL depends on the request: which filters were sent
 * and how the list is sorted. Each distinct shape is built and prepared once, on first use;
 * after that a request only binds values. The number of shapes kept is bounded, so a client
 * cycling through sort orders cannot grow memory without limit (beyond the bound, statements
 * are built per request, which is still correct, only slower).
 */
export function preparedPerShape<A extends (string | undefined)[], T>(build: (...args: A) => T, max = 256): (...args: A) => T {
  const cache = new Map<string, T>();
  return (...args: A): T => {
    const key = args.join("\u0000");
    let statement = cache.get(key);
    if (statement === undefined) {
      statement = build(...args);
      if (cache.size < max) cache.set(key, statement);
    }
    return statement;
  };
}
