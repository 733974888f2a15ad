import {
  doublePrecision,
  foreignKey,
  integer,
  jsonb,
  pgTable,
  primaryKey,
  text,
  timestamp,
  uuid,
} from "drizzle-orm/pg-core";
import { trainingRounds } from "./jobs";
import { bytea } from "./models";

/**
 * A portal process's share of an open round: the weighted sum of the updates it accepted
 * (float64, little-endian, the model's tensors back to back), written once when the round closes
 * in another process, in pieces (`round_partial_chunks`). Updates themselves never reach the database.
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
    publishedAt: timestamp("published_at", { withTimezone: true, mode: "date" }).notNull().defaultNow(),
  },
  (t) => [primaryKey({ columns: [t.roundId, t.holder] })],
);

/** A partial sum's bytes in pieces of at most a mebibyte (server/database/chunked-bytes.ts), `seq` from 0. */
export const roundPartialChunks = pgTable(
  "round_partial_chunks",
  {
    roundId: uuid("round_id").notNull(),
    holder: text("holder").notNull(),
    seq: integer("seq").notNull(),
    bytes: bytea("bytes").notNull(),
  },
  (t) => [
    primaryKey({ columns: [t.roundId, t.holder, t.seq] }),
    foreignKey({
      name: "round_partial_chunks_partial_fk",
      columns: [t.roundId, t.holder],
      foreignColumns: [roundPartials.roundId, roundPartials.holder],
    }).onDelete("cascade"),
  ],
);
