import { createTRPCRouter, protectedProcedure } from "@/server/trpc";
import { getConcept } from "./concept-hierarchy";
import { searchConcepts } from "./concept-search";
import { ZConceptInput, ZConceptSearchInput } from "./vocabulary.schema";
import { describeVocabulary } from "./vocabulary.service";

export const vocabularyRouter = createTRPCRouter({
  search: protectedProcedure.input(ZConceptSearchInput).query(({ ctx, input }) => searchConcepts(ctx.db, input)),
  concept: protectedProcedure.input(ZConceptInput).query(({ ctx, input }) => getConcept(ctx.db, input)),
  about: protectedProcedure.query(({ ctx }) => describeVocabulary(ctx.db)),
});
