import { sql } from "drizzle-orm";
import {
  boolean,
  customType,
  date,
  index,
  integer,
  jsonb,
  pgSchema,
  pgTable,
  primaryKey,
  text,
  timestamp,
  varchar,
} from "drizzle-orm/pg-core";
import { createdAt, id } from "./columns";

/**
 * The OHDSI Standardized Vocabularies at the hub, as Athena distributes them (OMOP CDM 5.4 vocabulary
 * tables), in their own PostgreSQL schema `vocab`. `npm run vocab:load` fills a staging copy of this
 * schema and swaps it in whole, so the tables here are always one complete release.
 */
export const vocab = pgSchema("vocab");

const tsvector = customType<{ data: string }>({ dataType: () => "tsvector" });

export const vocabConcepts = vocab.table(
  "concept",
  {
    conceptId: integer("concept_id").primaryKey(),
    conceptName: varchar("concept_name", { length: 255 }).notNull(),
    domainId: varchar("domain_id", { length: 20 }).notNull(),
    vocabularyId: varchar("vocabulary_id", { length: 20 }).notNull(),
    conceptClassId: varchar("concept_class_id", { length: 20 }).notNull(),
    standardConcept: varchar("standard_concept", { length: 1 }),
    conceptCode: varchar("concept_code", { length: 50 }).notNull(),
    validStartDate: date("valid_start_date").notNull(),
    validEndDate: date("valid_end_date").notNull(),
    invalidReason: varchar("invalid_reason", { length: 1 }),
  },
  (t) => [index("concept_code_lower").on(sql`lower(${t.conceptCode}) text_pattern_ops`)],
);

export const vocabConceptRelationships = vocab.table(
  "concept_relationship",
  {
    conceptId1: integer("concept_id_1").notNull(),
    conceptId2: integer("concept_id_2").notNull(),
    relationshipId: varchar("relationship_id", { length: 20 }).notNull(),
    validStartDate: date("valid_start_date").notNull(),
    validEndDate: date("valid_end_date").notNull(),
    invalidReason: varchar("invalid_reason", { length: 1 }),
  },
  (t) => [primaryKey({ name: "concept_relationship_pk", columns: [t.conceptId1, t.conceptId2, t.relationshipId] })],
);

export const vocabConceptAncestors = vocab.table(
  "concept_ancestor",
  {
    ancestorConceptId: integer("ancestor_concept_id").notNull(),
    descendantConceptId: integer("descendant_concept_id").notNull(),
    minLevelsOfSeparation: integer("min_levels_of_separation").notNull(),
    maxLevelsOfSeparation: integer("max_levels_of_separation").notNull(),
  },
  (t) => [
    primaryKey({ name: "concept_ancestor_pk", columns: [t.ancestorConceptId, t.descendantConceptId] }),
    index("concept_ancestor_descendant").on(t.descendantConceptId),
  ],
);

export const vocabConceptSynonyms = vocab.table(
  "concept_synonym",
  {
    conceptId: integer("concept_id").notNull(),
    conceptSynonymName: varchar("concept_synonym_name", { length: 1000 }).notNull(),
    languageConceptId: integer("language_concept_id").notNull(),
  },
  (t) => [index("concept_synonym_concept").on(t.conceptId)],
);

export const vocabVocabularies = vocab.table("vocabulary", {
  vocabularyId: varchar("vocabulary_id", { length: 20 }).primaryKey(),
  vocabularyName: varchar("vocabulary_name", { length: 255 }).notNull(),
  vocabularyReference: varchar("vocabulary_reference", { length: 255 }),
  vocabularyVersion: varchar("vocabulary_version", { length: 255 }),
  vocabularyConceptId: integer("vocabulary_concept_id").notNull(),
});

export const vocabDomains = vocab.table("domain", {
  domainId: varchar("domain_id", { length: 20 }).primaryKey(),
  domainName: varchar("domain_name", { length: 255 }).notNull(),
  domainConceptId: integer("domain_concept_id").notNull(),
});

export const vocabConceptClasses = vocab.table("concept_class", {
  conceptClassId: varchar("concept_class_id", { length: 20 }).primaryKey(),
  conceptClassName: varchar("concept_class_name", { length: 255 }).notNull(),
  conceptClassConceptId: integer("concept_class_concept_id").notNull(),
});

export const vocabRelationships = vocab.table("relationship", {
  relationshipId: varchar("relationship_id", { length: 20 }).primaryKey(),
  relationshipName: varchar("relationship_name", { length: 255 }).notNull(),
  isHierarchical: varchar("is_hierarchical", { length: 1 }).notNull(),
  definesAncestry: varchar("defines_ancestry", { length: 1 }).notNull(),
  reverseRelationshipId: varchar("reverse_relationship_id", { length: 20 }).notNull(),
  relationshipConceptId: integer("relationship_concept_id").notNull(),
});

/**
 * Derived at load time, never from a file: one row per concept name and per distinct synonym, with the
 * concept's filters and descendant count beside it, written shortest standard names first so that a
 * search that stops after its first few hundred matches keeps the likeliest ones.
 */
export const vocabConceptSearch = vocab.table(
  "concept_search",
  {
    conceptId: integer("concept_id").notNull(),
    term: text("term").notNull(),
    isSynonym: boolean("is_synonym").notNull(),
    domainId: varchar("domain_id", { length: 20 }).notNull(),
    vocabularyId: varchar("vocabulary_id", { length: 20 }).notNull(),
    standardConcept: varchar("standard_concept", { length: 1 }),
    invalidReason: varchar("invalid_reason", { length: 1 }),
    descendantCount: integer("descendant_count").notNull(),
    words: tsvector("words").notNull(),
  },
  (t) => [index("concept_search_words").using("gin", t.words), index("concept_search_concept").on(t.conceptId)],
);

/**
 * Derived at load time: every distinct word of the search table and in how many names it occurs, with
 * a trigram index, so a misspelt word is corrected against a few hundred thousand words rather than
 * matched against millions of names.
 */
export const vocabConceptWords = vocab.table(
  "concept_word",
  {
    word: text("word").primaryKey(),
    names: integer("names").notNull(),
  },
  (t) => [index("concept_word_trgm").using("gin", sql`${t.word} gin_trgm_ops`)],
);

/** One row per `vocab:load` run: what was loaded, from where, how far it got (for resuming). */
export const vocabularyLoads = pgTable("vocabulary_loads", {
  id: id(),
  status: text("status", { enum: ["loading", "live", "retired", "abandoned"] }).notNull(),
  /** `vocabulary_version` of VOCABULARY.csv's "None" row, e.g. "v5.0 30-AUG-24". */
  version: text("version"),
  sourceFolder: text("source_folder").notNull(),
  /** SHA-256 over each file's name, size and modification time: the same download resumes. */
  fingerprint: text("fingerprint").notNull(),
  /** Per file: rows committed to staging so far and whether it is complete. */
  progress: jsonb("progress").$type<Record<string, { rows: number; done: boolean }>>().notNull().default({}),
  startedAt: createdAt(),
  finishedAt: timestamp("finished_at", { withTimezone: true, mode: "date" }),
});
