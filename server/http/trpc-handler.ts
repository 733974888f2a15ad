import { fetchRequestHandler } from "@trpc/server/adapters/fetch";
import { createHttpContext } from "@/server/http-context";
import { inBrowserCallSlot } from "@/server/http/browser-call-slots";
import { limitTrpcBody } from "@/server/http/trpc-body-limit";
import { errorFields, getLogger, requestIdOf, wasLogged } from "@/server/observability/logger";
import { appRouter } from "@/server/root";

/**
 * Serves one tRPC request (`/api/trpc/…`, a batch included): a browser's in its turn
 * (browser-call-slots.ts), the body read up to the limit for what it calls, the context from its
 * own headers, and a request id echoed in the answer.
 */
export function handleTrpcRequest(request: Request): Promise<Response> {
  return inBrowserCallSlot(request, () => serveTrpcRequest(request));
}

async function serveTrpcRequest(request: Request): Promise<Response> {
  const req = await limitTrpcBody(request);
  if (req instanceof Response) return req;
  // One id for the whole HTTP request (a batch shares it), echoed so a caller can quote it.
  const requestId = requestIdOf(req.headers);
  const headers = new Headers(req.headers);
  headers.set("x-request-id", requestId);
  return fetchRequestHandler({
    endpoint: "/api/trpc",
    req,
    router: appRouter,
    createContext: () => createHttpContext(headers),
    responseMeta: () => ({ headers: new Headers({ "x-request-id": requestId }) }),
    onError({ error, path }) {
      // Procedure calls are logged by the middleware in server/trpc.ts; this catches the rest
      // (the context could not be built, the request could not be parsed).
      if (error.code !== "INTERNAL_SERVER_ERROR" || wasLogged(error)) return;
      getLogger().error({ requestId, procedure: path, err: errorFields(error.cause ?? error) }, "trpc request failed");
    },
  });
}
