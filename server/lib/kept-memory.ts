/**
 * Model-sized memory kept for the next use of the same size rather than freed and allocated again:
 * memory the process has not touched before costs a page fault per 4 KB page the first time it is
 * written. On this project's 2-core virtual machine that is about 12 µs a fault (3 ms per megabyte:
 * 230 ms for a 10 M-parameter running sum's 80 MB), against 0.06 ms per megabyte to write memory
 * already touched. The hub's update bodies (jobs/update-bodies.ts) and its running sums'
 * accumulators (aggregation/fold-kernel.ts) are the size of the model, round after round.
 *
 * At most `maxKept()` items and `maxBytes` bytes are kept, the oldest dropped first; all are
 * dropped once nothing has been taken or kept for `idleMs`, so a process between jobs gives the
 * memory back.
 * An item is kept only by the caller that owns it, once nothing reads it again.
 */
export function createKeptMemory<T>({
  bytesOf,
  maxKept,
  maxBytes,
  idleMs = 30_000,
  drop = () => undefined,
}: {
  bytesOf: (item: T) => number;
  maxKept: () => number;
  maxBytes: number;
  idleMs?: number;
  /** Frees an item dropped rather than kept (left to the collector when not given). */
  drop?: (item: T) => void;
}) {
  const kept: T[] = [];
  let idleTimer: NodeJS.Timeout | undefined;

  const keepUntilIdle = () => {
    clearTimeout(idleTimer);
    idleTimer = setTimeout(() => kept.splice(0).forEach(drop), idleMs);
    idleTimer.unref();
  };

  return {
    /** A kept item of exactly `bytes`, the one kept last (the likeliest still in the CPU's caches), or undefined. */
    take(bytes: number): T | undefined {
      keepUntilIdle();
      const index = kept.findLastIndex((item) => bytesOf(item) === bytes);
      return index >= 0 ? kept.splice(index, 1)[0] : undefined;
    },
    /** Keeps an item for the next `take` of its size; one kept already is not kept twice. */
    keep(item: T): void {
      if (kept.includes(item)) return;
      keepUntilIdle();
      kept.push(item);
      let bytes = kept.reduce((sum, k) => sum + bytesOf(k), 0);
      while (kept.length > maxKept() || bytes > maxBytes) {
        const oldest = kept.shift()!;
        bytes -= bytesOf(oldest);
        drop(oldest);
      }
    },
    holds: (item: T): boolean => kept.includes(item),
    get size(): number {
      return kept.length;
    },
  };
}
