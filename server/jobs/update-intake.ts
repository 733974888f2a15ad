import { and, count, eq, sql } from "drizzle-orm";
import type { Database } from "@/db/client";
import { jobs, jobTasks, roundUpdates, siteTasks, trainingRounds } from "@/db/schema";
import { createPostgresArtifactStore } from "@/server/artifacts/artifact-store";
import { recordAudit } from "@/server/audit/audit.service";
import { checkPrivacyReport, recordPrivacyReport, updateNormBound } from "@/server/aggregation/dp-updates";
import { specOf, validateUpdate } from "@/server/aggregation/validate-update";
import { AppError } from "@/server/errors";
import { checkResultPolicy } from "@/server/tasks/result-policy";
import { lockLeasedTask, type SiteRef } from "@/server/tasks/tasks.service";
import { SUPPRESSED } from "@/protocol/contract";
import { decodeTensors, TensorCodecError, type NamedTensor } from "@/protocol/tensor-codec";
import type { JobConfig } from "@/protocol/registry";
import { decodeTrainResultHeader, ZTrainResult, type TrainResult } from "@/protocol/training";
import { loadJobContext, loadVersionById, loadWeights } from "./job-context";
import { logJobEvent } from "./job-events";
import { foldCommittedUpdate } from "./round-sums";
import { releaseDate, releasedApprovedCounts } from "./weight-bounds";
import { metrics } from "@/server/observability/metrics";
import { closeRound } from "./rounds.service";

export type UpdateReceipt = { accepted: true; round: number; norm: number };

const refused = (message: string) => new AppError("BAD_REQUEST", `Update refused: ${message}. Nothing was changed.`);
const notThisSite = (site: SiteRef, taskId: string) =>
  new AppError("NOT_FOUND", `No task ${taskId} belongs to site ${site.code}.`);
// Updates live only while their round is open; they stay in PostgreSQL whatever store holds model versions.
const updateStore = createPostgresArtifactStore();

/** The site's weight may not exceed the approved cohort it released (weight-bounds.ts); no other site's figure is involved. */
async function checkWeight(db: Database, site: SiteRef, revisionId: string, exampleCount: number) {
  const bound = (await releasedApprovedCounts(db, { revisionId, siteIds: [site.id] })).get(site.id);
  if (!bound || bound.total === SUPPRESSED)
    throw refused(
      `${site.code} has released no approved cohort count above its threshold for this revision, so its training weight has no bound`,
    );
  if (exampleCount > bound.total)
    throw refused(
      `the site reported ${exampleCount} training examples, more than the ${bound.total} people in the approved cohort count ${site.code} released on ${releaseDate(bound.releasedAt)}; a site's weight in training is bounded by the count it released`,
    );
}

/** Parses and checks an update against its round's global model, before any lock is taken. */
async function checkUpdate(
  db: Database,
  site: SiteRef,
  input: { taskId: string; body: Uint8Array; resultHeader: string | null },
) {
  const [row] = await db
    .select({
      link: jobTasks,
      payload: siteTasks.payload,
      globalVersionId: trainingRounds.globalVersionId,
      normBound: sql<number>`(${jobs.config} ->> 'normBound')::float8`,
      differentialPrivacy: sql<JobConfig["differentialPrivacy"] | null>`${jobs.config} -> 'differentialPrivacy'`,
      revisionId: jobs.revisionId,
    })
    .from(siteTasks)
    .innerJoin(jobTasks, eq(jobTasks.taskId, siteTasks.id))
    .innerJoin(jobs, eq(jobs.id, jobTasks.jobId))
    .innerJoin(trainingRounds, and(eq(trainingRounds.jobId, jobTasks.jobId), eq(trainingRounds.number, jobTasks.round)))
    .where(and(eq(siteTasks.id, input.taskId), eq(siteTasks.siteId, site.id)));
  if (!row) throw notThisSite(site, input.taskId);
  const result = ZTrainResult.safeParse(decodeTrainResultHeader(input.resultHeader));
  if (!result.success)
    throw refused(
      `the x-flip-train-result header is missing or not a valid train result (${result.error.issues[0]?.path.join(".") ?? ""}: ${result.error.issues[0]?.message ?? ""})`,
    );
  checkResultPolicy("train", row.payload, result.data);
  checkPrivacyReport(row.payload, result.data);
  await checkWeight(db, site, row.revisionId, result.data.exampleCount);
  let update: NamedTensor[];
  try {
    update = decodeTensors(input.body).tensors;
  } catch (error) {
    if (error instanceof TensorCodecError) throw refused(error.message);
    throw error;
  }
  const globalVersion = await loadVersionById(db, row.globalVersionId);
  const spec = specOf(await loadWeights(db, globalVersion.weightsSha256));
  const check = validateUpdate(update, spec, updateNormBound(row.normBound, row.differentialPrivacy, spec));
  if (!check.ok) throw refused(check.reason);
  return { link: row.link, result: result.data as TrainResult, update, spec, norm: check.norm };
}

/**
 * Accepts one site's update for its train task: the task must be that site's, under its live
 * lease, in a round still open; the payload a well-formed tensor file matching the global model
 * tensor for tensor, every value finite and its norm within the job's bound. The update is stored
 * and the task completed in one transaction; the last expected update closes the round. After
 * commit the update is folded into this process's running sum for the round.
 */
export async function acceptUpdate(
  db: Database,
  site: SiteRef,
  input: { taskId: string; leaseId: string; body: Uint8Array; resultHeader: string | null },
): Promise<UpdateReceipt> {
  const { link, result, update, spec, norm } = await checkUpdate(db, site, input);
  const receipt = await db.transaction(async (tx) => {
    // Job, then round, then task: the order the coordinator takes them in, so the two never deadlock.
    await tx.select({ id: jobs.id }).from(jobs).where(eq(jobs.id, link.jobId)).for("update");
    const [round] = await tx
      .select()
      .from(trainingRounds)
      .where(and(eq(trainingRounds.jobId, link.jobId), eq(trainingRounds.number, link.round)))
      .for("update");
    if (!round) throw new AppError("NOT_FOUND", "This task belongs to no training round.");
    if (round.status !== "open")
      throw new AppError(
        "CONFLICT",
        `Round ${round.number} is already ${round.status}; this late update was rejected. Nothing was changed.`,
      );
    const task = await lockLeasedTask(tx, site, input.taskId, input.leaseId);

    const updateSha256 = await updateStore.put(tx, input.body);
    await tx.insert(roundUpdates).values({
      roundId: round.id,
      siteId: site.id,
      taskId: task.id,
      updateSha256,
      exampleCount: result.exampleCount,
      updateNorm: norm,
      byteSize: input.body.byteLength,
      result,
    });
    await recordPrivacyReport(tx, { jobId: link.jobId, round: round.number, siteId: site.id, result });
    await tx
      .update(siteTasks)
      .set({
        status: "done",
        result,
        progress: 100,
        leaseExpiresAt: null,
        finishedAt: sql`now()`,
        failureCode: null,
        failureMessage: null,
      })
      .where(eq(siteTasks.id, task.id));
    const details = {
      job: link.jobId,
      round: round.number,
      bytes: input.body.byteLength,
      examples: result.exampleCount,
      norm,
      backend: result.backend,
    };
    await recordAudit(tx, {
      actor: { type: "site", id: site.id, label: site.code },
      action: "training.update_received",
      subject: `task:${task.id}`,
      details,
    });
    await logJobEvent(tx, link.jobId, "update_received", { round: round.number, siteCode: site.code, details });

    const [{ received }] = (await tx
      .select({ received: count() })
      .from(roundUpdates)
      .where(eq(roundUpdates.roundId, round.id))) as [{ received: number }];
    const isLast = received >= round.expectedSites;
    if (isLast)
      await closeRound(tx, await loadJobContext(tx, link.jobId), round, "all_reported", {
        siteId: site.id,
        update,
        weight: result.exampleCount,
      });
    return { receipt: { accepted: true as const, round: round.number, norm }, roundId: round.id, isLast };
  });
  if (!receipt.isLast) foldCommittedUpdate(receipt.roundId, spec, site.id, update, result.exampleCount);
  metrics.updateBytes.observe(input.body.byteLength);
  return receipt.receipt;
}
