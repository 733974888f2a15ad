import { CLAIM_MAX_WAIT_MS, type LeasedTask } from "@/protocol/contract";
import { createBackoff, sleep } from "./backoff";
import { HubError, retryDelayMs } from "./hub-client";
import { startTask, type RunningTask, type TaskDeps } from "./task-execution";

/**
 * The claim loop: FLIP_CONCURRENCY lanes, each long-polling the hub for one task at a time and
 * running it. On shutdown the lanes stop claiming, running tasks get a grace period to finish, and
 * whatever is still running is released back to the hub's queue.
 */
export type Runner = {
  start: () => void;
  tasksInFlight: () => string[];
  cancel: (taskIds: readonly string[]) => void;
  stop: (graceMs: number) => Promise<void>;
};

const LANE_EXIT_WAIT_MS = 2_000;

export function createRunner({ concurrency, deps }: { concurrency: number; deps: TaskDeps }): Runner {
  const running = new Map<string, RunningTask>();
  const stopping = new AbortController();
  let lanes: Promise<void>[] = [];
  const { hub, log } = deps;

  const runLeased = async (task: LeasedTask) => {
    const runningTask = startTask(task, deps);
    running.set(task.taskId, runningTask);
    try {
      await runningTask.finished;
    } finally {
      running.delete(task.taskId);
    }
  };

  async function runLane(lane: number): Promise<void> {
    const backoff = createBackoff();
    while (!stopping.signal.aborted) {
      let task: LeasedTask | null;
      try {
        task = await hub.claim(CLAIM_MAX_WAIT_MS, stopping.signal);
        backoff.reset();
      } catch (error) {
        if (stopping.signal.aborted || (error instanceof HubError && error.kind === "aborted")) return;
        const delayMs = retryDelayMs(error, backoff.nextDelayMs);
        log.debug("Claim failed; waiting before the next one", {
          lane,
          delayMs,
          hubError: error instanceof HubError ? error.kind : "unknown",
        });
        await sleep(delayMs, stopping.signal);
        continue;
      }
      if (!task) continue;
      if (stopping.signal.aborted) {
        // Leased just as the worker began to stop: hand it straight back rather than start it.
        await hub.release({ taskId: task.taskId, leaseId: task.leaseId }).catch(() => undefined);
        return;
      }
      await runLeased(task);
    }
  }

  return {
    start() {
      if (lanes.length > 0 || stopping.signal.aborted) return;
      lanes = Array.from({ length: concurrency }, (_, lane) => runLane(lane));
    },
    tasksInFlight: () => [...running.keys()],
    cancel(taskIds) {
      for (const id of taskIds) running.get(id)?.abort("cancelled");
    },
    async stop(graceMs) {
      stopping.abort();
      if (running.size > 0) {
        log.info("Shutting down: waiting for running tasks to finish", { tasks: running.size, graceMs });
        const allFinished = Promise.all([...running.values()].map((t) => t.finished));
        const graceOver = new AbortController();
        await Promise.race([allFinished, sleep(graceMs, graceOver.signal)]);
        graceOver.abort();
      }
      await Promise.all(
        [...running.values()].map(async (t) => {
          t.abort("shutdown");
          await t.release();
        }),
      );
      // A handler that ignores its abort signal must not hold the process: its task is released already.
      await Promise.race([Promise.all(lanes), sleep(LANE_EXIT_WAIT_MS)]);
    },
  };
}
