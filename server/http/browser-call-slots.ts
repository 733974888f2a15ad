import { getHubConfig } from "@/server/config";
import { createWorkSlots } from "@/server/lib/work-slots";
import { metrics } from "@/server/observability/metrics";

/**
 * Browser tRPC calls in progress in one portal process: at most FLIP_API_CONCURRENCY at once, the
 * rest waiting in arrival order. Site workers' calls (a site token, not a session) never wait here.
 *
 * Why: one event loop serves every request, and each call's queries wait in one pool. A call that
 * awaits a query gives way to every other ready request, so under a hundred browsers' reads a
 * worker's heartbeat, with its two statements, waited through all of them at each step: seconds
 * at the tail (bench:load). With the browsers' calls admitted a few at a time, the loop and the pool
 * hold only those few, and a worker's call waits for them, not for everyone. The browsers' total
 * rate does not change (the CPU and the pool are as busy as before); their waiting moves here.
 * Skipping the line takes only the header, and buys a browser nothing: a call that carries one is
 * never given the session its cookie names (http-context.ts), only a site token's rights.
 *
 * Past FLIP_API_QUEUE_MAX waiting, or after MAX_WAIT_MS in line, a call is answered 503 with
 * Retry-After: the portal is overloaded, and saying so beats holding the browser for longer.
 */
let slots: ReturnType<typeof createWorkSlots> | undefined;

/** Longer than any browser call waits in practice; a call still in line after it is refused. */
const MAX_WAIT_MS = 30_000;

/** Thrown (and answered 503) when the line is full or a call waited MAX_WAIT_MS. */
class PortalBusy extends Error {}

/** A site worker's call: it carries a site token (Bearer), where a browser carries a session cookie. */
export function isWorkerCall(headers: Headers): boolean {
  return headers.get("authorization")?.startsWith("Bearer ") ?? false;
}

function browserSlots() {
  const config = getHubConfig();
  slots ??= createWorkSlots(config.FLIP_API_CONCURRENCY, config.FLIP_API_QUEUE_MAX, () => new PortalBusy());
  return slots;
}

/**
 * Serves a tRPC call: a worker's at once, a browser's in its turn. A browser that has gone while
 * its call waited (its request's signal aborted) costs nothing more: the call is not run.
 */
export async function inBrowserCallSlot(request: Request, serve: () => Promise<Response>): Promise<Response> {
  if (isWorkerCall(request.headers)) return serve();
  const slots = browserSlots();
  const waited = () => metrics.apiCallsWaiting.set(slots.waiting);
  try {
    const served = slots.run(
      async () => {
        waited();
        return request.signal.aborted ? new Response(null, { status: 499 }) : serve();
      },
      { maxWaitMs: MAX_WAIT_MS },
    );
    waited();
    return await served;
  } catch (error) {
    if (!(error instanceof PortalBusy)) throw error;
    waited();
    metrics.apiCallsRefused.inc();
    const { FLIP_API_CONCURRENCY, FLIP_API_QUEUE_MAX } = getHubConfig();
    return Response.json(
      {
        error: {
          code: "SERVICE_UNAVAILABLE",
          message: `The portal is busy (${FLIP_API_CONCURRENCY} requests at a time, at most ${FLIP_API_QUEUE_MAX} waiting, each for up to ${MAX_WAIT_MS / 1000} s); try again in a moment. Nothing was changed.`,
        },
      },
      { status: 503, headers: { "retry-after": "1" } },
    );
  }
}

/** The process's slots. @internal for tests, which fill them to see what a caller finds then. */
export function browserCallSlots() {
  return browserSlots();
}
