import { getDb } from "@/server/database/get-db";
import { getViewer } from "@/server/auth/session";
import { AppError } from "@/server/errors";
import { errorResponse } from "@/server/http/route-errors";
import { downloadModelVersion } from "@/server/models/model-download";
import { observeRoute } from "@/server/observability/routes";

/** A model version as a zip of TF.js files (model.json, weights.bin, model-card.md); audited. */
export const GET = observeRoute("/api/projects/[projectId]/model-versions/[versionId]/download", download);

async function download(_request: Request, { params }: { params: Promise<{ projectId: string; versionId: string }> }) {
  try {
    const viewer = await getViewer();
    if (!viewer) throw new AppError("UNAUTHORIZED", "Sign in to continue.");
    const { projectId, versionId } = await params;
    const uuid = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
    if (!uuid.test(projectId) || !uuid.test(versionId))
      throw new AppError("NOT_FOUND", "No model version with that id in this project.");
    const { fileName, bytes } = await downloadModelVersion(await getDb(), viewer, { projectId, versionId });
    return new Response(new Blob([bytes as Uint8Array<ArrayBuffer>]), {
      headers: {
        "content-type": "application/zip",
        "content-disposition": `attachment; filename="${fileName}"`,
        "content-length": String(bytes.byteLength),
        "cache-control": "no-store",
      },
    });
  } catch (error) {
    return errorResponse(error, "model download");
  }
}
