import { doublePrecision, jsonb, pgTable, primaryKey, text, timestamp, uuid } from "drizzle-orm/pg-core";
import { trainingRounds } from "./jobs";
import { bytea } from "./models";

/**
 * A portal process's share of an open round: the weighted sum of the updates it accepted
 * (float64, little-endian, the model's tensors back to back), written once when the round closes
 * in another process. Updates themselves never reach the database.
 */
export const roundPartials = pgTable(
  "round_partials",
  {
    roundId: uuid("round_id")
      .notNull()
      .references(() => trainingRounds.id, { onDelete: "cascade" }),
    // The portal process that accepted these updates (round_updates.holder).
    holder: text("holder").notNull(),
    contributors: jsonb("contributors").$type<string[]>().notNull(),
    totalWeight: doublePrecision("total_weight").notNull(),
    sums: bytea("sums").notNull(),
    publishedAt: timestamp("published_at", { withTimezone: true, mode: "date" }).notNull().defaultNow(),
  },
  (t) => [primaryKey({ columns: [t.roundId, t.holder] })],
);
