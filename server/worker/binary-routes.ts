import { z } from "zod";
import type { Database } from "@/db/client";
import { getHubConfig } from "@/server/config";
import { getDb } from "@/server/database/get-db";
import { AppError } from "@/server/errors";
import { errorResponse } from "@/server/http/route-errors";
import { readBody } from "@/server/http/read-body";
import { giveBack, lendBody } from "@/server/jobs/update-bodies";
import { acceptUpdate, prepareUpdate } from "@/server/jobs/update-intake";
import { inUpdateSlot } from "@/server/jobs/update-slots";
import { weightsForTask } from "@/server/jobs/weights-download";
import { observeRoute } from "@/server/observability/routes";
import {
  LEASE_HEADER,
  MASKED_UPDATE_HEADER,
  OCTET_STREAM,
  SHA256_HEADER,
  TRAIN_RESULT_HEADER,
} from "@/protocol/training";
import { authenticateWorker } from "./worker-auth";

const ZLeaseRef = z.object({ taskId: z.uuid(), leaseId: z.uuid() });

/** The task id from the path and the lease from its header; anything malformed is refused before a query runs. */
function leaseOf(request: Request, taskId: string) {
  const parsed = ZLeaseRef.safeParse({ taskId, leaseId: request.headers.get(LEASE_HEADER) });
  if (!parsed.success)
    throw new AppError(
      "BAD_REQUEST",
      `Send the task id in the path and your lease id in the ${LEASE_HEADER} header, both as UUIDs.`,
    );
  return parsed.data;
}

/**
 * The two binary worker calls (protocol/training.ts), as plain Request -> Response
 * functions so the Next.js route handlers and the test hub serve exactly the same code.
 */
export async function serveWeights(db: Database, request: Request, taskId: string): Promise<Response> {
  try {
    const site = await authenticateWorker(db, request.headers);
    const lease = leaseOf(request, taskId);
    const { bytes, sha256 } = await weightsForTask(db, site, lease.taskId, lease.leaseId);
    // As a stream of the one chunk: a Response built from the bytes themselves would copy them, per site.
    const body = new ReadableStream<Uint8Array>({
      start(controller) {
        controller.enqueue(bytes);
        controller.close();
      },
    });
    return new Response(body, {
      headers: {
        "content-type": OCTET_STREAM,
        "content-length": String(bytes.byteLength),
        [SHA256_HEADER]: sha256,
        "cache-control": "no-store",
      },
    });
  } catch (error) {
    return errorResponse(error, "worker weights");
  }
}

export async function receiveUpdate(db: Database, request: Request, taskId: string): Promise<Response> {
  try {
    const site = await authenticateWorker(db, request.headers);
    const lease = leaseOf(request, taskId);
    // Task, lease and expected size are checked before the body is read, then the body is read up to that size only.
    const { limit, reason, target } = await prepareUpdate(db, site, lease);
    const resultHeader = request.headers.get(TRAIN_RESULT_HEADER);
    const isMasked = request.headers.get(MASKED_UPDATE_HEADER) === "1";
    // Read, checked, committed and folded in one of this process's update slots: other sites wait, bodies unread.
    const receipt = await inUpdateSlot(async () => {
      const body = await readBody(request, Math.min(limit, getHubConfig().FLIP_MAX_UPDATE_BYTES), reason, lendBody);
      // Given back for the next update's body as soon as it is folded or refused (update-bodies.ts).
      const release = () => giveBack(body);
      return acceptUpdate(db, site, { ...lease, body, resultHeader, isMasked, release }, target);
    });
    return Response.json(receipt);
  } catch (error) {
    return errorResponse(error, "worker update");
  }
}

/** A site downloads the global model of its leased train/evaluate task as a FLIP tensor file. */
export const weightsRoute = observeRoute(
  "/api/worker/tasks/[taskId]/weights",
  async (request: Request, taskId: string) => serveWeights(await getDb(), request, taskId),
);

/** A site uploads its model update (a FLIP tensor file) with its train result; this completes the train task. */
export const updateRoute = observeRoute("/api/worker/tasks/[taskId]/update", async (request: Request, taskId: string) =>
  receiveUpdate(await getDb(), request, taskId),
);
