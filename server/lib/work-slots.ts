/**
 * At most `size` pieces of work at once; the rest wait. When `maxWaiting` are already waiting, a
 * new caller is refused at once (`run` throws `onFull("full")`), so a flood cannot queue unbounded
 * work or memory; with `maxWaitMs`, so is a caller that waited that long for a slot (`onFull("waited")`).
 *
 * Work given a `key` (who asked) waits in that key's own line, and a freed slot goes to the keys
 * in turn, one piece of work each, in arrival order within a key: a key with a hundred waiting
 * holds back another key's one by at most one piece of work per slot, not by all hundred. With
 * `perKey`, a key that already has `perKey.maxWaiting` waiting is refused (`perKey.onFull()`),
 * so one key cannot fill the whole line either. Work without a key shares one line: arrival order.
 */
export function createWorkSlots(
  size: number,
  maxWaiting: number,
  onFull: (why: "full" | "waited") => Error,
  perKey?: { maxWaiting: number; onFull: () => Error },
) {
  let running = 0;
  let waitingCount = 0;
  // Each key's waiting callers; the Map's order is the turn order (the key served last moves to the end).
  const lines = new Map<string, (() => void)[]>();
  const release = () => {
    const next = lines.entries().next();
    if (next.done) {
      running--;
      return;
    }
    const [key, line] = next.value;
    lines.delete(key);
    const take = line.shift()!;
    if (line.length) lines.set(key, line);
    waitingCount--;
    take();
  };
  const leave = (key: string, take: () => void) => {
    const line = lines.get(key)!;
    line.splice(line.indexOf(take), 1);
    if (!line.length) lines.delete(key);
    waitingCount--;
  };
  return {
    async run<T>(
      work: () => Promise<T>,
      { maxWaitMs, key = "" }: { maxWaitMs?: number; key?: string } = {},
    ): Promise<T> {
      if (running < size) running++;
      else if (waitingCount >= maxWaiting) throw onFull("full");
      else if (perKey && (lines.get(key)?.length ?? 0) >= perKey.maxWaiting) throw perKey.onFull();
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
                  leave(key, take);
                  reject(onFull("waited"));
                }, maxWaitMs);
          const line = lines.get(key);
          if (line) line.push(take);
          else lines.set(key, [take]);
          waitingCount++;
        });
      try {
        return await work();
      } finally {
        release();
      }
    },
    /** @internal for tests */
    get waiting() {
      return waitingCount;
    },
  };
}
