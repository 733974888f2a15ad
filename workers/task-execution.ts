import type { ImagingContext } from "./imaging/imaging-context";
import type { LeasedTask, TaskKind } from "@/protocol/contract";
import { createBackoff, sleep } from "./backoff";
import { HubError, type HubClient } from "./hub-client";
import type { Logger } from "./log";
import type { SitePolicy } from "./policy";
import { TaskError } from "./release/failures";
import type { ReleaseGate } from "./release/gate";
import type { ProgressStep } from "./release/progress";
import type { SiteDb } from "./site-db";
import { executeTask, type DownloadedWeights, type TaskHandler, type TaskOutcome } from "./tasks/base";
import { TASK_HANDLERS } from "./tasks/registry";
import { unmaskAnswer, waitForPhase, type SecureSession } from "./training/secagg-session";

/**
 * One leased task from claim to report: runs its handler, keeps the lease alive (every third of
 * the lease, and on each progress call), then completes, fails or releases it exactly once.
 */
export type TaskDeps = {
  hub: HubClient;
  log: Logger;
  policy: SitePolicy;
  gate: ReleaseGate;
  siteDb: SiteDb;
  dataDir: string;
  imaging?: ImagingContext;
  hubNow: () => number;
};

export type StopReason = "cancelled" | "shutdown" | "lease_lost";

export type RunningTask = {
  taskId: string;
  /** Stops the handler; a cancelled or lost task is not reported, a shut-down one is released by `release`. */
  abort: (reason: StopReason) => void;
  /** Hands the task back to the hub's queue unless it was already reported. */
  release: () => Promise<void>;
  finished: Promise<void>;
};

const REPORT_ATTEMPTS = 8;
/** Transient trouble: the same call may succeed later. A busy hub (429) does not use up the attempts. */
const isTransient = (error: HubError) =>
  error.kind === "unreachable" || error.kind === "unauthorized" || error.kind === "busy";
const MIN_RENEW_MS = 250;

export function startTask(task: LeasedTask, deps: TaskDeps): RunningTask {
  const log = deps.log.child({ taskId: task.taskId, attempt: task.attempt, kind: task.kind });
  const controller = new AbortController();
  let stopReason: StopReason | null = null;
  let isSettled = false;
  let leaseExpiresAt = task.leaseExpiresAt.getTime();
  let renewTimer: NodeJS.Timeout | undefined;
  let isRenewing = true;
  const lease = { taskId: task.taskId, leaseId: task.leaseId };
  const gateTask = { taskId: task.taskId, kind: task.kind, payload: (task.payload ?? {}) as Record<string, unknown> };

  const abort = (reason: StopReason) => {
    if (stopReason) return;
    stopReason = reason;
    if (reason === "cancelled" || reason === "lease_lost") isSettled = true;
    log.info(
      reason === "cancelled"
        ? "Task cancelled by the hub; stopping it"
        : reason === "lease_lost"
          ? "Lease lost; stopping the task"
          : "Stopping the task for shutdown",
      { reason },
    );
    controller.abort(reason);
  };

  const renew = async (percent: number, step?: ProgressStep) => {
    if (isSettled) return;
    try {
      const message = step === undefined ? undefined : deps.gate.progress(step);
      const { leaseExpiresAt: next } = await deps.hub.progress({ ...lease, percent, message });
      leaseExpiresAt = next.getTime();
    } catch (error) {
      // The hub no longer knows this lease: nothing the handler computes can be submitted.
      if (error instanceof HubError && (error.kind === "conflict" || error.kind === "not_found")) abort("lease_lost");
      else
        log.warn("Could not renew the lease; will retry", {
          reason: error instanceof Error ? error.message : "unknown",
        });
    }
  };
  let lastPercent = 0;
  const scheduleRenewal = () => {
    // The contract gives the expiry, not the lease length, so renew at a third of what remains.
    const delay = Math.max(MIN_RENEW_MS, (leaseExpiresAt - deps.hubNow()) / 3);
    renewTimer = setTimeout(
      () => void renew(lastPercent).finally(() => isRenewing && !isSettled && scheduleRenewal()),
      delay,
    );
  };
  const stopRenewing = () => {
    isRenewing = false;
    clearTimeout(renewTimer);
  };

  const report = async (outcome: TaskOutcome): Promise<void> => {
    if (outcome.type === "aborted" || isSettled) return;
    const backoff = createBackoff();
    for (let attempt = 1; attempt <= REPORT_ATTEMPTS && !isSettled; attempt++) {
      try {
        if (outcome.type === "complete") {
          await deps.hub.complete({ ...lease, result: outcome.result });
          log.info("Task completed");
        } else if (outcome.type === "masked_upload") {
          const { round } = await deps.hub.uploadMaskedUpdate({
            ...lease,
            result: outcome.result,
            masked: outcome.masked,
          });
          log.info("Masked update uploaded; task completed", { round });
        } else if (outcome.type === "upload") {
          // The upload is this task's completion: the hub accepts it at most once, so a 409 (round closed, lease lost) ends it.
          const { round, norm } = await deps.hub.uploadUpdate({
            ...lease,
            result: outcome.result,
            update: outcome.update,
          });
          log.info("Update uploaded; task completed", { round, norm });
        } else {
          const { status } = await deps.hub.fail({
            ...lease,
            code: outcome.code,
            message: outcome.message,
            retryable: outcome.isRetryable,
          });
          log.info("Task failed", { code: outcome.code, retryable: outcome.isRetryable, hubStatus: status });
        }
        isSettled = true;
        return;
      } catch (error) {
        if (!(error instanceof HubError) || isTransient(error)) {
          // A busy hub has our update queued behind other sites': keep the lease (renewals go on) and try again.
          if (error instanceof HubError && error.kind === "busy") attempt--;
          await sleep(backoff.nextDelayMs());
          continue;
        }
        if (error.kind === "rejected" && outcome.type !== "fail") {
          // The hub's own output check refused the result: record why instead of leaving the task leased.
          log.error("The hub refused the result", { reason: error.message });
          outcome = deps.gate.fail(gateTask, new TaskError({ reason: "result_refused_by_hub" }, false, error.message));
          continue;
        }
        log.warn("The hub did not accept the report", { reason: error.message, hubError: error.kind });
        isSettled = true;
        return;
      }
    }
    if (!isSettled) log.error("Could not report the task to the hub; it returns to the queue when the lease expires");
  };

  const downloadWeights = async (): Promise<DownloadedWeights> => {
    const backoff = createBackoff();
    for (let attempt = 1; ; attempt++) {
      try {
        return await deps.hub.downloadWeights(lease, controller.signal);
      } catch (error) {
        if (!(error instanceof HubError)) throw error;
        if (error.kind === "conflict" || error.kind === "not_found") abort("lease_lost");
        const transient = isTransient(error);
        if (!transient || attempt >= REPORT_ATTEMPTS || controller.signal.aborted) {
          throw new TaskError({ reason: "weights_unavailable" }, transient, error.message);
        }
        await sleep(backoff.nextDelayMs(), controller.signal);
      }
    }
  };

  const run = async () => {
    log.info("Task started", { maxAttempts: task.maxAttempts });
    scheduleRenewal();
    const handler = TASK_HANDLERS[task.kind] as TaskHandler<TaskKind>;
    const progress = async (percent: number, step?: ProgressStep) => {
      lastPercent = Math.min(100, Math.max(0, percent));
      await renew(lastPercent, step);
    };
    const outcome = await executeTask(task, handler, {
      ...deps,
      log,
      signal: controller.signal,
      progress,
      downloadWeights,
      secAgg: {
        advertise: (keys) => deps.hub.secAgg.advertise({ ...lease, ...keys }),
        share: (boxes) => deps.hub.secAgg.share({ ...lease, boxes }),
        state: (wait) => deps.hub.secAgg.state({ ...lease, ...wait }),
      },
    });
    await report(outcome);
    stopRenewing();
    if (outcome.type === "masked_upload" && isSettled && !stopReason) await answerUnmasking(outcome.secure);
  };

  /** After the masked upload completed the task: the survivors' shares let the hub remove the masks from the sum only. */
  const answerUnmasking = async (secure: SecureSession) => {
    try {
      const state = await waitForPhase(
        (wait) => deps.hub.secAgg.state({ ...lease, ...wait }),
        "unmasking",
        controller.signal,
      );
      if (!state?.request) return log.info("The round closed without asking this site to unmask");
      const answer = deps.gate.unmaskShares(unmaskAnswer(secure.client, state.request));
      await deps.hub.secAgg.unmask({ ...lease, ...answer } as typeof answer & typeof lease);
      log.info("Unmasking shares sent", {
        survivors: state.request.survivors.length,
        dropped: state.request.dropped.length,
      });
    } catch (error) {
      log.warn("Could not answer the unmasking request", {
        reason: error instanceof Error ? error.message : "unknown",
      });
    }
  };

  const finished = run().catch((error: unknown) => {
    stopRenewing();
    log.error("Task runner crashed", { error: error instanceof Error ? error.name : "unknown" });
  });

  const release = async () => {
    if (isSettled) return;
    isSettled = true;
    stopRenewing();
    try {
      await deps.hub.release(lease);
      log.info("Task released back to the hub's queue");
    } catch (error) {
      log.warn("Could not release the task; it returns to the queue when the lease expires", {
        reason: error instanceof Error ? error.message : "unknown",
      });
    }
  };

  return { taskId: task.taskId, abort, release, finished };
}
