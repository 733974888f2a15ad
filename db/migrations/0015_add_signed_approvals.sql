ALTER TABLE "site_approvals" ADD COLUMN "signature" jsonb;--> statement-breakpoint
ALTER TABLE "site_tasks" ADD COLUMN "revision_id" uuid;--> statement-breakpoint
ALTER TABLE "site_tasks" ADD CONSTRAINT "site_tasks_revision_id_project_revisions_id_fk" FOREIGN KEY ("revision_id") REFERENCES "public"."project_revisions"("id") ON DELETE set null ON UPDATE no action;