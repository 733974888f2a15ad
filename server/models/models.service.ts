import { and, asc, desc, eq, inArray } from "drizzle-orm";
import type { Database } from "@/db/client";
import {
  modelAliases,
  models,
  modelVersions,
  projectRevisions,
  projects,
  projectSites,
  siteApprovals,
  sites,
  type ModelAlias,
} from "@/db/schema";
import { recordAudit } from "@/server/audit/audit.service";
import type { UserActor } from "@/server/auth/actor";
import { AppError, isUniqueViolation } from "@/server/errors";
import { validateUpdate, specOf } from "@/server/aggregation/validate-update";
import { buildTemplate } from "@/protocol/models/templates";
import { validateArchitecture, type ArchitectureIssue } from "@/protocol/models/validate-architecture";
import { buildModel, readWeights, topologyOf } from "@/protocol/models/weights";
import { findBundleModel } from "@/protocol/bundle";
import { hashArchitecture } from "@/protocol/bundle-hash";
import { bundleModelOf } from "@/server/projects/bundle";
import { addModelToBundle } from "@/server/projects/projects.service";
import { insertVersion } from "./model-versions";
import type { TImportVersionInput, TRegisterModelInput } from "./models.schema";
import { readTfjsUpload } from "./tfjs-files";

function architectureError(issues: ArchitectureIssue[]): AppError {
  const lines = issues.slice(0, 8).map((i) => `${i.where}: ${i.message}`);
  return new AppError("BAD_REQUEST", `The architecture is not accepted: ${lines.join("; ")}`, {
    "spec.architecture": lines,
  });
}

/** Fresh weights as TF.js initialises them (Glorot for dense and conv kernels, zeros for biases). */
async function initialWeights(architecture: unknown) {
  const model = await buildModel(architecture);
  try {
    return readWeights(model);
  } finally {
    model.dispose();
  }
}

/** The TF.js topology a registration stores: the template built for the spec, or the pasted model's topology. */
export function architectureOf(spec: TRegisterModelInput["spec"]): unknown {
  const { architecture: choice, ...rest } = spec;
  try {
    // A whole model.json is kept as its topology: the weights manifest describes files, not the model.
    return choice.kind === "template" ? buildTemplate(choice.template, rest) : topologyOf(choice.json);
  } catch (error) {
    throw AppError.field("BAD_REQUEST", "spec.architecture", error instanceof Error ? error.message : String(error));
  }
}

/** Registers a model with a validated architecture and its first version: freshly initialised weights, or an uploaded TF.js model's. */
export async function registerModel(db: Database, actor: UserActor, input: TRegisterModelInput) {
  const { architecture: choice, ...spec } = input.spec;
  const architecture = architectureOf(input.spec);
  const validation = await validateArchitecture(architecture, spec);
  if (!validation.ok) throw architectureError(validation.issues);
  // A whole model.json with its weight files starts from those weights; anything else from fresh ones.
  const imported =
    choice.kind === "json" && input.weightFiles
      ? await readUploadedWeights(architecture, { modelJson: choice.json, weightFiles: input.weightFiles })
      : null;
  const weights = imported?.weights ?? (await initialWeights(architecture));
  try {
    return await db.transaction(async (tx) => {
      // First, so the project row is locked before the model's foreign key share-locks it.
      const governance = await addModelToBundle(tx, actor, {
        projectId: input.projectId,
        model: bundleModelOf({
          name: spec.name,
          task: spec.task,
          input: spec.input,
          outcome: input.outcome,
          architectureSha256: hashArchitecture(architecture),
        }),
      });
      const [model] = await tx
        .insert(models)
        .values({
          projectId: input.projectId,
          name: spec.name,
          task: spec.task,
          classes: spec.classes ?? null,
          input: spec.input,
          outcome: input.outcome,
          architecture,
          parameterCount: validation.summary.parameterCount,
          limitations: input.limitations,
          createdBy: actor.id,
        })
        .returning();
      const version = await insertVersion(tx, {
        modelId: model!.id,
        source: imported ? "import" : "initial",
        weights,
        lineage: imported
          ? { kind: "import", fileNames: imported.fileNames }
          : choice.kind === "template"
            ? { kind: "initial", from: "template", template: choice.template }
            : { kind: "initial", from: "architecture" },
        createdBy: actor.id,
      });
      await tx
        .insert(modelAliases)
        .values({ modelId: model!.id, alias: "candidate", versionId: version.id, updatedBy: actor.id });
      await recordAudit(tx, {
        actor,
        action: "model.registered",
        subject: `model:${model!.id}`,
        details: {
          projectId: input.projectId,
          name: spec.name,
          parameters: validation.summary.parameterCount,
          weights: version.weightsSha256,
        },
      });
      return { model: model!, version, bundle: { revision: governance.revision.number, isNew: governance.isNew } };
    });
  } catch (error) {
    if (isUniqueViolation(error, "models_project_name_key"))
      throw AppError.field(
        "CONFLICT",
        "spec.name",
        `This project already has a model called "${spec.name}"; choose another name`,
      );
    throw error;
  }
}

async function loadModel(db: Database, projectId: string, modelId: string) {
  const [model] = await db
    .select()
    .from(models)
    .where(and(eq(models.id, modelId), eq(models.projectId, projectId)));
  if (!model) throw new AppError("NOT_FOUND", "No model with that id in this project.");
  return model;
}

/**
 * Reads uploaded TF.js weights for an architecture: every tensor the architecture has, by name
 * and shape, and nothing else; every value finite. The uploaded topology is only used to read the
 * weight files; the registered architecture decides what the weights must be.
 */
async function readUploadedWeights(
  architecture: unknown,
  upload: { modelJson: unknown; weightFiles: Record<string, string> },
) {
  const files = Object.fromEntries(
    Object.entries(upload.weightFiles).map(([name, b64]) => [name, new Uint8Array(Buffer.from(b64, "base64"))]),
  );
  const read = readTfjsUpload(upload.modelJson, files);
  const expected = await initialWeights(architecture);
  const byName = new Map(read.tensors.map((t) => [t.name, t]));
  const ordered = expected.map((e) => byName.get(e.name) ?? { name: e.name, shape: [], data: new Float32Array(0) });
  const missing = expected.filter((e) => !byName.has(e.name)).map((e) => e.name);
  if (missing.length || byName.size !== expected.length) {
    throw AppError.field(
      "BAD_REQUEST",
      "modelJson",
      `The uploaded weights do not match the registered architecture: ${missing.length ? `missing ${missing.slice(0, 5).join(", ")}` : `it has ${byName.size} weights, the model ${expected.length}`}`,
    );
  }
  const check = validateUpdate(ordered, specOf(expected), Number.POSITIVE_INFINITY);
  if (!check.ok)
    throw AppError.field("BAD_REQUEST", "weightFiles", `The uploaded weights are not usable: ${check.reason}`);
  return { weights: ordered, fileNames: read.fileNames };
}

/** Adds an uploaded TF.js model's weights as the model's next version. */
export async function importVersion(db: Database, actor: UserActor, input: TImportVersionInput) {
  const model = await loadModel(db, input.projectId, input.modelId);
  const { weights, fileNames } = await readUploadedWeights(model.architecture, input);
  return db.transaction(async (tx) => {
    // A model registered before bundles listed models, or dropped from the bundle, is listed again.
    await addModelToBundle(tx, actor, {
      projectId: input.projectId,
      model: bundleModelOf({ ...model, architectureSha256: hashArchitecture(model.architecture) }),
    });
    const version = await insertVersion(tx, {
      modelId: model.id,
      source: "import",
      weights,
      lineage: { kind: "import", fileNames },
      createdBy: actor.id,
    });
    await recordAudit(tx, {
      actor,
      action: "model.version_imported",
      subject: `model:${model.id}`,
      details: { version: version.number, weights: version.weightsSha256 },
    });
    return version;
  });
}

export async function listModels(db: Database, { projectId }: { projectId: string }) {
  const rows = await db.select().from(models).where(eq(models.projectId, projectId)).orderBy(models.name);
  if (rows.length === 0) return [];
  const versions = await db
    .select({
      id: modelVersions.id,
      modelId: modelVersions.modelId,
      number: modelVersions.number,
      metrics: modelVersions.metrics,
      createdAt: modelVersions.createdAt,
    })
    .from(modelVersions)
    .where(
      inArray(
        modelVersions.modelId,
        rows.map((m) => m.id),
      ),
    )
    .orderBy(desc(modelVersions.number));
  const aliases = await db
    .select()
    .from(modelAliases)
    .where(
      inArray(
        modelAliases.modelId,
        rows.map((m) => m.id),
      ),
    );
  return rows.map((m) => {
    const mine = versions.filter((v) => v.modelId === m.id);
    return {
      id: m.id,
      name: m.name,
      task: m.task,
      inputKind: m.input.kind,
      parameterCount: m.parameterCount,
      versionCount: mine.length,
      latestVersion: mine[0] ?? null,
      aliases: aliases.filter((a) => a.modelId === m.id).map((a) => ({ alias: a.alias, versionId: a.versionId })),
    };
  });
}

export async function getModel(db: Database, { projectId, modelId }: { projectId: string; modelId: string }) {
  const model = await loadModel(db, projectId, modelId);
  const versions = await db
    .select()
    .from(modelVersions)
    .where(eq(modelVersions.modelId, modelId))
    .orderBy(desc(modelVersions.number));
  const aliases = await db.select().from(modelAliases).where(eq(modelAliases.modelId, modelId));
  return {
    model,
    versions: versions.map((v) => ({ ...v, aliases: aliases.filter((a) => a.versionId === v.id).map((a) => a.alias) })),
    governance: await modelGovernance(db, model),
  };
}

/**
 * Whether sites have agreed to what the model learns from and predicts: is its spec listed in the
 * project's current bundle, and which requested sites approved that revision.
 */
async function modelGovernance(db: Database, model: typeof models.$inferSelect) {
  const [current] = await db
    .select({ revisionId: projectRevisions.id, number: projectRevisions.number, bundle: projectRevisions.bundle })
    .from(projects)
    .innerJoin(projectRevisions, eq(projectRevisions.id, projects.currentRevisionId))
    .where(eq(projects.id, model.projectId));
  const decisions = await db
    .select({ code: sites.code, status: siteApprovals.status })
    .from(projectSites)
    .innerJoin(sites, eq(sites.id, projectSites.siteId))
    .leftJoin(
      siteApprovals,
      and(eq(siteApprovals.siteId, projectSites.siteId), eq(siteApprovals.revisionId, current!.revisionId)),
    )
    .where(eq(projectSites.projectId, model.projectId))
    .orderBy(asc(sites.code));
  return {
    revision: current!.number,
    listed:
      findBundleModel(current!.bundle, { ...model, architectureSha256: hashArchitecture(model.architecture) }) !==
      undefined,
    approvedAt: decisions.filter((d) => d.status === "approved").map((d) => d.code),
    waitingFor: decisions.filter((d) => d.status !== "approved").map((d) => d.code),
  };
}

/** A version of a model in this project; a version of another project's model is NOT_FOUND. */
export async function getModelVersion(
  db: Database,
  { projectId, versionId }: { projectId: string; versionId: string },
) {
  const [row] = await db
    .select({ version: modelVersions, model: models })
    .from(modelVersions)
    .innerJoin(models, eq(models.id, modelVersions.modelId))
    .where(and(eq(modelVersions.id, versionId), eq(models.projectId, projectId)));
  if (!row) throw new AppError("NOT_FOUND", "No model version with that id in this project.");
  return row;
}

/** Points an alias at a version, audited with where it pointed before. */
export async function setAlias(
  db: Database,
  actor: UserActor,
  { projectId, versionId, alias }: { projectId: string; versionId: string; alias: ModelAlias },
) {
  const { version, model } = await getModelVersion(db, { projectId, versionId });
  return db.transaction(async (tx) => {
    const [previous] = await tx
      .select()
      .from(modelAliases)
      .where(and(eq(modelAliases.modelId, model.id), eq(modelAliases.alias, alias)))
      .for("update");
    await tx
      .insert(modelAliases)
      .values({ modelId: model.id, alias, versionId, updatedBy: actor.id })
      .onConflictDoUpdate({
        target: [modelAliases.modelId, modelAliases.alias],
        set: { versionId, updatedBy: actor.id, updatedAt: new Date() },
      });
    const before = previous
      ? ((
          await tx
            .select({ number: modelVersions.number })
            .from(modelVersions)
            .where(eq(modelVersions.id, previous.versionId))
        )[0]?.number ?? null)
      : null;
    await recordAudit(tx, {
      actor,
      action: "model.alias_moved",
      subject: `model:${model.id}`,
      details: { alias, from: before, to: version.number },
    });
    return { alias, version: version.number };
  });
}

export async function clearAlias(
  db: Database,
  actor: UserActor,
  { projectId, modelId, alias }: { projectId: string; modelId: string; alias: ModelAlias },
) {
  await loadModel(db, projectId, modelId);
  return db.transaction(async (tx) => {
    const removed = await tx
      .delete(modelAliases)
      .where(and(eq(modelAliases.modelId, modelId), eq(modelAliases.alias, alias)))
      .returning();
    if (removed.length === 0) throw new AppError("NOT_FOUND", `No version is marked ${alias}.`);
    await recordAudit(tx, {
      actor,
      action: "model.alias_cleared",
      subject: `model:${modelId}`,
      details: { alias },
    });
  });
}

export async function updateLimitations(
  db: Database,
  actor: UserActor,
  { projectId, modelId, limitations }: { projectId: string; modelId: string; limitations: string },
) {
  await loadModel(db, projectId, modelId);
  return db.transaction(async (tx) => {
    await tx
      .update(models)
      .set({ limitations })
      .where(and(eq(models.id, modelId), eq(models.projectId, projectId)));
    await recordAudit(tx, {
      actor,
      action: "model.limitations_updated",
      subject: `model:${modelId}`,
      details: { length: limitations.length },
    });
  });
}
