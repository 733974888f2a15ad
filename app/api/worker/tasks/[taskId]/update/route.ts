import { getDb } from "@/server/database/get-db";
import { receiveUpdate } from "@/server/worker/binary-routes";

/** A site uploads its model update (a FLIP tensor file) with its train result; this completes the train task. */
export async function POST(request: Request, { params }: { params: Promise<{ taskId: string }> }) {
  return receiveUpdate(await getDb(), request, (await params).taskId);
}
