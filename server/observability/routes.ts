import { getLogger, requestIdOf } from "./logger";
import { metrics } from "./metrics";

/**
 * Wraps a Next.js route handler (the non-tRPC routes: binary worker transfers, downloads,
 * metrics) with one log line and one latency observation per request, labelled by the route's
 * pattern (never its ids). The response carries the request id.
 */
export function observeRoute<Rest extends unknown[]>(
  route: string,
  handler: (request: Request, ...rest: Rest) => Promise<Response> | Response,
): (request: Request, ...rest: Rest) => Promise<Response> {
  return async (request, ...rest) => {
    const requestId = requestIdOf(request.headers);
    const started = performance.now();
    let status = 500;
    try {
      const response = await handler(request, ...rest);
      status = response.status;
      try {
        response.headers.set("x-request-id", requestId);
      } catch {
        // immutable headers (a proxied response): the log line still has the id
      }
      return response;
    } finally {
      const seconds = (performance.now() - started) / 1000;
      metrics.routeDuration.observe({ route, method: request.method, status: String(status) }, seconds);
      getLogger().info(
        { requestId, route, method: request.method, status, durationMs: Math.round(seconds * 10_000) / 10 },
        "route request",
      );
    }
  };
}
