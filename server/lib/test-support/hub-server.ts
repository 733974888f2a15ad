import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { createHTTPHandler } from "@trpc/server/adapters/standalone";
import type { Database } from "@/db/client";
import { appRouter } from "@/server/root";
import { closeChangeFeed } from "@/server/database/change-feed";
import { closeRoundExchange } from "@/server/jobs/round-exchange";
import { stopBackgroundWork } from "@/server/background-work";
import { respond } from "@/server/http/node-bridge";
import { receiveUpdate, serveWeights } from "@/server/worker/binary-routes";

/**
 * The hub's tRPC router served over real HTTP on a loopback port, for tests and benchmarks that
 * run real worker processes without a Next.js build. Same router and worker authentication as
 * the portal; there are no browser sessions here.
 */
export async function startHubServer(db: Database, port = 0): Promise<{ url: string; close: () => Promise<void> }> {
  const handler = createHTTPHandler({
    router: appRouter,
    basePath: "/api/trpc/",
    createContext: ({ req }) => {
      const headers = new Headers();
      for (const [key, value] of Object.entries(req.headers)) if (typeof value === "string") headers.set(key, value);
      return { db, viewer: null, ip: req.socket.remoteAddress ?? "unknown", headers };
    },
  });
  const server: Server = createServer((req, res) => {
    const binary = /^\/api\/worker\/tasks\/([^/]+)\/(weights|update)$/.exec(req.url ?? "");
    if (binary) {
      // As the portal server sends them (server/http/api-fast-path.ts), with this hub's database.
      const taskId = binary[1]!;
      void respond(req, res, (request) =>
        binary[2] === "weights" ? serveWeights(db, request, taskId) : receiveUpdate(db, request, taskId),
      );
      return;
    }
    if (!req.url?.startsWith("/api/trpc/")) {
      res.statusCode = 404;
      res.end();
      return;
    }
    void handler(req, res);
  });
  // Well past a client's own keep-alive (the round-robin proxy's agent): a loaded server closing an
  // idle socket just as a client reuses it resets that request.
  server.keepAliveTimeout = 60_000;
  await new Promise<void>((resolve) => server.listen(port, "127.0.0.1", resolve));
  const { port: actual } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${actual}`,
    close: async () => {
      stopBackgroundWork(db);
      await closeChangeFeed(db);
      await closeRoundExchange(db);
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
