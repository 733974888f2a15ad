/**
 * At most `size` pieces of work at once; the rest wait in arrival order. When `maxWaiting` are
 * already waiting, a new caller is refused at once (`run` throws `onFull()`), so a flood cannot
 * queue unbounded work or memory; with `maxWaitMs`, so is a caller that waited that long for a slot.
 */
export function createWorkSlots(size: number, maxWaiting: number, onFull: () => Error) {
  let running = 0;
  const waiting: (() => void)[] = [];
  const release = () => {
    const next = waiting.shift();
    if (next) next();
    else running--;
  };
  return {
    async run<T>(work: () => Promise<T>, { maxWaitMs }: { maxWaitMs?: number } = {}): Promise<T> {
      if (running < size) running++;
      else if (waiting.length >= maxWaiting) throw onFull();
      else
        await new Promise<void>((resolve, reject) => {
          const take = () => {
            clearTimeout(timer);
            resolve();
          };
          // Given up: out of the line, so a slot is never handed to a caller that has gone.
          const timer =
            maxWaitMs === undefined
              ? undefined
              : setTimeout(() => {
                  waiting.splice(waiting.indexOf(take), 1);
                  reject(onFull());
                }, maxWaitMs);
          waiting.push(take);
        });
      try {
        return await work();
      } finally {
        release();
      }
    },
    /** @internal for tests */
    get waiting() {
      return waiting.length;
    },
  };
}
