import type { IncomingMessage, ServerResponse } from "node:http";
import { getDb } from "@/server/database/get-db";
import { livenessResponse, readinessResponse } from "@/server/observability/readiness";
import { updateRoute, weightsRoute } from "@/server/worker/binary-routes";
import { inBrowserRequestSlot } from "./browser-call-slots";
import { respond, type Handler } from "./node-bridge";
import { installScopedAbortSignalAny } from "./request-signal";
import { handleTrpcRequest } from "./trpc-handler";

/**
 * The API answered straight from Node's http server, before Next.js routes the request: the portal
 * server (server/cli/portal-server.mjs) offers each request here first, and Next serves whatever
 * this declines. Through Next's router a tRPC call cost about 1 ms of CPU more than the call
 * itself, and every page's data and every site worker's heartbeat and claim is a tRPC call.
 * Served here: tRPC, and the site workers' binary routes, so that a round's updates, its close and
 * the worker calls that end it (a failure, a dropout) run in one module graph with the background
 * work; and the probes, which anyone may send: through Next each cost half a millisecond of CPU
 * outside the browser line, and 100 connections asking for /api/health held site workers'
 * heartbeats up for seconds. The handlers are the ones Next's own routes (app/api) serve under `next dev`.
 *
 * Registered on globalThis by instrumentation.ts, which runs inside Next's server bundle: the
 * portal server is plain JavaScript and compiles nothing.
 */
const FAST_PATH = Symbol.for("flip.serveRequest");
const TRPC_PREFIX = "/api/trpc/";
const WORKER_ROUTE = /^\/api\/worker\/tasks\/([^/?]+)\/(weights|update)(?:\?|$)/;
/** Liveness and readiness, outside the browser line: a load balancer must hear from a busy process rather than pull it. */
const PROBES = new Map<string, Handler>([
  ["/api/health", async () => livenessResponse()],
  ["/api/ready", () => readinessResponse(getDb)],
]);

type Route = { methods: readonly string[]; handler: Handler };

export function registerApiFastPath(): void {
  installScopedAbortSignalAny();
  (globalThis as Record<symbol, unknown>)[FAST_PATH] = serveRequest;
}

/**
 * What Next serves outside the browser line (browser-call-slots.ts): the metrics scrape; static
 * files, which touch no database; and model downloads, which may stream for minutes. (The probes
 * are answered before Next, above.)
 */
const OUTSIDE_THE_LINE =
  /^\/(?:_next\/static\/|favicon\.ico(?:\?|$)|api\/metrics(?:[/?]|$)|api\/projects\/[^/?]+\/model-versions\/[^/?]+\/download(?:\?|$))/;

/**
 * Every request the portal server takes: the API here (serveApiRequest), the rest to Next through
 * `next`, in the browser line unless it is one of OUTSIDE_THE_LINE.
 */
export function serveRequest(req: IncomingMessage, res: ServerResponse, next: () => unknown): void {
  if (serveApiRequest(req, res)) return;
  if (OUTSIDE_THE_LINE.test(req.url ?? "")) {
    next();
    return;
  }
  void inBrowserRequestSlot(req, res, next);
}

function decoded(segment: string): string {
  try {
    return decodeURIComponent(segment);
  } catch {
    return segment; // not a UUID either way: the route refuses it
  }
}

function routeOf(url: string): Route | null {
  if (url.startsWith(TRPC_PREFIX)) return { methods: ["GET", "HEAD", "POST"], handler: handleTrpcRequest };
  const probe = PROBES.get(url.split("?", 1)[0]!);
  if (probe) return { methods: ["GET", "HEAD"], handler: probe };
  const worker = WORKER_ROUTE.exec(url);
  if (!worker) return null;
  const taskId = decoded(worker[1]!);
  return worker[2] === "weights"
    ? { methods: ["GET", "HEAD"], handler: (request) => weightsRoute(request, taskId) }
    : { methods: ["POST"], handler: (request) => updateRoute(request, taskId) };
}

/** Serves `req` when its path is one of the API's and returns true; returns false, touching nothing, otherwise. */
export function serveApiRequest(req: IncomingMessage, res: ServerResponse): boolean {
  const route = routeOf(req.url ?? "");
  if (!route) return false;
  const allowed = route.methods.includes(req.method ?? "");
  void respond(
    req,
    res,
    allowed
      ? route.handler
      : async () =>
          Response.json(
            { error: { code: "METHOD_NOT_SUPPORTED", message: `Use ${route.methods.join(" or ")} here.` } },
            { status: 405, headers: { allow: route.methods.join(", ") } },
          ),
  );
  return true;
}
