import { defineConfig } from "drizzle-kit";

// Migrations: `npm run db:generate` (or `yamac migrate generate`) writes SQL into drizzle/.
export default defineConfig({
  dialect: "postgresql",
  schema: "./src/db/schema.ts",
  out: "./drizzle",
  dbCredentials: { url: process.env.DATABASE_URL ?? "" },
});
