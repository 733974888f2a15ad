import { pgTable, text, uniqueIndex } from "drizzle-orm/pg-core";
import { createdAt, id, updatedAt } from "./columns";

export const sites = pgTable(
  "sites",
  {
    id: id(),
    code: text("code").notNull(),
    name: text("name").notNull(),
    region: text("region").notNull(),
    createdAt: createdAt(),
    updatedAt: updatedAt(),
  },
  (t) => [uniqueIndex("sites_code_key").on(t.code)],
);

export type Site = typeof sites.$inferSelect;
