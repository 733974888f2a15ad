CREATE TYPE "public"."task_status" AS ENUM('queued', 'leased', 'done', 'failed', 'expired', 'cancelled');--> statement-breakpoint
CREATE TABLE "site_health" (
	"site_id" uuid PRIMARY KEY NOT NULL,
	"first_seen_at" timestamp with time zone DEFAULT now() NOT NULL,
	"last_seen_at" timestamp with time zone DEFAULT now() NOT NULL,
	"worker_version" text,
	"protocol_version" integer,
	"protocol_error" text,
	"capabilities" jsonb,
	"self_checks" jsonb DEFAULT '[]'::jsonb NOT NULL,
	"tasks_in_flight" integer DEFAULT 0 NOT NULL,
	"cpu_percent" real,
	"memory_percent" real
);
--> statement-breakpoint
CREATE TABLE "site_heartbeats" (
	"id" bigserial PRIMARY KEY NOT NULL,
	"site_id" uuid NOT NULL,
	"at" timestamp with time zone DEFAULT now() NOT NULL,
	"cpu_percent" real NOT NULL,
	"memory_percent" real NOT NULL
);
--> statement-breakpoint
CREATE TABLE "site_tokens" (
	"id" uuid PRIMARY KEY DEFAULT gen_random_uuid() NOT NULL,
	"site_id" uuid NOT NULL,
	"token_hash" text NOT NULL,
	"token_prefix" text NOT NULL,
	"created_by" uuid,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	"expires_at" timestamp with time zone,
	"revoked_at" timestamp with time zone,
	"last_used_at" timestamp with time zone
);
--> statement-breakpoint
CREATE TABLE "site_tasks" (
	"id" uuid PRIMARY KEY DEFAULT gen_random_uuid() NOT NULL,
	"site_id" uuid NOT NULL,
	"kind" text NOT NULL,
	"payload" jsonb NOT NULL,
	"status" "task_status" DEFAULT 'queued' NOT NULL,
	"attempt" integer DEFAULT 0 NOT NULL,
	"max_attempts" integer DEFAULT 3 NOT NULL,
	"lease_ms" integer DEFAULT 60000 NOT NULL,
	"lease_id" uuid,
	"leased_at" timestamp with time zone,
	"lease_expires_at" timestamp with time zone,
	"deadline_at" timestamp with time zone,
	"progress" integer DEFAULT 0 NOT NULL,
	"progress_message" text,
	"result" jsonb,
	"failure_code" text,
	"failure_message" text,
	"requested_by" uuid,
	"finished_at" timestamp with time zone,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	"updated_at" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
ALTER TABLE "site_health" ADD CONSTRAINT "site_health_site_id_sites_id_fk" FOREIGN KEY ("site_id") REFERENCES "public"."sites"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "site_heartbeats" ADD CONSTRAINT "site_heartbeats_site_id_sites_id_fk" FOREIGN KEY ("site_id") REFERENCES "public"."sites"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "site_tokens" ADD CONSTRAINT "site_tokens_site_id_sites_id_fk" FOREIGN KEY ("site_id") REFERENCES "public"."sites"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "site_tokens" ADD CONSTRAINT "site_tokens_created_by_users_id_fk" FOREIGN KEY ("created_by") REFERENCES "public"."users"("id") ON DELETE set null ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "site_tasks" ADD CONSTRAINT "site_tasks_site_id_sites_id_fk" FOREIGN KEY ("site_id") REFERENCES "public"."sites"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "site_tasks" ADD CONSTRAINT "site_tasks_requested_by_users_id_fk" FOREIGN KEY ("requested_by") REFERENCES "public"."users"("id") ON DELETE set null ON UPDATE no action;--> statement-breakpoint
CREATE INDEX "site_heartbeats_site_at_idx" ON "site_heartbeats" USING btree ("site_id","at");--> statement-breakpoint
CREATE UNIQUE INDEX "site_tokens_hash_key" ON "site_tokens" USING btree ("token_hash");--> statement-breakpoint
CREATE INDEX "site_tokens_site_idx" ON "site_tokens" USING btree ("site_id");--> statement-breakpoint
CREATE INDEX "site_tasks_claim_idx" ON "site_tasks" USING btree ("site_id","status","created_at");--> statement-breakpoint
CREATE INDEX "site_tasks_lease_expiry_idx" ON "site_tasks" USING btree ("status","lease_expires_at");