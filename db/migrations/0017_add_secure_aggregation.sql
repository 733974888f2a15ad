CREATE TABLE "secagg_rounds" (
	"round_id" uuid PRIMARY KEY NOT NULL,
	"params" jsonb NOT NULL,
	"weight_divisor" integer NOT NULL,
	"roster" jsonb,
	"shared_keys" jsonb,
	"survivors" jsonb,
	"dropped" jsonb,
	"unmask_deadline_at" timestamp with time zone
);
--> statement-breakpoint
CREATE TABLE "secagg_sites" (
	"round_id" uuid NOT NULL,
	"site_id" uuid NOT NULL,
	"task_id" uuid NOT NULL,
	"encryption_key" "bytea" NOT NULL,
	"masking_key" "bytea" NOT NULL,
	"shares" jsonb,
	"unmask" jsonb,
	"advertised_at" timestamp with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "secagg_sites_round_id_site_id_pk" PRIMARY KEY("round_id","site_id")
);
--> statement-breakpoint
ALTER TABLE "round_updates" ALTER COLUMN "update_norm" DROP NOT NULL;--> statement-breakpoint
ALTER TABLE "secagg_rounds" ADD CONSTRAINT "secagg_rounds_round_id_training_rounds_id_fk" FOREIGN KEY ("round_id") REFERENCES "public"."training_rounds"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "secagg_sites" ADD CONSTRAINT "secagg_sites_round_id_secagg_rounds_round_id_fk" FOREIGN KEY ("round_id") REFERENCES "public"."secagg_rounds"("round_id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "secagg_sites" ADD CONSTRAINT "secagg_sites_site_id_sites_id_fk" FOREIGN KEY ("site_id") REFERENCES "public"."sites"("id") ON DELETE restrict ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "secagg_sites" ADD CONSTRAINT "secagg_sites_task_id_site_tasks_id_fk" FOREIGN KEY ("task_id") REFERENCES "public"."site_tasks"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
CREATE INDEX "secagg_sites_task_idx" ON "secagg_sites" USING btree ("task_id");