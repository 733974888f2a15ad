ALTER TABLE "round_updates" ADD COLUMN "update_sha256" text;--> statement-breakpoint
ALTER TABLE "round_updates" ADD CONSTRAINT "round_updates_update_sha256_artifacts_sha256_fk" FOREIGN KEY ("update_sha256") REFERENCES "public"."artifacts"("sha256") ON DELETE set null ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "training_rounds" DROP COLUMN "accumulator";--> statement-breakpoint
ALTER TABLE "training_rounds" DROP COLUMN "accumulated_weight";