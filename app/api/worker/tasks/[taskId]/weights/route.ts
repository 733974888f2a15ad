import { getDb } from "@/server/database/get-db";
import { serveWeights } from "@/server/worker/binary-routes";

/** A site downloads the global model of its leased train/evaluate task as a FLIP tensor file. */
export async function GET(request: Request, { params }: { params: Promise<{ taskId: string }> }) {
  return serveWeights(await getDb(), request, (await params).taskId);
}
