import { getDb } from "@/server/database/get-db";
import { observeRoute } from "@/server/observability/routes";
import { serveWeights } from "@/server/worker/binary-routes";

/** A site downloads the global model of its leased train/evaluate task as a FLIP tensor file. */
export const GET = observeRoute(
  "/api/worker/tasks/[taskId]/weights",
  async (request: Request, { params }: { params: Promise<{ taskId: string }> }) =>
    serveWeights(await getDb(), request, (await params).taskId),
);
