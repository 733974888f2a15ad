import { boolean, doublePrecision, index, integer, pgTable, unique, uuid } from "drizzle-orm/pg-core";
import { createdAt, id } from "./columns";
import { jobs } from "./jobs";
import { projects } from "./projects";
import { sites } from "./sites";

/**
 * What each site reported about differential privacy with each DP update: the guarantee the update
 * carries and the ε the site had spent on the project after it, against its own budget (the site's
 * ledger is the authority; this is the hub's copy for the budget view and the model card).
 */
export const privacyReports = pgTable(
  "privacy_reports",
  {
    id: id(),
    projectId: uuid("project_id")
      .notNull()
      .references(() => projects.id, { onDelete: "cascade" }),
    jobId: uuid("job_id")
      .notNull()
      .references(() => jobs.id, { onDelete: "cascade" }),
    round: integer("round").notNull(),
    siteId: uuid("site_id")
      .notNull()
      .references(() => sites.id, { onDelete: "cascade" }),
    epsilonSpent: doublePrecision("epsilon_spent").notNull(),
    delta: doublePrecision("delta").notNull(),
    maxEpsilon: doublePrecision("max_epsilon").notNull(),
    noiseMultiplier: doublePrecision("noise_multiplier").notNull(),
    clipNorm: doublePrecision("clip_norm").notNull(),
    exampleLevel: boolean("example_level").notNull(),
    secureAggregation: boolean("secure_aggregation").notNull(),
    reportedAt: createdAt(),
  },
  (t) => [unique().on(t.jobId, t.round, t.siteId), index().on(t.projectId, t.siteId)],
);
export type PrivacyReportRow = typeof privacyReports.$inferSelect;
