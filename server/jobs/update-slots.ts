import { getHubConfig } from "@/server/config";
import { AppError } from "@/server/errors";
import { createWorkSlots } from "@/server/lib/work-slots";

/**
 * Update bodies in flight in this process: each one is read, checked, committed and folded inside
 * a slot, so at most FLIP_UPDATE_CONCURRENCY bodies are in memory at once however many sites
 * report together. The others wait, bodies unread (the sites' connections hold them, by TCP
 * back-pressure), in arrival order; past FLIP_UPDATE_QUEUE_MAX waiting, or after MAX_WAIT_MS in
 * line, the hub answers 429 and the worker sends the update again (workers/hub-client.ts, kind "busy").
 */
let slots: ReturnType<typeof createWorkSlots> | undefined;

/**
 * Below Node's request timeout (http.Server requestTimeout, 5 minutes, as the portal server keeps it):
 * a request whose body is still unread then is dropped, and the site sees a broken pipe, not a 429.
 */
export const MAX_WAIT_MS = 4 * 60_000;

/** Runs one update's read, checks, transaction and fold in a slot. */
export function inUpdateSlot<T>(work: () => Promise<T>): Promise<T> {
  return updateSlots().run(work, { maxWaitMs: MAX_WAIT_MS });
}

/** The process's slots. @internal for tests, which take them to see what a site finds then. */
export function updateSlots() {
  const config = getHubConfig();
  slots ??= createWorkSlots(
    config.FLIP_UPDATE_CONCURRENCY,
    config.FLIP_UPDATE_QUEUE_MAX,
    () =>
      new AppError(
        "TOO_MANY_REQUESTS",
        `The hub is busy taking in other sites' updates (${config.FLIP_UPDATE_CONCURRENCY} at a time, at most ${config.FLIP_UPDATE_QUEUE_MAX} waiting, each for up to ${MAX_WAIT_MS / 60_000} minutes); send this one again shortly. Nothing was changed.`,
      ),
  );
  return slots;
}
