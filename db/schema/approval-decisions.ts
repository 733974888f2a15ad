import { index, pgEnum, pgTable, text, timestamp, uuid } from "drizzle-orm/pg-core";
import { id } from "./columns";
import { siteApprovals } from "./projects";
import { sites } from "./sites";
import { users } from "./users";

export const approvalDecisionEnum = pgEnum("approval_decision", ["approved", "declined", "withdrawn"]);

/**
 * Every decision a site's approvers made, newest last: an approval's row holds only its present
 * state, so a withdrawal and a later reinstatement would otherwise erase what came before. The
 * bundle hash is the one the decision covered, copied so the record reads on its own.
 */
export const approvalDecisions = pgTable(
  "approval_decisions",
  {
    id: id(),
    approvalId: uuid("approval_id")
      .notNull()
      .references(() => siteApprovals.id, { onDelete: "cascade" }),
    siteId: uuid("site_id")
      .notNull()
      .references(() => sites.id, { onDelete: "restrict" }),
    decision: approvalDecisionEnum("decision").notNull(),
    bundleHash: text("bundle_hash").notNull(),
    decidedBy: uuid("decided_by").references(() => users.id, { onDelete: "set null" }),
    decidedAt: timestamp("decided_at", { withTimezone: true, mode: "date" }).notNull().defaultNow(),
    comment: text("comment"),
  },
  (t) => [
    index("approval_decisions_site_idx").on(t.siteId, t.decidedAt),
    index("approval_decisions_approval_idx").on(t.approvalId, t.decidedAt),
  ],
);

export type ApprovalDecision = (typeof approvalDecisionEnum.enumValues)[number];
