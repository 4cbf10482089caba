/**
 * Generates a yama.yaml with N entities for compile-speed measurements: each entity has
 * ~10 fields, a belongsTo relation to the previous entity (and so a hasMany back), CRUD with
 * search, and one endpoint.
 */
export function generateConfig(entities: number): string {
  const lines = ["name: scale", "version: 0.1.0", "", "entities:"];
  const name = (i: number) => `Thing${i}`;
  for (let i = 0; i < entities; i++) {
    lines.push(
      `  ${name(i)}:`,
      "    fields:",
      "      id: uuid!",
      "      title: string(1..200)! indexed",
      "      body: text?",
      "      price: decimal(10,2) = 0",
      "      quantity: integer = 0",
      "      active: boolean = true",
      "      status: enum(draft, live, archived) = draft",
      "      meta: json?",
      "      code: string(1..32)! unique",
      ...(i > 0 ? [`      parent: ${name(i - 1)}? setNull`] : []),
      ...(i < entities - 1 ? [`      children: ${name(i + 1)}[]`] : []),
      "      createdAt: timestamp",
      "      updatedAt: timestamp",
      "    crud:",
      "      search: [title, body]",
    );
  }
  lines.push("", "endpoints:");
  for (let i = 0; i < entities; i++) {
    lines.push(`  - path: /things${i}/live`, "    method: GET", "    query:", "      limit: integer(1..100) = 20", `    response: ${name(i)}[]`);
  }
  return lines.join("\n") + "\n";
}
