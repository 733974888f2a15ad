import type { ProgressStep } from "../release/progress";

/**
 * Progress during training, often enough to keep the lease alive and the hub's view current,
 * rarely enough not to spend a hub call per batch: at most every two seconds, and always when
 * `isMilestone` (an epoch ends).
 */
const MIN_INTERVAL_MS = 2_000;

export function throttledProgress(
  progress: (percent: number, step?: ProgressStep) => Promise<void>,
  [from, to]: [number, number],
) {
  let last = 0;
  return async (fraction: number, step: ProgressStep, isMilestone: boolean): Promise<void> => {
    const now = Date.now();
    if (!isMilestone && now - last < MIN_INTERVAL_MS) return;
    last = now;
    await progress(from + (to - from) * fraction, step);
  };
}
