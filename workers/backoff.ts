/**
 * Capped exponential backoff with full jitter (delay drawn uniformly from 0..min(cap, base*2^n)),
 * so a fleet of site workers does not reconnect to a restarted hub in lockstep.
 */
export type Backoff = { nextDelayMs: () => number; reset: () => void };

export function createBackoff({ baseMs = 500, capMs = 30_000, random = Math.random } = {}): Backoff {
  let failures = 0;
  return {
    nextDelayMs() {
      const ceiling = Math.min(capMs, baseMs * 2 ** failures);
      failures = Math.min(failures + 1, 30);
      return Math.round(random() * ceiling);
    },
    reset() {
      failures = 0;
    },
  };
}

/** Waits `ms`, or less if `signal` aborts first (never rejects: callers check the signal themselves). */
export function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  if (signal?.aborted) return Promise.resolve();
  return new Promise((resolve) => {
    const done = () => {
      clearTimeout(timer);
      signal?.removeEventListener("abort", done);
      resolve();
    };
    const timer = setTimeout(done, ms);
    signal?.addEventListener("abort", done, { once: true });
  });
}
