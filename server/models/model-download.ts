import { and, eq } from "drizzle-orm";
import type { Database } from "@/db/client";
import { projectMembers } from "@/db/schema";
import { recordAudit } from "@/server/audit/audit.service";
import { projectAccessRefusal, type Viewer } from "@/server/auth/permissions";
import { AppError } from "@/server/errors";
import { getArtifactStore } from "@/server/artifacts/artifact-store";
import { MIN_SITES_PER_ROUND } from "@/server/jobs/quorum.schema";
import { decodeTensors } from "@/protocol/tensor-codec";
import { topologyOf } from "@/protocol/models/weights";
import { getModelCard } from "./model-card";
import { getModelVersion } from "./models.service";
import { buildTfjsZip } from "./tfjs-files";

/**
 * A version as TF.js files (model.json + weights.bin, with the model card), for a project member
 * whose role allows downloads. Every download is audited: model weights leaving the hub are
 * egress, even though they hold no patient rows.
 */
export async function downloadModelVersion(
  db: Database,
  viewer: Viewer,
  { projectId, versionId }: { projectId: string; versionId: string },
): Promise<{ fileName: string; bytes: Uint8Array }> {
  const [membership] = await db
    .select({ role: projectMembers.role })
    .from(projectMembers)
    .where(and(eq(projectMembers.projectId, projectId), eq(projectMembers.userId, viewer.id)));
  if (!membership) throw new AppError("NOT_FOUND", "No project with that id, or you are not a member of it.");
  const refusal = projectAccessRefusal(viewer, membership.role, "model:download", "downloading models");
  if (refusal) throw new AppError("FORBIDDEN", refusal);
  if (viewer.mustChangePassword) throw new AppError("FORBIDDEN", "Set a new password before continuing.");
  const { version, model } = await getModelVersion(db, { projectId, versionId });
  // Rounds refuse to aggregate fewer sites (server/jobs/quorum.schema.ts); this guards versions written before they did.
  const lineage = version.lineage as unknown as { kind: string; sites?: unknown[] };
  if (lineage.kind === "training" && (lineage.sites?.length ?? 0) < MIN_SITES_PER_ROUND)
    throw new AppError(
      "PRECONDITION_FAILED",
      `v${version.number} was aggregated from one site's update, so its weights would show that update; it cannot be downloaded. Train with at least ${MIN_SITES_PER_ROUND} sites per round.`,
    );
  const { tensors } = decodeTensors(await getArtifactStore().get(db, version.weightsSha256));
  const card = await getModelCard(db, { projectId, modelId: model.id, versionId: version.id });
  const bytes = buildTfjsZip(topologyOf(model.architecture), tensors, { "model-card.md": card.markdown });
  await db.transaction((tx) =>
    recordAudit(tx, {
      actor: viewer,
      action: "model.downloaded",
      subject: `model:${model.id}`,
      details: { version: version.number, weights: version.weightsSha256, bytes: bytes.byteLength },
    }),
  );
  const slug =
    model.name
      .toLowerCase()
      .replace(/[^a-z0-9]+/g, "-")
      .replace(/^-|-$/g, "") || "model";
  return { fileName: `${slug}-v${version.number}.zip`, bytes };
}
