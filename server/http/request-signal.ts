import type { ServerResponse } from "node:http";

/**
 * Each API request's abort signal (the client went away), without the weak references Node links
 * signals with. Handed to `new Request`, a signal is followed through a WeakRef and a
 * FinalizationRegistry entry per request; `AbortSignal.any`, which tRPC calls twice per call,
 * does the same. V8 keeps a WeakRef's target alive through every minor garbage collection, so
 * each request's objects were promoted to the old generation: at a few thousand calls a second it
 * grew by half a gigabyte in twenty seconds, and the full collection that followed, with the
 * finalizers it released, held the event loop 0.2 to 0.55 s, making every site's heartbeat that
 * waited meanwhile late (`bench:load`; nodejs/node#54614). Scratch measure, 100,000 requests: the
 * old generation grew 95 MB with the signal given to `new Request`, 3 MB without; with two
 * `AbortSignal.any` per request, by another 160 to 260 MB.
 *
 * So a request carries its signal as a property of its own, and a signal combined with it follows
 * it by plain listeners that are removed when the answer has gone (`scopedAny`). Only signals
 * that derive from a request's are combined so; any other `AbortSignal.any` is Node's own.
 */
const SCOPE = Symbol("flip.requestSignalScope");

type Scope = { isOver: boolean; links: { source: AbortSignal; follow: () => void }[] };
type Scoped = AbortSignal & { [SCOPE]?: Scope };

/** The signal of one request on `res`: aborted if the client goes away before its answer is sent. */
export function connectionSignal(res: ServerResponse): AbortSignal {
  const gone = new AbortController();
  const scope: Scope = { isOver: false, links: [] };
  (gone.signal as Scoped)[SCOPE] = scope;
  res.once("close", () => {
    if (!res.writableFinished) gone.abort();
    // Answered (or abandoned): what was combined with this request's signal lets go of it.
    scope.isOver = true;
    for (const { source, follow } of scope.links.splice(0)) source.removeEventListener("abort", follow);
  });
  return gone.signal;
}

/** A Request whose `signal` is `signal`, without linking the two (see above). */
export function requestWithSignal(
  input: string | URL,
  init: Omit<RequestInit, "signal">,
  signal: AbortSignal,
): Request {
  const request = new Request(input, init);
  // An own property over Request.prototype's getter: whatever reads `request.signal` gets this one.
  Object.defineProperty(request, "signal", { value: signal, enumerable: true });
  return request;
}

const nativeAny = AbortSignal.any.bind(AbortSignal);

/**
 * `AbortSignal.any`, by listeners for signals that derive from a request's (see above): aborted
 * with the first source's reason, at once if one already is. Any other call is Node's own.
 */
function scopedAny(signals: Iterable<AbortSignal>): AbortSignal {
  const sources = [...signals];
  const scope = sources.map((s) => (s as Scoped)[SCOPE]).find((s) => s !== undefined && !s.isOver);
  if (!scope) return nativeAny(sources);
  const combined = new AbortController();
  (combined.signal as Scoped)[SCOPE] = scope;
  const aborted = sources.find((s) => s.aborted);
  if (aborted) {
    combined.abort(aborted.reason);
    return combined.signal;
  }
  for (const source of sources) {
    const follow = () => combined.abort(source.reason);
    source.addEventListener("abort", follow, { once: true });
    scope.links.push({ source, follow });
  }
  return combined.signal;
}

/** Puts `scopedAny` in place of `AbortSignal.any`, once (the portal server's fast path does at start). */
export function installScopedAbortSignalAny(): void {
  if (AbortSignal.any !== scopedAny) AbortSignal.any = scopedAny;
}
