CREATE TABLE "approver_keys" (
	"id" uuid PRIMARY KEY DEFAULT gen_random_uuid() NOT NULL,
	"user_id" uuid NOT NULL,
	"credential_id" text NOT NULL,
	"public_key" text NOT NULL,
	"fingerprint" text NOT NULL,
	"algorithm" text NOT NULL,
	"label" text NOT NULL,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "approver_keys_credential_id_unique" UNIQUE("credential_id")
);
--> statement-breakpoint
ALTER TABLE "site_approvals" ADD COLUMN "signature" jsonb;--> statement-breakpoint
ALTER TABLE "site_tasks" ADD COLUMN "revision_id" uuid;--> statement-breakpoint
ALTER TABLE "approver_keys" ADD CONSTRAINT "approver_keys_user_id_users_id_fk" FOREIGN KEY ("user_id") REFERENCES "public"."users"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
CREATE INDEX "approver_keys_user_idx" ON "approver_keys" USING btree ("user_id");--> statement-breakpoint
ALTER TABLE "site_tasks" ADD CONSTRAINT "site_tasks_revision_id_project_revisions_id_fk" FOREIGN KEY ("revision_id") REFERENCES "public"."project_revisions"("id") ON DELETE set null ON UPDATE no action;