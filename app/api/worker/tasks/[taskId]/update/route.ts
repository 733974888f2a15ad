import { getDb } from "@/server/database/get-db";
import { observeRoute } from "@/server/observability/routes";
import { receiveUpdate } from "@/server/worker/binary-routes";

/** A site uploads its model update (a FLIP tensor file) with its train result; this completes the train task. */
export const POST = observeRoute(
  "/api/worker/tasks/[taskId]/update",
  async (request: Request, { params }: { params: Promise<{ taskId: string }> }) =>
    receiveUpdate(await getDb(), request, (await params).taskId),
);
