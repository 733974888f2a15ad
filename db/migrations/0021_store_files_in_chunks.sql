-- Model files and a round's partial sums are stored in rows of at most a mebibyte rather than as one
-- bytea (server/database/chunked-bytes.ts): PostgreSQL receives, stores and sends a value in
-- contiguous memory of its own, several copies of it, so a 40 MB file took three times as long
-- to store in one piece as in forty. Stored out of line without a compression attempt, as before
-- (0018). The files and partial sums already stored move into the new tables.
--
-- A round's partial sums are UNLOGGED: they live only until their round closes, and the portal
-- process that wrote one still holds it in memory. After a crash or a failover PostgreSQL empties
-- them, and the closing process asks the holder for its part again (round-sums.ts), as it does for a
-- part not yet written. Skipping the write-ahead log takes a third off writing 8 MB here.
CREATE TABLE "artifact_chunks" (
	"sha256" text NOT NULL,
	"seq" integer NOT NULL,
	"bytes" "bytea" NOT NULL,
	CONSTRAINT "artifact_chunks_sha256_seq_pk" PRIMARY KEY("sha256","seq")
);
--> statement-breakpoint
CREATE TABLE "round_partial_chunks" (
	"round_id" uuid NOT NULL,
	"holder" text NOT NULL,
	"seq" integer NOT NULL,
	"bytes" "bytea" NOT NULL,
	CONSTRAINT "round_partial_chunks_round_id_holder_seq_pk" PRIMARY KEY("round_id","holder","seq")
);
--> statement-breakpoint
ALTER TABLE "artifact_chunks" ADD CONSTRAINT "artifact_chunks_sha256_artifacts_sha256_fk" FOREIGN KEY ("sha256") REFERENCES "public"."artifacts"("sha256") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "round_partial_chunks" ADD CONSTRAINT "round_partial_chunks_partial_fk" FOREIGN KEY ("round_id","holder") REFERENCES "public"."round_partials"("round_id","holder") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "artifact_chunks" ALTER COLUMN "bytes" SET STORAGE EXTERNAL;--> statement-breakpoint
ALTER TABLE "round_partial_chunks" ALTER COLUMN "bytes" SET STORAGE EXTERNAL;--> statement-breakpoint
INSERT INTO "artifact_chunks" ("sha256", "seq", "bytes")
  SELECT "sha256", "seq", substring("bytes" FROM "seq" * 1048576 + 1 FOR 1048576)
  FROM "artifacts", generate_series(0, (length("bytes") - 1) / 1048576) AS "seq"
  WHERE "bytes" IS NOT NULL AND length("bytes") > 0;--> statement-breakpoint
INSERT INTO "round_partial_chunks" ("round_id", "holder", "seq", "bytes")
  SELECT "round_id", "holder", "seq", substring("sums" FROM "seq" * 1048576 + 1 FOR 1048576)
  FROM "round_partials", generate_series(0, (length("sums") - 1) / 1048576) AS "seq"
  WHERE length("sums") > 0;--> statement-breakpoint
ALTER TABLE "round_partial_chunks" SET UNLOGGED;--> statement-breakpoint
ALTER TABLE "round_partials" SET UNLOGGED;--> statement-breakpoint
ALTER TABLE "artifacts" DROP COLUMN "bytes";--> statement-breakpoint
ALTER TABLE "round_partials" DROP COLUMN "sums";