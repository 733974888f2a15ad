import { index, integer, jsonb, pgTable, primaryKey, timestamp, uuid } from "drizzle-orm/pg-core";
import type { SecAggParams } from "@/protocol/secagg/quantise";
import { trainingRounds } from "./jobs";
import { bytea } from "./models";
import { sites } from "./sites";
import { siteTasks } from "./tasks";

/**
 * A secure-aggregation round's shared state (server/jobs/secagg-rounds.ts). The phases freeze one
 * after the other: the roster (who advertised keys), who shared keys (every site masks against
 * exactly them), and the unmasking request (who uploaded, who dropped after sharing). Rows go when
 * the round closes.
 */
export const secaggRounds = pgTable("secagg_rounds", {
  roundId: uuid("round_id")
    .primaryKey()
    .references(() => trainingRounds.id, { onDelete: "cascade" }),
  params: jsonb("params").$type<SecAggParams>().notNull(),
  /** Each site's FedAvg weight is its example count over this (the largest approved count released), so it lies in [0, 1]. */
  weightDivisor: integer("weight_divisor").notNull(),
  roster: jsonb("roster").$type<string[]>(),
  sharedKeys: jsonb("shared_keys").$type<string[]>(),
  survivors: jsonb("survivors").$type<string[]>(),
  dropped: jsonb("dropped").$type<string[]>(),
  unmaskDeadlineAt: timestamp("unmask_deadline_at", { withTimezone: true, mode: "date" }),
});

/**
 * What one site sent in a secure-aggregation round: its two X25519 public keys, the sealed share
 * boxes for the others (AES-GCM under keys only the two sites can derive) and its unmasking
 * shares. Its masked update is only ever added into the round's sum (round-exchange.ts).
 */
export const secaggSites = pgTable(
  "secagg_sites",
  {
    roundId: uuid("round_id")
      .notNull()
      .references(() => secaggRounds.roundId, { onDelete: "cascade" }),
    siteId: uuid("site_id")
      .notNull()
      .references(() => sites.id, { onDelete: "restrict" }),
    taskId: uuid("task_id")
      .notNull()
      .references(() => siteTasks.id, { onDelete: "cascade" }),
    encryptionKey: bytea("encryption_key").notNull(),
    maskingKey: bytea("masking_key").notNull(),
    /** Sealed boxes by recipient site id, base64. */
    shares: jsonb("shares").$type<Record<string, string>>(),
    unmask: jsonb("unmask").$type<{
      selfMaskShares: { of: string; x: number; y: string }[];
      maskingKeyShares: { of: string; x: number; y: string }[];
    }>(),
    advertisedAt: timestamp("advertised_at", { withTimezone: true, mode: "date" }).notNull().defaultNow(),
  },
  (t) => [primaryKey({ columns: [t.roundId, t.siteId] }), index("secagg_sites_task_idx").on(t.taskId)],
);
