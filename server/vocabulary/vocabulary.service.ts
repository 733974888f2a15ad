import { desc, eq, sql } from "drizzle-orm";
import type { DbOrTx } from "@/db/client";
import { vocabularyLoads } from "@/db/schema";

/**
 * What the hub's vocabulary holds, for the search filters and the "vocabulary version" note: the live
 * release and the vocabularies and domains in it. An Athena download lists them in VOCABULARY.csv and
 * DOMAIN.csv; a small subset that leaves those empty falls back to the concepts' own columns.
 */
export async function describeVocabulary(db: DbOrTx) {
  const [release] = await db
    .select({ version: vocabularyLoads.version, loadedAt: vocabularyLoads.finishedAt })
    .from(vocabularyLoads)
    .where(eq(vocabularyLoads.status, "live"))
    .orderBy(desc(vocabularyLoads.finishedAt))
    .limit(1);
  const { rows } = await db.execute<{ vocabularies: string[] | null; domains: string[] | null }>(sql`
    SELECT
      coalesce((SELECT array_agg(vocabulary_id ORDER BY vocabulary_id) FROM vocab.vocabulary WHERE vocabulary_id <> 'None'),
               (SELECT array_agg(DISTINCT vocabulary_id ORDER BY vocabulary_id) FROM vocab.concept
                WHERE NOT EXISTS (SELECT 1 FROM vocab.vocabulary WHERE vocabulary_id <> 'None'))) AS vocabularies,
      coalesce((SELECT array_agg(domain_id ORDER BY domain_id) FROM vocab.domain),
               (SELECT array_agg(DISTINCT domain_id ORDER BY domain_id) FROM vocab.concept
                WHERE NOT EXISTS (SELECT 1 FROM vocab.domain))) AS domains`);
  return {
    version: release?.version ?? null,
    loadedAt: release?.loadedAt ?? null,
    vocabularies: rows[0]?.vocabularies ?? [],
    domains: rows[0]?.domains ?? [],
  };
}
