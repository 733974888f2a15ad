import { z } from "zod";

export const CONCEPT_DOMAINS = ["Condition", "Procedure", "Measurement", "Drug", "Visit"] as const;

export const ZConceptSearchInput = z.object({
  query: z.string().trim().max(100, "Keep the search under 100 characters").default(""),
  domain: z.enum(CONCEPT_DOMAINS).optional(),
  limit: z.number().int().min(1).max(50).default(20),
});
export type TConceptSearchInput = z.infer<typeof ZConceptSearchInput>;
