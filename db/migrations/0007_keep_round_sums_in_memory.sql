CREATE TABLE "round_partials" (
	"round_id" uuid NOT NULL,
	"holder" text NOT NULL,
	"contributors" jsonb NOT NULL,
	"total_weight" double precision NOT NULL,
	"sums" "bytea" NOT NULL,
	"published_at" timestamp with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "round_partials_round_id_holder_pk" PRIMARY KEY("round_id","holder")
);
--> statement-breakpoint
ALTER TABLE "round_updates" ADD COLUMN "holder" text;--> statement-breakpoint
ALTER TABLE "round_partials" ADD CONSTRAINT "round_partials_round_id_training_rounds_id_fk" FOREIGN KEY ("round_id") REFERENCES "public"."training_rounds"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
-- Float sums do not compress: store them out of line without trying.
ALTER TABLE "round_partials" ALTER COLUMN "sums" SET STORAGE EXTERNAL;
