-- Trigram matching for the concept search (typo correction); a trusted extension, so the database owner may create it.
CREATE EXTENSION IF NOT EXISTS pg_trgm;
--> statement-breakpoint
CREATE SCHEMA "vocab";
--> statement-breakpoint
CREATE TABLE "vocab"."concept_ancestor" (
	"ancestor_concept_id" integer NOT NULL,
	"descendant_concept_id" integer NOT NULL,
	"min_levels_of_separation" integer NOT NULL,
	"max_levels_of_separation" integer NOT NULL,
	CONSTRAINT "concept_ancestor_pk" PRIMARY KEY("ancestor_concept_id","descendant_concept_id")
);
--> statement-breakpoint
CREATE TABLE "vocab"."concept_class" (
	"concept_class_id" varchar(20) PRIMARY KEY NOT NULL,
	"concept_class_name" varchar(255) NOT NULL,
	"concept_class_concept_id" integer NOT NULL
);
--> statement-breakpoint
CREATE TABLE "vocab"."concept_relationship" (
	"concept_id_1" integer NOT NULL,
	"concept_id_2" integer NOT NULL,
	"relationship_id" varchar(20) NOT NULL,
	"valid_start_date" date NOT NULL,
	"valid_end_date" date NOT NULL,
	"invalid_reason" varchar(1),
	CONSTRAINT "concept_relationship_pk" PRIMARY KEY("concept_id_1","concept_id_2","relationship_id")
);
--> statement-breakpoint
CREATE TABLE "vocab"."concept_search" (
	"concept_id" integer NOT NULL,
	"term" text NOT NULL,
	"is_synonym" boolean NOT NULL,
	"domain_id" varchar(20) NOT NULL,
	"vocabulary_id" varchar(20) NOT NULL,
	"standard_concept" varchar(1),
	"invalid_reason" varchar(1),
	"descendant_count" integer NOT NULL,
	"words" "tsvector" NOT NULL
);
--> statement-breakpoint
CREATE TABLE "vocab"."concept_synonym" (
	"concept_id" integer NOT NULL,
	"concept_synonym_name" varchar(1000) NOT NULL,
	"language_concept_id" integer NOT NULL
);
--> statement-breakpoint
CREATE TABLE "vocab"."concept_word" (
	"word" text PRIMARY KEY NOT NULL,
	"names" integer NOT NULL
);
--> statement-breakpoint
CREATE TABLE "vocab"."concept" (
	"concept_id" integer PRIMARY KEY NOT NULL,
	"concept_name" varchar(255) NOT NULL,
	"domain_id" varchar(20) NOT NULL,
	"vocabulary_id" varchar(20) NOT NULL,
	"concept_class_id" varchar(20) NOT NULL,
	"standard_concept" varchar(1),
	"concept_code" varchar(50) NOT NULL,
	"valid_start_date" date NOT NULL,
	"valid_end_date" date NOT NULL,
	"invalid_reason" varchar(1)
);
--> statement-breakpoint
CREATE TABLE "vocab"."domain" (
	"domain_id" varchar(20) PRIMARY KEY NOT NULL,
	"domain_name" varchar(255) NOT NULL,
	"domain_concept_id" integer NOT NULL
);
--> statement-breakpoint
CREATE TABLE "vocab"."relationship" (
	"relationship_id" varchar(20) PRIMARY KEY NOT NULL,
	"relationship_name" varchar(255) NOT NULL,
	"is_hierarchical" varchar(1) NOT NULL,
	"defines_ancestry" varchar(1) NOT NULL,
	"reverse_relationship_id" varchar(20) NOT NULL,
	"relationship_concept_id" integer NOT NULL
);
--> statement-breakpoint
CREATE TABLE "vocab"."vocabulary" (
	"vocabulary_id" varchar(20) PRIMARY KEY NOT NULL,
	"vocabulary_name" varchar(255) NOT NULL,
	"vocabulary_reference" varchar(255),
	"vocabulary_version" varchar(255),
	"vocabulary_concept_id" integer NOT NULL
);
--> statement-breakpoint
CREATE TABLE "vocabulary_loads" (
	"id" uuid PRIMARY KEY DEFAULT gen_random_uuid() NOT NULL,
	"status" text NOT NULL,
	"version" text,
	"source_folder" text NOT NULL,
	"fingerprint" text NOT NULL,
	"progress" jsonb DEFAULT '{}'::jsonb NOT NULL,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	"finished_at" timestamp with time zone
);
--> statement-breakpoint
CREATE INDEX "concept_ancestor_descendant" ON "vocab"."concept_ancestor" USING btree ("descendant_concept_id");--> statement-breakpoint
CREATE INDEX "concept_search_words" ON "vocab"."concept_search" USING gin ("words");--> statement-breakpoint
CREATE INDEX "concept_search_concept" ON "vocab"."concept_search" USING btree ("concept_id");--> statement-breakpoint
CREATE INDEX "concept_synonym_concept" ON "vocab"."concept_synonym" USING btree ("concept_id");--> statement-breakpoint
CREATE INDEX "concept_word_trgm" ON "vocab"."concept_word" USING gin ("word" gin_trgm_ops);--> statement-breakpoint
CREATE INDEX "concept_code_lower" ON "vocab"."concept" USING btree (lower("concept_code") text_pattern_ops);