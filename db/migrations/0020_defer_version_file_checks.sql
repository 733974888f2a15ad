-- A round's close writes its new version's model files on a connection of their own while its
-- transaction goes on (insertVersionWritingAside, server/models/model-versions.ts): the version row
-- names files another transaction commits, so its references to them are checked when its own
-- transaction commits. Every other writer stores the files first, in the same transaction, as before.
ALTER TABLE "model_versions" ALTER CONSTRAINT "model_versions_weights_sha256_artifacts_sha256_fk" DEFERRABLE INITIALLY DEFERRED;--> statement-breakpoint
ALTER TABLE "model_versions" ALTER CONSTRAINT "model_versions_optimizer_state_sha256_artifacts_sha256_fk" DEFERRABLE INITIALLY DEFERRED;
