import { fetchRequestHandler } from "@trpc/server/adapters/fetch";
import { isDatabaseShutdown } from "@/server/errors";
import { createHttpContext } from "@/server/http-context";
import { appRouter } from "@/server/root";

const handler = (req: Request) =>
  fetchRequestHandler({
    endpoint: "/api/trpc",
    req,
    router: appRouter,
    createContext: () => createHttpContext(req.headers),
    onError({ error, path }) {
      if (error.code !== "INTERNAL_SERVER_ERROR") return;
      // While the database shuts down (or restarts) every open call fails the same way: one line each.
      if (isDatabaseShutdown(error)) console.warn(`[trpc] ${path ?? "?"}: the database is shutting down or restarting`);
      else console.error(`[trpc] ${path ?? "?"}:`, error.cause ?? error);
    },
  });

export { handler as GET, handler as POST };
