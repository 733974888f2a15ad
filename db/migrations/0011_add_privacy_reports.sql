CREATE TABLE "privacy_reports" (
	"id" uuid PRIMARY KEY DEFAULT gen_random_uuid() NOT NULL,
	"project_id" uuid NOT NULL,
	"job_id" uuid NOT NULL,
	"round" integer NOT NULL,
	"site_id" uuid NOT NULL,
	"epsilon_spent" double precision NOT NULL,
	"delta" double precision NOT NULL,
	"max_epsilon" double precision NOT NULL,
	"noise_multiplier" double precision NOT NULL,
	"clip_norm" double precision NOT NULL,
	"example_level" boolean NOT NULL,
	"secure_aggregation" boolean NOT NULL,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "privacy_reports_job_id_round_site_id_unique" UNIQUE("job_id","round","site_id")
);
--> statement-breakpoint
ALTER TABLE "privacy_reports" ADD CONSTRAINT "privacy_reports_project_id_projects_id_fk" FOREIGN KEY ("project_id") REFERENCES "public"."projects"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "privacy_reports" ADD CONSTRAINT "privacy_reports_job_id_jobs_id_fk" FOREIGN KEY ("job_id") REFERENCES "public"."jobs"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "privacy_reports" ADD CONSTRAINT "privacy_reports_site_id_sites_id_fk" FOREIGN KEY ("site_id") REFERENCES "public"."sites"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
CREATE INDEX "privacy_reports_project_id_site_id_index" ON "privacy_reports" USING btree ("project_id","site_id");