import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import { Readable } from "node:stream";
import { pipeline } from "node:stream/promises";
import type { ReadableStream as NodeReadableStream } from "node:stream/web";
import type { AddressInfo } from "node:net";
import { createHTTPHandler } from "@trpc/server/adapters/standalone";
import type { Database } from "@/db/client";
import { appRouter } from "@/server/root";
import { closeTaskNotifier } from "@/server/tasks/task-notifier";
import { closeRoundExchange } from "@/server/jobs/round-exchange";
import { stopBackgroundWork } from "@/server/background-work";
import { receiveUpdate, serveWeights } from "@/server/worker/binary-routes";

/** node's request body as a web stream, chunk by chunk as it arrives (Readable.toWeb would copy each chunk). */
function bodyStream(req: IncomingMessage, res: ServerResponse): ReadableStream<Uint8Array> {
  const chunks = req[Symbol.asyncIterator]() as AsyncIterator<Buffer>;
  return new ReadableStream<Uint8Array>({
    async pull(controller) {
      const next = await chunks.next();
      if (next.done) controller.close();
      else controller.enqueue(next.value);
    },
    // A refused upload: the response goes out first, then the connection closes so the rest is never read.
    cancel() {
      res.once("finish", () => req.destroy());
    },
  });
}

/** Bridges node's request to the fetch-style handlers the Next.js routes use. */
async function serveBinary(
  db: Database,
  req: IncomingMessage,
  res: ServerResponse,
  taskId: string,
  route: "weights" | "update",
) {
  const headers = new Headers();
  for (const [key, value] of Object.entries(req.headers)) if (typeof value === "string") headers.set(key, value);
  const request = new Request(`http://hub${req.url}`, {
    method: req.method,
    headers,
    body: req.method === "POST" ? bodyStream(req, res) : undefined,
    duplex: "half",
  } as RequestInit);
  const response =
    route === "weights" ? await serveWeights(db, request, taskId) : await receiveUpdate(db, request, taskId);
  res.writeHead(response.status, Object.fromEntries(response.headers.entries()));
  // Streamed as the portal's route handlers are: a weights file goes out without being copied.
  if (response.body) await pipeline(Readable.fromWeb(response.body as NodeReadableStream<Uint8Array>), res);
  else res.end();
}

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
      // A client that hangs up mid-download ends its own response, nothing else.
      serveBinary(db, req, res, binary[1]!, binary[2] as "weights" | "update").catch(() => res.destroy());
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
      await closeTaskNotifier(db);
      await closeRoundExchange(db);
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
