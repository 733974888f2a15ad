import { and, count, eq, sql } from "drizzle-orm";
import type { Database, DbOrTx } from "@/db/client";
import { artifacts, jobs, jobTasks, modelVersions, roundUpdates, siteTasks, trainingRounds } from "@/db/schema";
import { recordAudit } from "@/server/audit/audit.service";
import { checkPrivacyReport, recordPrivacyReport, updateNormBound } from "@/server/aggregation/dp-updates";
import { validateUpdate } from "@/server/aggregation/validate-update";
import { AppError } from "@/server/errors";
import { checkResultPolicy } from "@/server/tasks/result-policy";
import { checkLeasedTask, lockLeasedTask, type SiteRef } from "@/server/tasks/tasks.service";
import { SUPPRESSED } from "@/protocol/contract";
import { releaseBuffer } from "@/protocol/release-buffer";
import { decodeTensors, TensorCodecError, type NamedTensor } from "@/protocol/tensor-codec";
import type { JobConfig } from "@/protocol/registry";
import { decodeTrainResultHeader, ZTrainResult, type TrainResult } from "@/protocol/training";
import { specOfVersion } from "./job-context";
import { logJobEvent } from "./job-events";
import { advanceJob } from "./job-coordinator";
import { announceOneShort, getRoundExchange } from "./round-exchange";
import { releaseDate, releasedApprovedCounts } from "./weight-bounds";
import { checkMaskedUpload } from "./secagg-rounds";
import { metrics } from "@/server/observability/metrics";

/** `norm` is null for a masked update: the hub cannot see it (the site clipped it). */
export type UpdateReceipt = { accepted: true; round: number; norm: number | null };

const refused = (message: string) => new AppError("BAD_REQUEST", `Update refused: ${message}. Nothing was changed.`);
const notThisSite = (site: SiteRef, taskId: string) =>
  new AppError("NOT_FOUND", `No task ${taskId} belongs to site ${site.code}.`);

// An update has the global model's tensors, names and shapes; only the manifest's digest differs.
const MANIFEST_SLACK_BYTES = 64 * 1024;

/** The round an update belongs to, read once before its body. */
type UpdateTarget = Awaited<ReturnType<typeof findTarget>>;

async function findTarget(db: Database, site: SiteRef, taskId: string) {
  const [row] = await db
    .select({
      link: jobTasks,
      payload: siteTasks.payload,
      globalVersionId: trainingRounds.globalVersionId,
      roundId: trainingRounds.id,
      normBound: sql<number>`(${jobs.config} ->> 'normBound')::float8`,
      differentialPrivacy: sql<JobConfig["differentialPrivacy"] | null>`${jobs.config} -> 'differentialPrivacy'`,
      isSecure: sql<boolean>`coalesce((${jobs.config} ->> 'secureAggregation')::boolean, false)`,
      revisionId: jobs.revisionId,
      globalBytes: artifacts.byteSize,
    })
    .from(siteTasks)
    .innerJoin(jobTasks, eq(jobTasks.taskId, siteTasks.id))
    .innerJoin(jobs, eq(jobs.id, jobTasks.jobId))
    .innerJoin(trainingRounds, and(eq(trainingRounds.jobId, jobTasks.jobId), eq(trainingRounds.number, jobTasks.round)))
    .innerJoin(modelVersions, eq(modelVersions.id, trainingRounds.globalVersionId))
    .innerJoin(artifacts, eq(artifacts.sha256, modelVersions.weightsSha256))
    .where(and(eq(siteTasks.id, taskId), eq(siteTasks.siteId, site.id)));
  if (!row) throw notThisSite(site, taskId);
  return row;
}

/**
 * Before a byte of an update is read: the task must be this site's train task under its live
 * lease, and the update can be no larger than its round's global model as a tensor file. So a
 * holder of any site token cannot make the hub buffer a body for a task that is not theirs.
 */
export async function prepareUpdate(
  db: Database,
  site: SiteRef,
  lease: { taskId: string; leaseId: string },
): Promise<{ limit: number; reason: string; target: UpdateTarget }> {
  const task = await checkLeasedTask(db, site, lease.taskId, lease.leaseId);
  if (task.kind !== "train") throw new AppError("BAD_REQUEST", `A ${task.kind} task takes no model update.`);
  const target = await findTarget(db, site, task.id);
  return {
    limit: target.globalBytes + MANIFEST_SLACK_BYTES,
    reason: `the round's global model is ${target.globalBytes} bytes as a tensor file, and an update has its tensors`,
    target,
  };
}

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
  row: UpdateTarget,
  input: { body: Uint8Array; resultHeader: string | null; isMasked?: boolean },
) {
  const result = ZTrainResult.safeParse(decodeTrainResultHeader(input.resultHeader));
  if (!result.success)
    throw refused(
      `the x-flip-train-result header is missing or not a valid train result (${result.error.issues[0]?.path.join(".") ?? ""}: ${result.error.issues[0]?.message ?? ""})`,
    );
  checkResultPolicy("train", row.payload, result.data);
  checkPrivacyReport(row.payload, result.data);
  await checkWeight(db, site, row.revisionId, result.data.exampleCount);
  const spec = await specOfVersion(db, row.globalVersionId);
  if (row.isSecure !== (input.isMasked === true))
    throw refused(
      row.isSecure
        ? "this job uses secure aggregation, so the hub accepts only the masked update"
        : "this job does not use secure aggregation; send the update as a tensor file",
    );
  if (input.isMasked) {
    const length = spec.reduce((n, t) => n + t.shape.reduce((a, b) => a * b, 1), 0);
    if (input.body.byteLength !== length * 4)
      throw refused(`a masked update is ${length * 4} bytes (one uint32 per parameter), not ${input.body.byteLength}`);
    const masked = { body: input.body };
    return { link: row.link, roundId: row.roundId, result: result.data as TrainResult, masked, spec, norm: null };
  }
  let update: NamedTensor[];
  try {
    update = decodeTensors(input.body).tensors;
  } catch (error) {
    if (error instanceof TensorCodecError) throw refused(error.message);
    throw error;
  }
  const check = validateUpdate(update, spec, updateNormBound(row.normBound, row.differentialPrivacy, spec));
  if (!check.ok) throw refused(check.reason);
  return { link: row.link, roundId: row.roundId, result: result.data as TrainResult, update, spec, norm: check.norm };
}

/**
 * Accepts one site's update for its train task: the task must be that site's, under its live
 * lease, in a round still open; the payload a well-formed tensor file matching the global model
 * tensor for tensor, every value finite and its norm within the job's bound. The task is completed
 * and the update recorded (not its tensors) in one transaction that locks only the round (shared,
 * so sites report concurrently) and the task; after commit the update is folded into this
 * process's running sum for the round (round-exchange.ts), and the last expected update closes the round.
 *
 * `release`, if given, frees the body's memory (the route's own buffer): called once nothing reads
 * the body any more, when the update has been folded into the sum or has been refused.
 */
export async function acceptUpdate(
  db: Database,
  site: SiteRef,
  input: {
    taskId: string;
    leaseId: string;
    body: Uint8Array;
    resultHeader: string | null;
    isMasked?: boolean;
    release?: () => void;
  },
  target?: UpdateTarget,
): Promise<UpdateReceipt> {
  let isHandedToSum = false;
  try {
    return await checkAndAccept(db, site, input, target, () => (isHandedToSum = true));
  } finally {
    if (!isHandedToSum) input.release?.();
  }
}

async function checkAndAccept(
  db: Database,
  site: SiteRef,
  input: Parameters<typeof acceptUpdate>[2],
  target: UpdateTarget | undefined,
  handedToSum: () => void,
): Promise<UpdateReceipt> {
  const bytes = input.body.byteLength;
  const checked = await checkUpdate(db, site, target ?? (await findTarget(db, site, input.taskId)), input);
  const { link, roundId, result, spec, norm } = checked;
  const exchange = getRoundExchange(db);
  exchange.onRequest ??= (round) => publishPartial(db, round);
  await exchange.ready();
  if (checked.masked) {
    // A masked update is folded into this process's masked sum for the round (modulo 2^32), never kept
    // alone: read in place when the body is aligned (read into memory of its own, as the route does),
    // not copied into fresh memory first, which costs a page fault per 4 KB.
    const { body } = input;
    const masked =
      body.byteOffset % 4 === 0
        ? new Uint32Array(body.buffer, body.byteOffset, body.byteLength / 4)
        : new Uint32Array(new Uint8Array(body).buffer);
    const receipt = await exchange.acceptMasked(
      roundId,
      site.id,
      () => recordUpdate(db, site, { ...input, link, result, norm, holder: exchange.holder, isMasked: true }),
      masked,
    );
    // Folded once committed: a copy is read no more (the body itself goes back when this call ends).
    if (masked.buffer !== body.buffer) releaseBuffer(masked);
    metrics.updateBytes.observe(bytes);
    await afterAccepted(db, { roundId, jobId: link.jobId, expected: receipt.expected });
    return receipt.receipt;
  }
  const update = checked.update;
  const receipt = await exchange.accept(
    roundId,
    site.id,
    () => recordUpdate(db, site, { ...input, link, result, norm, holder: exchange.holder }),
    (sumFor) => {
      // The sum reads the update's views of the body until it folds it, then releases the body.
      sumFor(spec).add(site.id, update, result.exampleCount, input.release);
      handedToSum();
    },
  );
  metrics.updateBytes.observe(bytes);
  await afterAccepted(db, { roundId, jobId: link.jobId, expected: receipt.expected });
  return receipt.receipt;
}

/**
 * Counted after commit, outside the transaction's locks: two last updates committing together both
 * see every row. The last update closes the round; the one before it has every process holding a
 * part write it early if the last is slow in coming (round-exchange.ts, `publishEarly`), in case
 * the last goes to another process.
 */
async function afterAccepted(db: Database, round: { roundId: string; jobId: string; expected: number }) {
  const received = await countUpdates(db, round.roundId);
  if (received >= round.expected) await advanceJob(db, round.jobId, { wait: true });
  else if (received === round.expected - 1) await announceOneShort(db, round.roundId);
}

/**
 * Another process asks for this one's part of a round it is closing, having written its own part
 * with the request: close the round from here, where this part is in memory and the other's in the
 * database. A model-sized partial sum costs a hundred milliseconds or more each way through
 * PostgreSQL, so it is written only when this process does not close the round: a close that must
 * wait for a third process writes it on the same commit (`gatherRoundSum`), and a round still open
 * after the attempt gets it here, for whichever process closes it.
 */
async function publishPartial(db: Database, roundId: string): Promise<void> {
  const roundOf = async () =>
    (
      await db
        .select({ jobId: trainingRounds.jobId, status: trainingRounds.status })
        .from(trainingRounds)
        .where(eq(trainingRounds.id, roundId))
    )[0];
  const round = await roundOf();
  if (!round || round.status !== "open") return;
  await advanceJob(db, round.jobId, { wait: true });
  if ((await roundOf())?.status === "open") await getRoundExchange(db).publish(db, roundId);
}

async function recordUpdate(
  db: Database,
  site: SiteRef,
  input: {
    taskId: string;
    leaseId: string;
    body: Uint8Array;
    link: { jobId: string; round: number };
    result: TrainResult;
    norm: number | null;
    holder: string;
    isMasked?: boolean;
  },
) {
  const { link, result, norm } = input;
  return db.transaction(async (tx) => {
    // Round (shared), then task: a close takes the round exclusively, so it waits for updates in flight and they for it.
    const [round] = await tx
      .select()
      .from(trainingRounds)
      .where(and(eq(trainingRounds.jobId, link.jobId), eq(trainingRounds.number, link.round)))
      .for("share");
    if (!round) throw new AppError("NOT_FOUND", "This task belongs to no training round.");
    if (round.status !== "open")
      throw new AppError(
        "CONFLICT",
        `Round ${round.number} is already ${round.status}; this late update was rejected. Nothing was changed.`,
      );
    const task = await lockLeasedTask(tx, site, input.taskId, input.leaseId);
    if (input.isMasked) await checkMaskedUpload(tx, site, round.id);
    await tx.insert(roundUpdates).values({
      roundId: round.id,
      siteId: site.id,
      taskId: task.id,
      holder: input.holder,
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
    await logJobEvent(tx, link.jobId, "update_received", { round: round.number, siteCode: site.code, details });
    // Last: the audit chain's lock is held from here to commit, and every writer in every process waits for it.
    await recordAudit(tx, {
      actor: { type: "site", id: site.id, label: site.code },
      action: "training.update_received",
      subject: `task:${task.id}`,
      details,
    });
    return { receipt: { accepted: true as const, round: round.number, norm }, expected: round.expectedSites };
  });
}

async function countUpdates(db: DbOrTx, roundId: string): Promise<number> {
  const [row] = await db.select({ received: count() }).from(roundUpdates).where(eq(roundUpdates.roundId, roundId));
  return row?.received ?? 0;
}
