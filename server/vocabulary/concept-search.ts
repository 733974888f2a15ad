import { sql, type SQL } from "drizzle-orm";
import type { DbOrTx } from "@/db/client";
import { idList, mapsToOf, selectSummaries, SUMMARY_COLUMNS, type ConceptSummary } from "./concept-rows";
import type { TConceptSearchInput } from "./vocabulary.schema";

export type ConceptMatch = ConceptSummary & {
  /** The synonym that matched, when it was not the name. */
  matchedSynonym: string | null;
  /** For a non-standard concept: the standard concepts it maps to (a pick takes these). */
  mapsTo: ConceptSummary[];
};

/** How many text matches a search ranks; the search table is written best-first, so these are the likeliest. */
const TEXT_CANDIDATES = 300;
const CODE_CANDIDATES = 50;
const TYPO_CANDIDATES = 50;

type Candidate = { conceptId: number; score: number; synonym: string | null };

/**
 * Concept search over the loaded OHDSI vocabulary: codes and ids exactly or by prefix (`I63`, `44054006`),
 * words in any order as prefixes over names and synonyms (full-text index), and, when those find too
 * little, small typos (trigram word similarity). Each candidate is scored; the best `limit` come back
 * with their descendant count and, for source codes, what they map to.
 */
export async function searchConcepts(db: DbOrTx, input: TConceptSearchInput): Promise<ConceptMatch[]> {
  const q = input.query.toLowerCase().replace(/\s+/g, " ");
  const words = q.match(/[\p{L}\p{N}]+/gu) ?? [];
  if (!words.length) return [];
  const candidates = new Map<number, Candidate>();
  const offer = (c: Candidate) => {
    const best = candidates.get(c.conceptId);
    if (!best || c.score > best.score) candidates.set(c.conceptId, c);
  };

  if (!q.includes(" ")) for (const c of await codeMatches(db, q, input)) offer(c);
  for (const c of await textMatches(db, q, words, input)) offer(c);
  if (candidates.size < input.limit) for (const c of await typoMatches(db, words, input)) offer(c);

  const ranked = [...candidates.values()].sort((a, b) => b.score - a.score).slice(0, input.limit);
  if (!ranked.length) return [];
  const ids = ranked.map((c) => c.conceptId);
  const summaries = await selectSummaries(
    db,
    sql`SELECT ${SUMMARY_COLUMNS} FROM vocab.concept c WHERE c.concept_id IN (${idList(ids)})`,
  );
  const byId = new Map(summaries.map((s) => [s.id, s]));
  const mapsTo = await mapsToOf(
    db,
    summaries.filter((s) => s.standard !== "S").map((s) => s.id),
  );
  return ranked.flatMap((c) => {
    const summary = byId.get(c.conceptId);
    return summary ? [{ ...summary, matchedSynonym: c.synonym, mapsTo: mapsTo.get(c.conceptId) ?? [] }] : [];
  });
}

async function codeMatches(db: DbOrTx, q: string, input: TConceptSearchInput): Promise<Candidate[]> {
  const id = /^\d{1,10}$/.test(q) && Number(q) <= 2_147_483_647 ? Number(q) : null;
  const prefix = `${q.replace(/[\\%_]/g, (ch) => `\\${ch}`)}%`;
  const { rows } = await db.execute<{
    concept_id: number;
    code: string;
    standard_concept: string | null;
    invalid_reason: string | null;
  }>(sql`
    (SELECT c.concept_id, lower(c.concept_code) AS code, c.standard_concept, c.invalid_reason FROM vocab.concept c
     WHERE lower(c.concept_code) LIKE ${prefix} AND ${filters("c", input)}
     ORDER BY lower(c.concept_code) LIMIT ${CODE_CANDIDATES})
    UNION ALL
    (SELECT c.concept_id, NULL, c.standard_concept, c.invalid_reason FROM vocab.concept c
     WHERE c.concept_id = ${id} AND ${filters("c", input)})`);
  return rows.map((r) => ({
    conceptId: r.concept_id,
    score: (r.code === null || r.code === q ? 1000 : 600 - r.code.length) + kindBonus(r),
    synonym: null,
  }));
}

async function textMatches(db: DbOrTx, q: string, words: string[], input: TConceptSearchInput) {
  const tsquery = words.map((w) => `${w}:*`).join(" & ");
  const { rows } = await db.execute<TermRow>(sql`
    SELECT s.concept_id, s.term, s.is_synonym, s.standard_concept, s.invalid_reason FROM vocab.concept_search s
    WHERE s.words @@ to_tsquery('simple', ${tsquery}) AND ${filters("s", input)}
    LIMIT ${TEXT_CANDIDATES}`);
  return rows.map((r) => termCandidate(r, q, 100));
}

/** Every word of 3+ letters close to some word of the term (trigram word similarity ≥ 0.6), so each word may carry a typo. */
async function typoMatches(db: DbOrTx, words: string[], input: TConceptSearchInput) {
  const long = words.filter((w) => w.length >= 3);
  if (!long.length) return [];
  const close = sql.join(
    long.map((w) => sql`${w} <% s.term`),
    sql` AND `,
  );
  const similarity = sql.join(
    long.map((w) => sql`word_similarity(${w}, s.term)`),
    sql` + `,
  );
  const { rows } = await db.execute<TermRow & { similarity: number }>(sql`
    SELECT s.concept_id, s.term, s.is_synonym, s.standard_concept, s.invalid_reason,
           (${similarity}) / ${long.length} AS similarity
    FROM vocab.concept_search s
    WHERE ${close} AND ${filters("s", input)}
    ORDER BY similarity DESC, length(s.term) LIMIT ${TYPO_CANDIDATES}`);
  return rows.map((r) => termCandidate(r, words.join(" "), 60 * r.similarity));
}

type TermRow = {
  concept_id: number;
  term: string;
  is_synonym: boolean;
  standard_concept: string | null;
  invalid_reason: string | null;
};

function termCandidate(row: TermRow, q: string, base: number): Candidate {
  let score = base;
  if (row.term === q) score += 300;
  else if (row.term.startsWith(q)) score += 200;
  else if (row.term.includes(q)) score += 50;
  score -= Math.min(row.term.length, 200) / 10;
  if (row.is_synonym) score -= 10;
  return { conceptId: row.concept_id, score: score + kindBonus(row), synonym: row.is_synonym ? row.term : null };
}

function kindBonus(row: { standard_concept: string | null; invalid_reason: string | null }) {
  return (row.standard_concept === "S" ? 30 : row.standard_concept === "C" ? 10 : 0) - (row.invalid_reason ? 40 : 0);
}

/** The search filters over a table aliased `alias` that has the concept's domain, vocabulary, standard and validity columns. */
function filters(alias: "c" | "s", input: TConceptSearchInput): SQL {
  const col = (name: string) => sql.raw(`${alias}.${name}`);
  const parts: SQL[] = [sql`true`];
  if (input.domain) parts.push(sql`${col("domain_id")} = ${input.domain}`);
  if (input.vocabularies?.length)
    parts.push(
      sql`${col("vocabulary_id")} IN (${sql.join(
        input.vocabularies.map((v) => sql`${v}`),
        sql`, `,
      )})`,
    );
  const kinds = input.standard ?? [];
  if (kinds.length && kinds.length < 3) {
    const any: SQL[] = [];
    if (kinds.includes("standard")) any.push(sql`${col("standard_concept")} = 'S'`);
    if (kinds.includes("classification")) any.push(sql`${col("standard_concept")} = 'C'`);
    if (kinds.includes("non-standard")) any.push(sql`${col("standard_concept")} IS NULL`);
    parts.push(sql`(${sql.join(any, sql` OR `)})`);
  }
  if (input.validity === "valid") parts.push(sql`${col("invalid_reason")} IS NULL`);
  if (input.validity === "invalid") parts.push(sql`${col("invalid_reason")} IS NOT NULL`);
  return sql.join(parts, sql` AND `);
}
