import { and, count, eq, sql } from "drizzle-orm";
import type { Database } from "@/db/client";
import { jobs, jobTasks, roundUpdates, siteTasks, trainingRounds } from "@/db/schema";
import { recordAudit } from "@/server/audit/audit.service";
import { AggregationError, createRunningSum } from "@/server/aggregation/running-sum";
import { specOf, validateUpdate } from "@/server/aggregation/validate-update";
import { AppError } from "@/server/errors";
import { lockLeasedTask, type SiteRef } from "@/server/tasks/tasks.service";
import { decodeTensors, TensorCodecError } from "@/workers/protocol/tensor-codec";
import { decodeTrainResultHeader, ZTrainResult } from "@/workers/protocol/training";
import { loadJobContext, loadVersionById, loadWeights } from "./job-context";
import { logJobEvent } from "./job-events";
import { closeRound } from "./rounds.service";

export type UpdateReceipt = { accepted: true; round: number; norm: number };

const refused = (message: string) => new AppError("BAD_REQUEST", `Update refused: ${message}. Nothing was changed.`);

/**
 * Accepts one site's update for its train task: the lease must be that site's live lease, the
 * round still open, the payload a well-formed tensor file whose tensors match the global model by
 * name and shape, every value finite and its norm within the job's bound. The update is folded
 * into the round's persisted running sum and the task completes, all in one transaction; the last
 * expected update closes the round.
 */
export async function acceptUpdate(db: Database, site: SiteRef, input: { taskId: string; leaseId: string; body: Uint8Array; resultHeader: string | null }): Promise<UpdateReceipt> {
  return db.transaction(async (tx) => {
    const [link] = await tx.select().from(jobTasks).where(eq(jobTasks.taskId, input.taskId));
    // Job, then round, then task: the order the coordinator takes them in, so the two never deadlock.
    if (link) await tx.select({ id: jobs.id }).from(jobs).where(eq(jobs.id, link.jobId)).for("update");
    const [round] = link
      ? await tx.select().from(trainingRounds).where(and(eq(trainingRounds.jobId, link.jobId), eq(trainingRounds.number, link.round))).for("update")
      : [];
    const [owned] = await tx.select({ id: siteTasks.id }).from(siteTasks).where(and(eq(siteTasks.id, input.taskId), eq(siteTasks.siteId, site.id)));
    if (owned && round && round.status !== "open") throw new AppError("CONFLICT", `Round ${round.number} is already ${round.status}; this late update was rejected. Nothing was changed.`);
    const task = await lockLeasedTask(tx, site, input.taskId, input.leaseId);
    if (task.kind !== "train") throw new AppError("BAD_REQUEST", `Only train tasks take model updates; this is a ${task.kind} task. Nothing was changed.`);
    if (!link || !round) throw new AppError("NOT_FOUND", "This task belongs to no training round.");

    const result = ZTrainResult.safeParse(decodeTrainResultHeader(input.resultHeader));
    if (!result.success) throw refused(`the x-flip-train-result header is missing or not a valid train result (${result.error.issues[0]?.path.join(".") ?? ""}: ${result.error.issues[0]?.message ?? ""})`);
    let update;
    try {
      update = decodeTensors(input.body).tensors;
    } catch (error) {
      if (error instanceof TensorCodecError) throw refused(error.message);
      throw error;
    }
    const ctx = await loadJobContext(tx, link.jobId);
    const globalVersion = await loadVersionById(tx, round.globalVersionId);
    const spec = specOf(await loadWeights(tx, globalVersion.weightsSha256));
    const check = validateUpdate(update, spec, ctx.config.normBound!);
    if (!check.ok) throw refused(check.reason);

    const earlier = await tx.select({ siteId: roundUpdates.siteId }).from(roundUpdates).where(eq(roundUpdates.roundId, round.id));
    const sum = createRunningSum(spec, round.accumulator ? { bytes: round.accumulator, totalWeight: round.accumulatedWeight, contributors: earlier.map((e) => e.siteId) } : undefined);
    try {
      sum.add(site.id, update, result.data.exampleCount);
    } catch (error) {
      if (error instanceof AggregationError) throw refused(error.message);
      throw error;
    }
    const bytes = sum.toBytes();
    await tx
      .update(trainingRounds)
      .set({ accumulator: Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength), accumulatedWeight: sum.totalWeight })
      .where(eq(trainingRounds.id, round.id));
    await tx.insert(roundUpdates).values({ roundId: round.id, siteId: site.id, taskId: task.id, exampleCount: result.data.exampleCount, updateNorm: check.norm, byteSize: input.body.byteLength, result: result.data });
    await tx
      .update(siteTasks)
      .set({ status: "done", result: result.data, progress: 100, leaseExpiresAt: null, finishedAt: sql`now()`, failureCode: null, failureMessage: null })
      .where(eq(siteTasks.id, task.id));
    const details = { job: ctx.job.id, round: round.number, bytes: input.body.byteLength, examples: result.data.exampleCount, norm: check.norm, backend: result.data.backend };
    await recordAudit(tx, { actor: { type: "site", id: site.id, label: site.code }, action: "training.update_received", subject: `task:${task.id}`, details });
    await logJobEvent(tx, ctx.job.id, "update_received", { round: round.number, siteCode: site.code, details });

    const [{ received }] = (await tx.select({ received: count() }).from(roundUpdates).where(eq(roundUpdates.roundId, round.id))) as [{ received: number }];
    if (received >= round.expectedSites) await closeRound(tx, ctx, round, "all_reported");
    return { accepted: true, round: round.number, norm: check.norm };
  });
}
