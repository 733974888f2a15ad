import { eq, inArray } from "drizzle-orm";
import type { Database } from "@/db/client";
import { jobs, projectRevisions, projects, siteApprovals, sites, users } from "@/db/schema";
import { getLatestSiteCount } from "@/server/cohorts/cohorts.service";
import { AppError } from "@/server/errors";
import { getModel } from "./models.service";
import { renderModelCardMarkdown } from "./model-card-markdown";
import { privacyOfVersion } from "./model-card-privacy";

/**
 * The model card, generated from the registry: nothing on it is typed in by hand except the
 * limitations. Intended use comes from the project purpose, data from the suppressed cohort
 * counts, training from the version's lineage, approvals from the revision the job ran under.
 */
async function buildModelCard(db: Database, projectId: string, modelId: string, versionId?: string) {
  const { model, versions } = await getModel(db, { projectId, modelId });
  const version = versionId
    ? versions.find((v) => v.id === versionId)
    : (versions.find((v) => v.aliases.includes("champion")) ??
      versions.find((v) => v.aliases.includes("candidate")) ??
      versions[0]);
  if (!version) throw new AppError("NOT_FOUND", "No version with that id for this model.");
  const [project] = await db
    .select({
      title: projects.title,
      ethicsReference: projects.ethicsReference,
      bundle: projectRevisions.bundle,
      revisionId: projectRevisions.id,
      revisionNumber: projectRevisions.number,
      bundleHash: projectRevisions.bundleHash,
    })
    .from(projects)
    .innerJoin(projectRevisions, eq(projectRevisions.id, projects.currentRevisionId))
    .where(eq(projects.id, projectId));
  const lineage = version.lineage;
  const [job] = version.jobId ? await db.select().from(jobs).where(eq(jobs.id, version.jobId)) : [];
  // Approvals of the revision the weights were trained under, or the project's current one.
  const revisionId = job?.revisionId ?? project!.revisionId;
  const [revision] = await db.select().from(projectRevisions).where(eq(projectRevisions.id, revisionId));
  const approvals = await db
    .select({
      site: sites.code,
      siteName: sites.name,
      status: siteApprovals.status,
      decidedAt: siteApprovals.decidedAt,
      decidedBy: users.name,
    })
    .from(siteApprovals)
    .innerJoin(sites, eq(sites.id, siteApprovals.siteId))
    .leftJoin(users, eq(users.id, siteApprovals.decidedBy))
    .where(eq(siteApprovals.revisionId, revisionId))
    .orderBy(sites.code);
  const bundle = revision!.bundle;
  const siteRows = job
    ? await db
        .select({ id: sites.id, code: sites.code, name: sites.name })
        .from(sites)
        .where(
          inArray(
            sites.id,
            job.sites.map((s) => s.id),
          ),
        )
    : [];
  const cohortCounts = bundle.cohort
    ? await Promise.all(
        siteRows.map(async (s) => ({
          site: s.code,
          count: await getLatestSiteCount(db, { projectId, siteId: s.id, definition: bundle.cohort! }),
        })),
      )
    : [];
  const history = versions.filter((v) => v.jobId !== null && v.jobId === version.jobId).map((v) => v.number);

  const card = {
    model: {
      id: model.id,
      name: model.name,
      task: model.task,
      classes: model.classes,
      input: model.input,
      outcome: model.outcome,
      parameterCount: model.parameterCount,
      limitations: model.limitations,
    },
    version: {
      id: version.id,
      number: version.number,
      source: version.source,
      weightsSha256: version.weightsSha256,
      createdAt: version.createdAt,
      aliases: version.aliases,
      metrics: version.metrics,
      parentNumber: versions.find((v) => v.id === version.parentVersionId)?.number ?? null,
    },
    project: { title: project!.title, purpose: bundle.purpose, ethicsReference: project!.ethicsReference },
    training:
      lineage.kind === "training"
        ? {
            ...lineage,
            roundsInJob: job?.totalRounds ?? null,
            versionsFromJob: history,
            startedAt: job?.startedAt ?? null,
            finishedAt: job?.finishedAt ?? null,
          }
        : null,
    origin: lineage.kind === "training" ? null : lineage,
    data: {
      cohortCounts: cohortCounts.map((c) => ({
        site: c.site,
        total: c.count?.total ?? null,
        threshold: c.count?.threshold ?? null,
        countedAt: c.count?.at ?? null,
        // What the site trained this version on (its training split), as reported with its update.
        trainingExamples:
          lineage.kind === "training" ? (lineage.sites.find((l) => l.code === c.site)?.examples ?? null) : null,
      })),
      minCellCount: bundle.privacy.minCellCount,
    },
    approvals: { revisionNumber: revision!.number, bundleHash: revision!.bundleHash, decisions: approvals },
    privacy: job && lineage.kind === "training" ? await privacyOfVersion(db, job, lineage.round, bundle) : null,
  };
  return card;
}

export type ModelCard = Awaited<ReturnType<typeof buildModelCard>>;

export async function getModelCard(
  db: Database,
  { projectId, modelId, versionId }: { projectId: string; modelId: string; versionId?: string },
) {
  const card = await buildModelCard(db, projectId, modelId, versionId);
  return { ...card, markdown: renderModelCardMarkdown(card) };
}
