import {
  bigserial,
  index,
  integer,
  jsonb,
  pgTable,
  real,
  text,
  timestamp,
  uniqueIndex,
  uuid,
} from "drizzle-orm/pg-core";
import type { Capabilities, SelfCheck } from "@/protocol/contract";
import { id } from "./columns";
import { sites } from "./sites";
import { users } from "./users";

/** Site tokens, stored only as SHA-256. Rotation gives the old token an expiry; revocation is immediate. */
export const siteTokens = pgTable(
  "site_tokens",
  {
    id: id(),
    siteId: uuid("site_id")
      .notNull()
      .references(() => sites.id, { onDelete: "cascade" }),
    tokenHash: text("token_hash").notNull(),
    // The first characters, so an admin can tell tokens apart without the secret.
    tokenPrefix: text("token_prefix").notNull(),
    createdBy: uuid("created_by").references(() => users.id, { onDelete: "set null" }),
    createdAt: timestamp("created_at", { withTimezone: true, mode: "date" }).notNull().defaultNow(),
    expiresAt: timestamp("expires_at", { withTimezone: true, mode: "date" }),
    revokedAt: timestamp("revoked_at", { withTimezone: true, mode: "date" }),
    lastUsedAt: timestamp("last_used_at", { withTimezone: true, mode: "date" }),
  },
  (t) => [uniqueIndex("site_tokens_hash_key").on(t.tokenHash), index("site_tokens_site_idx").on(t.siteId)],
);

/** The latest state a site's worker reported; one row per site. */
export const siteHealth = pgTable("site_health", {
  siteId: uuid("site_id")
    .primaryKey()
    .references(() => sites.id, { onDelete: "cascade" }),
  firstSeenAt: timestamp("first_seen_at", { withTimezone: true, mode: "date" }).notNull().defaultNow(),
  lastSeenAt: timestamp("last_seen_at", { withTimezone: true, mode: "date" }).notNull().defaultNow(),
  workerVersion: text("worker_version"),
  protocolVersion: integer("protocol_version"),
  // Set when the worker speaks a protocol this hub does not: the site shows as degraded.
  protocolError: text("protocol_error"),
  capabilities: jsonb("capabilities").$type<Capabilities>(),
  selfChecks: jsonb("self_checks").$type<SelfCheck[]>().notNull().default([]),
  tasksInFlight: integer("tasks_in_flight").notNull().default(0),
  cpuPercent: real("cpu_percent"),
  memoryPercent: real("memory_percent"),
});

/** Utilisation samples for the last hours, for the admin's sparklines; pruned as new ones arrive. */
export const siteHeartbeats = pgTable(
  "site_heartbeats",
  {
    id: bigserial("id", { mode: "number" }).primaryKey(),
    siteId: uuid("site_id")
      .notNull()
      .references(() => sites.id, { onDelete: "cascade" }),
    at: timestamp("at", { withTimezone: true, mode: "date" }).notNull().defaultNow(),
    cpuPercent: real("cpu_percent").notNull(),
    memoryPercent: real("memory_percent").notNull(),
  },
  (t) => [index("site_heartbeats_site_at_idx").on(t.siteId, t.at)],
);

export type SiteHealth = typeof siteHealth.$inferSelect;
