import { createTRPCRouter, protectedProcedure } from "@/server/trpc";
import { ZConceptSearchInput } from "./vocabulary.schema";
import { searchConcepts } from "./vocabulary.service";

export const vocabularyRouter = createTRPCRouter({
  search: protectedProcedure.input(ZConceptSearchInput).query(({ input }) => searchConcepts(input)),
});
