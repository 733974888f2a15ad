import { index, pgTable, text, timestamp, uuid } from "drizzle-orm/pg-core";

// Failed sign-in attempts, keyed by "email:<addr>" or "ip:<addr>"; the limiter counts rows in a sliding window.
export const signInFailures = pgTable(
  "sign_in_failures",
  {
    id: uuid("id").primaryKey().defaultRandom(),
    key: text("key").notNull(),
    at: timestamp("at", { withTimezone: true, mode: "date" }).notNull().defaultNow(),
  },
  (t) => [index("sign_in_failures_key_at_idx").on(t.key, t.at)],
);
