import type { IncomingMessage, ServerResponse } from "node:http";
import { clientIp } from "@/server/auth/client-ip";
import { knownSessionUser } from "@/server/auth/session";
import { getHubConfig } from "@/server/config";
import { createWorkSlots } from "@/server/lib/work-slots";
import { metrics } from "@/server/observability/metrics";

/**
 * Browser requests in progress in one portal process: at most FLIP_API_CONCURRENCY at once, the
 * rest waiting their turn: tRPC calls (api-fast-path.ts) and the pages and sign-in that
 * Next.js serves. Site workers' calls (a site token, not a session) never wait here, nor do the
 * probes, the metrics scrape, static files and model downloads (api-fast-path.ts says why).
 *
 * Why: one event loop serves every request, and each call's queries wait in one pool. A call that
 * awaits a query gives way to every other ready request, so under a hundred browsers' reads a
 * worker's heartbeat, with its two statements, waited through all of them at each step: up to a
 * second at the tail (bench:load). With the browsers' calls admitted a few at a time, the loop and the pool
 * hold only those few, and a worker's call waits for them, not for everyone. The browsers' total
 * rate does not change (the CPU and the pool are as busy as before); their waiting moves here.
 * Skipping the line takes only the header, and buys a browser nothing: a tRPC call that carries one
 * is never given the session its cookie names (http-context.ts), only a site token's rights; and
 * for what Next serves the header is not looked at (no site worker calls a page).
 *
 * Turns go to callers, not requests (callerOf): each user, or each address for a request from no
 * known session, waits in a line of their own, and a freed slot goes to the callers in turn. So one
 * user's flood (a script, a hundred tabs) delays another user's page by one request per slot, not
 * by the whole flood; and past FLIP_API_QUEUE_MAX_PER_CALLER waiting, only that caller is refused.
 *
 * Past FLIP_API_QUEUE_MAX waiting, or after MAX_WAIT_MS in line, a call is answered 503 with
 * Retry-After: the portal is overloaded, and saying so beats holding the browser for longer.
 */
let slots: ReturnType<typeof createWorkSlots> | undefined;

/** Longer than any browser call waits in practice; a call still in line after it is refused. */
const MAX_WAIT_MS = 30_000;

/** Thrown (and answered 503 with its message) when the line is full, the caller's is, or a call waited MAX_WAIT_MS. */
class PortalBusy extends Error {
  constructor(
    readonly reason: "line_full" | "caller_full" | "waited_too_long",
    message: string,
  ) {
    super(message);
  }
}

/** A site worker's call: it carries a site token (Bearer), where a browser carries a session cookie. */
export function isWorkerCall(authorization: string | null | undefined): boolean {
  return authorization?.startsWith("Bearer ") ?? false;
}

function browserSlots() {
  const { FLIP_API_CONCURRENCY, FLIP_API_QUEUE_MAX, FLIP_API_QUEUE_MAX_PER_CALLER } = getHubConfig();
  slots ??= createWorkSlots(
    FLIP_API_CONCURRENCY,
    FLIP_API_QUEUE_MAX,
    (why) =>
      new PortalBusy(
        why === "full" ? "line_full" : "waited_too_long",
        `The portal is busy (${FLIP_API_CONCURRENCY} requests at a time, at most ${FLIP_API_QUEUE_MAX} waiting, each for up to ${MAX_WAIT_MS / 1000} s); try again in a moment. Nothing was changed.`,
      ),
    {
      maxWaiting: FLIP_API_QUEUE_MAX_PER_CALLER,
      onFull: () =>
        new PortalBusy(
          "caller_full",
          `You already have ${FLIP_API_QUEUE_MAX_PER_CALLER} requests waiting at this portal; let them finish before sending more. Nothing was changed.`,
        ),
    },
  );
  return slots;
}

type HeaderSource = Parameters<typeof clientIp>[0];

/**
 * Whose turn a request waits for: the user its session cookie names, when this process has already
 * decoded that cookie (so the portal issued it, and a made-up cookie buys no line of its own);
 * otherwise the client's address, as far as trusted proxies vouch for it (client-ip.ts).
 */
export function callerOf(headers: HeaderSource): string {
  const cookie = headers instanceof Headers ? headers.get("cookie") : headers?.cookie;
  const user = knownSessionUser(Array.isArray(cookie) ? cookie.join("; ") : cookie);
  return user ? `user:${user}` : `address:${clientIp(headers)}`;
}

/**
 * Runs `serve` in its turn: a worker's at once, a browser's once a slot is free; `gone` when the
 * browser left while it waited (nothing runs), `busy` when the line is full or the wait too long.
 */
async function inTurn<T>(
  request: { authorization: string | null | undefined; headers: HeaderSource },
  hasGone: () => boolean,
  serve: () => Promise<T>,
  answers: { gone: () => T; busy: (message: string) => T },
): Promise<T> {
  if (isWorkerCall(request.authorization)) return serve();
  const slots = browserSlots();
  const waited = () => metrics.apiCallsWaiting.set(slots.waiting);
  try {
    const served = slots.run(
      async () => {
        waited();
        return hasGone() ? answers.gone() : serve();
      },
      { maxWaitMs: MAX_WAIT_MS, key: callerOf(request.headers) },
    );
    waited();
    return await served;
  } catch (error) {
    if (!(error instanceof PortalBusy)) throw error;
    waited();
    metrics.apiCallsRefused.inc({ reason: error.reason });
    return answers.busy(error.message);
  }
}

/**
 * Serves a tRPC call in its turn. A browser that has gone while its call waited (its request's
 * signal aborted) costs nothing more: the call is not run.
 */
export function inBrowserCallSlot(request: Request, serve: () => Promise<Response>): Promise<Response> {
  return inTurn(
    { authorization: request.headers.get("authorization"), headers: request.headers },
    () => request.signal.aborted,
    serve,
    {
      gone: () => new Response(null, { status: 499 }),
      busy: (message) =>
        Response.json(
          { error: { code: "SERVICE_UNAVAILABLE", message } },
          { status: 503, headers: { "retry-after": "1" } },
        ),
    },
  );
}

/**
 * Serves a request that Next.js answers (a page, sign-in) in its turn: its slot is held until the
 * response has closed, however it streams. Refused, the browser gets the 503 as plain text.
 */
export async function inBrowserRequestSlot(
  req: IncomingMessage,
  res: ServerResponse,
  serve: () => unknown,
): Promise<void> {
  let isClosed = false;
  const closed = new Promise<void>((resolve) =>
    res.once("close", () => {
      isClosed = true;
      resolve();
    }),
  );
  await inTurn(
    // No site worker calls a page: its authorization header is not looked at.
    { authorization: undefined, headers: req.headers },
    () => isClosed,
    async () => {
      serve();
      await closed;
    },
    {
      gone: () => undefined,
      busy: (message) => {
        res.writeHead(503, { "content-type": "text/plain; charset=utf-8", "retry-after": "1" });
        res.end(message);
      },
    },
  );
}

/** The process's slots. @internal for tests, which fill them to see what a caller finds then. */
export function browserCallSlots() {
  return browserSlots();
}
