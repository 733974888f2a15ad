import { getHubConfig } from "@/server/config";
import { AppError } from "@/server/errors";
import { MAX_MODEL_UPLOAD_REQUEST_BYTES } from "@/server/models/models.schema";
import { readBody } from "./read-body";
import { requestWithSignal } from "./request-signal";

// The only calls that carry files (a model's weights, base64); every other call is a small JSON object.
const UPLOAD_PROCEDURES = new Set(["models.register", "models.importVersion"]);

/** The body limit for a tRPC request, from the procedures its path names (`/api/trpc/a.b,c.d` for a batch). */
function limitFor(url: string): { limit: number; reason: string } {
  const procedures = decodeURIComponent(new URL(url).pathname.split("/").at(-1) ?? "").split(",");
  if (procedures.some((p) => UPLOAD_PROCEDURES.has(p)))
    return { limit: MAX_MODEL_UPLOAD_REQUEST_BYTES, reason: "a model upload: its weight files and model.json" };
  return { limit: getHubConfig().FLIP_MAX_TRPC_BODY_BYTES, reason: "FLIP_MAX_TRPC_BODY_BYTES" };
}

/**
 * A tRPC request with its body read up to the limit for what it calls, or a 413 that says so.
 * tRPC itself reads a body whole, however large; this reads it as a stream and stops at the limit.
 */
export async function limitTrpcBody(request: Request): Promise<Request | Response> {
  if (request.method !== "POST" || !request.body) return request;
  const { limit, reason } = limitFor(request.url);
  try {
    const body = await readBody(request, limit, reason);
    // The body now in memory, the same request otherwise: its signal still says when the client goes away.
    return requestWithSignal(
      request.url,
      { method: "POST", headers: request.headers, body: body as Uint8Array<ArrayBuffer> },
      request.signal,
    );
  } catch (error) {
    if (!(error instanceof AppError)) throw error;
    return Response.json({ error: { code: "PAYLOAD_TOO_LARGE", message: error.message } }, { status: 413 });
  }
}
