import {
  bigint,
  customType,
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
import type { ModelInput } from "@/protocol/model-spec";
import type { Lineage, VersionMetrics } from "@/protocol/registry";
import type { ModelPackage, Outcome } from "@/protocol/training";
import { createdAt, id } from "./columns";
import { projects } from "./projects";
import { users } from "./users";

export const bytea = customType<{ data: Buffer; driverData: Buffer }>({ dataType: () => "bytea" });

/**
 * Content-addressed blobs (model weights, FedAdam state) behind the artifact-store interface.
 * With the PostgreSQL store the file is in `artifact_chunks`; with the disk store it lives under
 * the data dir. Either way the row is the index, so a missing file is detectable.
 */
export const artifacts = pgTable("artifacts", {
  sha256: text("sha256").primaryKey(),
  byteSize: bigint("byte_size", { mode: "number" }).notNull(),
  store: text("store").notNull(),
  createdAt: createdAt(),
});

/** A file in the PostgreSQL store, in pieces of at most a mebibyte (server/database/chunked-bytes.ts), `seq` from 0. */
export const artifactChunks = pgTable(
  "artifact_chunks",
  {
    sha256: text("sha256")
      .notNull()
      .references(() => artifacts.sha256, { onDelete: "cascade" }),
    seq: integer("seq").notNull(),
    bytes: bytea("bytes").notNull(),
  },
  (t) => [primaryKey({ columns: [t.sha256, t.seq] })],
);

export const modelTaskEnum = pgEnum("model_task", ["binary_classification", "multiclass_classification", "regression"]);
export const modelVersionSourceEnum = pgEnum("model_version_source", ["initial", "import", "training"]);
export const modelAliasEnum = pgEnum("model_alias", ["champion", "candidate"]);

/** A registered model: what it predicts from what, and its architecture. Its weights are versions. */
export const models = pgTable(
  "models",
  {
    id: id(),
    projectId: uuid("project_id")
      .notNull()
      .references(() => projects.id, { onDelete: "cascade" }),
    name: text("name").notNull(),
    task: modelTaskEnum("task").notNull(),
    classes: integer("classes"),
    input: jsonb("input").$type<ModelInput>().notNull(),
    outcome: jsonb("outcome").$type<Outcome>().notNull(),
    // TF.js layers topology JSON; the contract keeps it unknown (validate-architecture.ts checks it with TF.js).
    architecture: jsonb("architecture").$type<ModelPackage["architecture"]>().notNull(),
    parameterCount: integer("parameter_count").notNull(),
    limitations: text("limitations").notNull().default(""),
    createdBy: uuid("created_by").references(() => users.id, { onDelete: "set null" }),
    createdAt: createdAt(),
  },
  (t) => [unique("models_project_name_key").on(t.projectId, t.name)],
);

/** Immutable weights plus where they came from; a training round writes one per round. */
export const modelVersions = pgTable(
  "model_versions",
  {
    id: id(),
    modelId: uuid("model_id")
      .notNull()
      .references(() => models.id, { onDelete: "cascade" }),
    number: integer("number").notNull(),
    source: modelVersionSourceEnum("source").notNull(),
    weightsSha256: text("weights_sha256")
      .notNull()
      .references(() => artifacts.sha256, { onDelete: "restrict" }),
    // FedAdam's m and v, carried to the next round of the same job.
    optimizerStateSha256: text("optimizer_state_sha256").references(() => artifacts.sha256, { onDelete: "restrict" }),
    parentVersionId: uuid("parent_version_id"),
    jobId: uuid("job_id"),
    round: integer("round"),
    lineage: jsonb("lineage").$type<Lineage>().notNull(),
    metrics: jsonb("metrics").$type<VersionMetrics>(),
    createdBy: uuid("created_by").references(() => users.id, { onDelete: "set null" }),
    createdAt: createdAt(),
  },
  (t) => [unique("model_versions_number_key").on(t.modelId, t.number), index("model_versions_job_idx").on(t.jobId)],
);

export const modelAliases = pgTable(
  "model_aliases",
  {
    modelId: uuid("model_id")
      .notNull()
      .references(() => models.id, { onDelete: "cascade" }),
    alias: modelAliasEnum("alias").notNull(),
    versionId: uuid("version_id")
      .notNull()
      .references(() => modelVersions.id, { onDelete: "cascade" }),
    updatedBy: uuid("updated_by").references(() => users.id, { onDelete: "set null" }),
    updatedAt: timestamp("updated_at", { withTimezone: true, mode: "date" }).notNull().defaultNow(),
  },
  (t) => [primaryKey({ columns: [t.modelId, t.alias] })],
);

export type Model = typeof models.$inferSelect;
export type ModelVersion = typeof modelVersions.$inferSelect;
export type ModelAlias = (typeof modelAliasEnum.enumValues)[number];
