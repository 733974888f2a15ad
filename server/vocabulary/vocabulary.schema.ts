import { z } from "zod";

/** OMOP's `standard_concept`: S, C, or empty for source codes that map to a standard concept. */
export const STANDARD_KINDS = ["standard", "classification", "non-standard"] as const;
export const VALIDITIES = ["valid", "invalid", "any"] as const;

const ZVocabularyId = z.string().trim().min(1).max(20, "A vocabulary or domain id has at most 20 characters");

export const ZConceptSearchInput = z.object({
  query: z.string().trim().max(100, "Keep the search under 100 characters").default(""),
  domain: ZVocabularyId.optional(),
  vocabularies: z.array(ZVocabularyId).max(20).optional(),
  /** Omitted or empty: every kind. */
  standard: z.array(z.enum(STANDARD_KINDS)).max(3).optional(),
  validity: z.enum(VALIDITIES).default("valid"),
  limit: z.number().int().min(1).max(50).default(20),
});
export type TConceptSearchInput = z.infer<typeof ZConceptSearchInput>;

export const ZConceptInput = z.object({
  conceptId: z.number().int().positive(),
  /** How many descendants to list (the total is always given). */
  descendantLimit: z.number().int().min(0).max(200).default(50),
});
export type TConceptInput = z.infer<typeof ZConceptInput>;
