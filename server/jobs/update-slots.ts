import { getHubConfig } from "@/server/config";
import { AppError } from "@/server/errors";
import { createWorkSlots } from "@/server/lib/work-slots";

/**
 * Update bodies in flight in this process: each one is read, checked, committed and folded inside
 * a slot, so at most FLIP_UPDATE_CONCURRENCY bodies are in memory at once however many sites
 * report together. The others wait, bodies unread (the sites' connections hold them, by TCP
 * back-pressure), in arrival order; past FLIP_UPDATE_QUEUE_MAX waiting the hub answers 429 and
 * the worker retries (workers/hub-client.ts, kind "busy").
 */
let slots: ReturnType<typeof createWorkSlots> | undefined;

export function updateSlots() {
  const config = getHubConfig();
  slots ??= createWorkSlots(
    config.FLIP_UPDATE_CONCURRENCY,
    config.FLIP_UPDATE_QUEUE_MAX,
    () =>
      new AppError(
        "TOO_MANY_REQUESTS",
        `The hub is taking in ${config.FLIP_UPDATE_CONCURRENCY} updates with ${config.FLIP_UPDATE_QUEUE_MAX} more waiting; send this one again shortly. Nothing was changed.`,
      ),
  );
  return slots;
}
