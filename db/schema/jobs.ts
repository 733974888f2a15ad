import { relations } from "drizzle-orm";
import {
  bigserial,
  doublePrecision,
  index,
  integer,
  jsonb,
  pgEnum,
  pgTable,
  primaryKey,
  text,
  timestamp,
  unique,
  uuid,
} from "drizzle-orm/pg-core";
import type { JobConfig } from "@/protocol/registry";
import type { TrainResult } from "@/protocol/training";
import { createdAt, id, updatedAt } from "./columns";
import { artifacts, models, modelVersions } from "./models";
import { projectRevisions, projects } from "./projects";
import { sites } from "./sites";
import { siteTasks } from "./tasks";
import { users } from "./users";

export const jobKindEnum = pgEnum("job_kind", ["train", "evaluate"]);
export const jobStatusEnum = pgEnum("job_status", ["queued", "running", "completed", "failed", "cancelled"]);
export const roundStatusEnum = pgEnum("round_status", ["open", "closed", "failed", "cancelled"]);

/** A federated training or evaluation job over a project's approved sites. */
export const jobs = pgTable(
  "jobs",
  {
    id: id(),
    projectId: uuid("project_id")
      .notNull()
      .references(() => projects.id, { onDelete: "cascade" }),
    modelId: uuid("model_id")
      .notNull()
      .references(() => models.id, { onDelete: "cascade" }),
    kind: jobKindEnum("kind").notNull(),
    status: jobStatusEnum("status").notNull().default("queued"),
    // The version the job starts from (train) or evaluates (evaluate).
    versionId: uuid("version_id")
      .notNull()
      .references(() => modelVersions.id, { onDelete: "restrict" }),
    // The approved revision the job was validated against; its hash goes into every version's lineage.
    revisionId: uuid("revision_id")
      .notNull()
      .references(() => projectRevisions.id, { onDelete: "restrict" }),
    config: jsonb("config").$type<JobConfig>().notNull(),
    // [{ id, code }] of the sites the job uses, fixed at creation.
    sites: jsonb("sites").$type<{ id: string; code: string }[]>().notNull(),
    totalRounds: integer("total_rounds").notNull().default(1),
    currentRound: integer("current_round").notNull().default(0),
    latestVersionId: uuid("latest_version_id"),
    error: text("error"),
    createdBy: uuid("created_by").references(() => users.id, { onDelete: "set null" }),
    createdAt: createdAt(),
    updatedAt: updatedAt(),
    startedAt: timestamp("started_at", { withTimezone: true, mode: "date" }),
    finishedAt: timestamp("finished_at", { withTimezone: true, mode: "date" }),
  },
  (t) => [index("jobs_project_idx").on(t.projectId, t.createdAt), index("jobs_status_idx").on(t.status)],
);

/** One round of a training job; its accepted updates are in round_updates. */
export const trainingRounds = pgTable(
  "training_rounds",
  {
    id: id(),
    jobId: uuid("job_id")
      .notNull()
      .references(() => jobs.id, { onDelete: "cascade" }),
    number: integer("number").notNull(),
    status: roundStatusEnum("status").notNull().default("open"),
    globalVersionId: uuid("global_version_id")
      .notNull()
      .references(() => modelVersions.id, { onDelete: "restrict" }),
    deadlineAt: timestamp("deadline_at", { withTimezone: true, mode: "date" }).notNull(),
    expectedSites: integer("expected_sites").notNull(),
    resultVersionId: uuid("result_version_id").references(() => modelVersions.id, { onDelete: "set null" }),
    startedAt: timestamp("started_at", { withTimezone: true, mode: "date" }).notNull().defaultNow(),
    closedAt: timestamp("closed_at", { withTimezone: true, mode: "date" }),
  },
  (t) => [unique("training_rounds_number_key").on(t.jobId, t.number)],
);

/** The site tasks a job dispatched: one per site per round (train) or one per site (evaluate). */
export const jobTasks = pgTable(
  "job_tasks",
  {
    jobId: uuid("job_id")
      .notNull()
      .references(() => jobs.id, { onDelete: "cascade" }),
    taskId: uuid("task_id")
      .notNull()
      .references(() => siteTasks.id, { onDelete: "cascade" }),
    siteId: uuid("site_id")
      .notNull()
      .references(() => sites.id, { onDelete: "restrict" }),
    // 0 for an evaluate job's tasks and for a training job's final evaluation.
    round: integer("round").notNull(),
  },
  (t) => [primaryKey({ columns: [t.taskId] }), index("job_tasks_job_idx").on(t.jobId, t.round)],
);

/**
 * A site's accepted update in a round. The update's tensors are kept as an artifact until the
 * round closes, so a restarted hub can rebuild the round's running sum without asking sites to
 * retrain; the hub folds each update into an in-memory running sum as it arrives.
 */
export const roundUpdates = pgTable(
  "round_updates",
  {
    roundId: uuid("round_id")
      .notNull()
      .references(() => trainingRounds.id, { onDelete: "cascade" }),
    siteId: uuid("site_id")
      .notNull()
      .references(() => sites.id, { onDelete: "restrict" }),
    taskId: uuid("task_id")
      .notNull()
      .references(() => siteTasks.id, { onDelete: "cascade" }),
    // Only rounds accepted before updates were kept in memory stored them; cleared once the round is aggregated.
    updateSha256: text("update_sha256").references(() => artifacts.sha256, { onDelete: "set null" }),
    // The portal process whose running sum holds this update until the round closes (round_partials).
    holder: text("holder"),
    exampleCount: integer("example_count").notNull(),
    // Null for a secure-aggregation round's masked update: the site clipped it, the hub cannot see it.
    updateNorm: doublePrecision("update_norm"),
    byteSize: integer("byte_size").notNull(),
    // The site's train result (the update's tensors are in the artifact above).
    result: jsonb("result").$type<TrainResult>().notNull(),
    receivedAt: timestamp("received_at", { withTimezone: true, mode: "date" }).notNull().defaultNow(),
  },
  (t) => [primaryKey({ columns: [t.roundId, t.siteId] })],
);

/** The job log: typed events in order, shown live on the job page. */
export const jobEvents = pgTable(
  "job_events",
  {
    seq: bigserial("seq", { mode: "number" }).primaryKey(),
    jobId: uuid("job_id")
      .notNull()
      .references(() => jobs.id, { onDelete: "cascade" }),
    type: text("type").notNull(),
    round: integer("round"),
    siteCode: text("site_code"),
    details: jsonb("details").$type<Record<string, unknown>>().notNull().default({}),
    at: timestamp("at", { withTimezone: true, mode: "date" }).notNull().defaultNow(),
  },
  (t) => [index("job_events_job_idx").on(t.jobId, t.seq)],
);

export type Job = typeof jobs.$inferSelect;
export type TrainingRound = typeof trainingRounds.$inferSelect;
export type JobStatus = (typeof jobStatusEnum.enumValues)[number];

/**
 * What the job page reads in one statement (server/jobs/job-detail.ts): the job with its model and
 * versions, rounds with their updates, dispatched tasks and log. Relations are only for such reads;
 * writes name their tables.
 */
export const jobsRelations = relations(jobs, ({ one, many }) => ({
  model: one(models, { fields: [jobs.modelId], references: [models.id] }),
  startVersion: one(modelVersions, { fields: [jobs.versionId], references: [modelVersions.id] }),
  rounds: many(trainingRounds),
  tasks: many(jobTasks),
  events: many(jobEvents),
}));

export const trainingRoundsRelations = relations(trainingRounds, ({ one, many }) => ({
  job: one(jobs, { fields: [trainingRounds.jobId], references: [jobs.id] }),
  resultVersion: one(modelVersions, { fields: [trainingRounds.resultVersionId], references: [modelVersions.id] }),
  updates: many(roundUpdates),
}));

export const roundUpdatesRelations = relations(roundUpdates, ({ one }) => ({
  round: one(trainingRounds, { fields: [roundUpdates.roundId], references: [trainingRounds.id] }),
  site: one(sites, { fields: [roundUpdates.siteId], references: [sites.id] }),
}));

export const jobTasksRelations = relations(jobTasks, ({ one }) => ({
  job: one(jobs, { fields: [jobTasks.jobId], references: [jobs.id] }),
  task: one(siteTasks, { fields: [jobTasks.taskId], references: [siteTasks.id] }),
  site: one(sites, { fields: [jobTasks.siteId], references: [sites.id] }),
}));

export const jobEventsRelations = relations(jobEvents, ({ one }) => ({
  job: one(jobs, { fields: [jobEvents.jobId], references: [jobs.id] }),
}));
