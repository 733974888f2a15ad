import { index, integer, jsonb, pgEnum, pgTable, primaryKey, text, timestamp, unique, uuid } from "drizzle-orm/pg-core";
import type { Bundle } from "@/protocol/bundle";
import type { SignedApproval } from "@/protocol/signed-approval";
import { createdAt, id, updatedAt } from "./columns";
import { sites } from "./sites";
import { siteTasks } from "./tasks";
import { users } from "./users";

export const projectStatusEnum = pgEnum("project_status", ["draft", "submitted", "active", "closed"]);
export const projectRoleEnum = pgEnum("project_role", ["owner", "member", "viewer"]);
// Withdrawn: the site suspended an approval it had given; only a new decision reinstates it.
export const approvalStatusEnum = pgEnum("approval_status", ["pending", "approved", "declined", "withdrawn"]);

export const projects = pgTable(
  "projects",
  {
    id: id(),
    title: text("title").notNull(),
    ethicsReference: text("ethics_reference"),
    status: projectStatusEnum("status").notNull().default("draft"),
    ownerId: uuid("owner_id")
      .notNull()
      .references(() => users.id, { onDelete: "restrict" }),
    // The revision sites are asked to approve now; older revisions keep their approvals as history.
    currentRevisionId: uuid("current_revision_id"),
    createdAt: createdAt(),
    updatedAt: updatedAt(),
  },
  (t) => [index("projects_owner_idx").on(t.ownerId)],
);

export const projectMembers = pgTable(
  "project_members",
  {
    projectId: uuid("project_id")
      .notNull()
      .references(() => projects.id, { onDelete: "cascade" }),
    userId: uuid("user_id")
      .notNull()
      .references(() => users.id, { onDelete: "cascade" }),
    role: projectRoleEnum("role").notNull(),
    addedAt: timestamp("added_at", { withTimezone: true, mode: "date" }).notNull().defaultNow(),
    // Decisions newer than this show as a badge for this member.
    decisionsSeenAt: timestamp("decisions_seen_at", { withTimezone: true, mode: "date" }).notNull().defaultNow(),
  },
  (t) => [primaryKey({ columns: [t.projectId, t.userId] }), index("project_members_user_idx").on(t.userId)],
);

/** An immutable governance bundle; its hash is what a site approves. */
export const projectRevisions = pgTable(
  "project_revisions",
  {
    id: id(),
    projectId: uuid("project_id")
      .notNull()
      .references(() => projects.id, { onDelete: "cascade" }),
    number: integer("number").notNull(),
    bundle: jsonb("bundle").$type<Bundle>().notNull(),
    bundleHash: text("bundle_hash").notNull(),
    createdBy: uuid("created_by").references(() => users.id, { onDelete: "set null" }),
    createdAt: createdAt(),
  },
  (t) => [unique("project_revisions_number_key").on(t.projectId, t.number)],
);

/** The sites a project asks to use; each gets a pending approval for every new revision. */
export const projectSites = pgTable(
  "project_sites",
  {
    projectId: uuid("project_id")
      .notNull()
      .references(() => projects.id, { onDelete: "cascade" }),
    siteId: uuid("site_id")
      .notNull()
      .references(() => sites.id, { onDelete: "restrict" }),
    requestedAt: timestamp("requested_at", { withTimezone: true, mode: "date" }).notNull().defaultNow(),
  },
  (t) => [primaryKey({ columns: [t.projectId, t.siteId] })],
);

export const siteApprovals = pgTable(
  "site_approvals",
  {
    id: id(),
    revisionId: uuid("revision_id")
      .notNull()
      .references(() => projectRevisions.id, { onDelete: "cascade" }),
    siteId: uuid("site_id")
      .notNull()
      .references(() => sites.id, { onDelete: "restrict" }),
    status: approvalStatusEnum("status").notNull().default("pending"),
    decidedBy: uuid("decided_by").references(() => users.id, { onDelete: "set null" }),
    decidedAt: timestamp("decided_at", { withTimezone: true, mode: "date" }),
    comment: text("comment"),
    // The approver's passkey assertion over the decision (protocol/signed-approval.ts); null when unsigned.
    signature: jsonb("signature").$type<Pick<SignedApproval, "keyFingerprint" | "assertion">>(),
    createdAt: createdAt(),
  },
  (t) => [
    unique("site_approvals_revision_site_key").on(t.revisionId, t.siteId),
    index("site_approvals_site_status_idx").on(t.siteId, t.status),
  ],
);

export const cohortRunPurposeEnum = pgEnum("cohort_run_purpose", ["feasibility", "approved"]);

/** One request to count a cohort at several sites; each site's work is a site task. */
export const cohortRuns = pgTable(
  "cohort_runs",
  {
    id: id(),
    projectId: uuid("project_id")
      .notNull()
      .references(() => projects.id, { onDelete: "cascade" }),
    revisionId: uuid("revision_id")
      .notNull()
      .references(() => projectRevisions.id, { onDelete: "cascade" }),
    purpose: cohortRunPurposeEnum("purpose").notNull(),
    definitionHash: text("definition_hash").notNull(),
    createdBy: uuid("created_by").references(() => users.id, { onDelete: "set null" }),
    createdAt: createdAt(),
  },
  (t) => [index("cohort_runs_project_idx").on(t.projectId, t.definitionHash)],
);

export const cohortRunTasks = pgTable(
  "cohort_run_tasks",
  {
    runId: uuid("run_id")
      .notNull()
      .references(() => cohortRuns.id, { onDelete: "cascade" }),
    siteId: uuid("site_id")
      .notNull()
      .references(() => sites.id, { onDelete: "restrict" }),
    taskId: uuid("task_id")
      .notNull()
      .references(() => siteTasks.id, { onDelete: "cascade" }),
  },
  (t) => [primaryKey({ columns: [t.runId, t.siteId] })],
);

export type Project = typeof projects.$inferSelect;
export type ProjectRole = (typeof projectRoleEnum.enumValues)[number];
export type ProjectStatus = (typeof projectStatusEnum.enumValues)[number];
export type SiteApproval = typeof siteApprovals.$inferSelect;
