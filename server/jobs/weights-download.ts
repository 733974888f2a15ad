import { eq } from "drizzle-orm";
import type { Database } from "@/db/client";
import { modelVersions } from "@/db/schema";
import { readArtifact } from "@/server/artifacts/artifact-store";
import { AppError } from "@/server/errors";
import { checkLeasedTask, type SiteRef } from "@/server/tasks/tasks.service";
import { TASK_SCHEMAS } from "@/protocol/contract";

/** The weights a site's train or evaluate task works on, for the holder of the task's live lease only. */
export async function weightsForTask(
  db: Database,
  site: SiteRef,
  taskId: string,
  leaseId: string,
): Promise<{ bytes: Uint8Array; sha256: string }> {
  // Reading needs no row lock: the lease is checked, and the version it names never changes.
  const task = await checkLeasedTask(db, site, taskId, leaseId);
  if (task.kind !== "train" && task.kind !== "evaluate")
    throw new AppError("BAD_REQUEST", `A ${task.kind} task has no model weights.`);
  const { model } = TASK_SCHEMAS[task.kind].payload.parse(task.payload);
  const [version] = await db
    .select({ sha256: modelVersions.weightsSha256 })
    .from(modelVersions)
    .where(eq(modelVersions.id, model.versionId));
  if (!version) throw new AppError("NOT_FOUND", "The model version of this task no longer exists.");
  return { bytes: await readArtifact(db, version.sha256), sha256: version.sha256 };
}
