import { sql, type SQL } from "drizzle-orm";
import type { DbOrTx } from "@/db/client";
import { idList, SUMMARY_COLUMNS, toSummary, type ConceptSummary, type SummaryRow } from "./concept-rows";
import type { TConceptSearchInput } from "./vocabulary.schema";

export type ConceptMatch = ConceptSummary & {
  /** The synonym that matched, when it was not the name. */
  matchedSynonym: string | null;
  /** For a non-standard concept: the standard concepts it maps to (a pick takes these). */
  mapsTo: ConceptSummary[];
};

/** How many text matches a search ranks; the search table is written best-first, so these are the likeliest. */
const TEXT_CANDIDATES = 300;
/** The head of the search table scanned first, and how many matches there make the index scan unnecessary. */
const HEAD_ROWS = 10_000;
const HEAD_ENOUGH = 50;
const CODE_CANDIDATES = 50;
/** Typos are looked for only when the exact words find fewer concepts than this. */
const TYPO_BELOW = 5;
const CORRECTIONS_PER_WORD = 3;

type Candidate = { conceptId: number; score: number; synonym: string | null };

/**
 * Concept search over the loaded OHDSI vocabulary: codes and ids exactly or by prefix (`I63`, `44054006`),
 * words in any order as prefixes over names and synonyms (full-text index), and, when those find too
 * little, small typos (words corrected against the vocabulary's own words). Each candidate is scored; the best `limit` come back
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

  const { found, isExactCode } = await codeAndTextMatches(db, q, words, input);
  for (const c of found) offer(c);
  // An exact code or id is what was asked for; only names that found almost nothing look for typos.
  if (!isExactCode && candidates.size < TYPO_BELOW) for (const c of await typoMatches(db, q, words, input)) offer(c);

  const ranked = [...candidates.values()].sort((a, b) => b.score - a.score).slice(0, input.limit);
  if (!ranked.length) return [];
  const { rows } = await db.execute<SummaryRow & { maps_to: SummaryRow[] | null }>(sql`
    SELECT ${SUMMARY_COLUMNS},
      CASE WHEN c.standard_concept IS DISTINCT FROM 'S' THEN (
        SELECT json_agg(t ORDER BY t.concept_name) FROM (
          SELECT ${SUMMARY_COLUMNS} FROM vocab.concept_relationship r JOIN vocab.concept c ON c.concept_id = r.concept_id_2
          WHERE r.concept_id_1 = src.concept_id AND r.relationship_id = 'Maps to' AND r.invalid_reason IS NULL
            AND r.concept_id_2 <> r.concept_id_1) t) END AS maps_to
    FROM vocab.concept c, LATERAL (SELECT c.concept_id) src
    WHERE c.concept_id IN (${idList(ranked.map((c) => c.conceptId))})`);
  const byId = new Map(rows.map((row) => [row.concept_id, row]));
  return ranked.flatMap((c) => {
    const row = byId.get(c.conceptId);
    return row ? [{ ...toSummary(row), matchedSynonym: c.synonym, mapsTo: (row.maps_to ?? []).map(toSummary) }] : [];
  });
}

/**
 * In one round trip: codes and ids exactly or by prefix (single-word queries), and the words as
 * prefixes among the first rows of the search table (written best-first), which is where a common
 * word's best matches are and costs the same whatever the word.
 */
async function codeAndTextMatches(db: DbOrTx, q: string, words: string[], input: TConceptSearchInput) {
  const id = /^\d{1,10}$/.test(q) && Number(q) <= 2_147_483_647 ? Number(q) : null;
  const isCodeLike = !q.includes(" ");
  const prefix = `${q.replace(/[\\%_]/g, (ch) => `\\${ch}`)}%`;
  const { rows } = await db.execute<TermRow & { is_code: boolean }>(sql`
    (SELECT c.concept_id, lower(c.concept_code) AS term, false AS is_synonym, c.standard_concept, c.invalid_reason,
            true AS is_code
     FROM vocab.concept c
     WHERE ${isCodeLike} AND lower(c.concept_code) LIKE ${prefix} AND ${filters("c", input)}
     ORDER BY lower(c.concept_code) LIMIT ${CODE_CANDIDATES})
    UNION ALL
    (SELECT c.concept_id, NULL, false, c.standard_concept, c.invalid_reason, true FROM vocab.concept c
     WHERE c.concept_id = ${id}::int AND ${filters("c", input)})
    UNION ALL
    (SELECT s.concept_id, s.term, s.is_synonym, s.standard_concept, s.invalid_reason, false
     FROM (SELECT * FROM vocab.concept_search LIMIT ${HEAD_ROWS}) s
     WHERE s.words @@ to_tsquery('simple', ${prefixQuery(words)}) AND ${filters("s", input)}
     LIMIT ${TEXT_CANDIDATES})`);
  const found = rows.map((r) => (r.is_code ? codeCandidate(r, q) : termCandidate(r, q, 100)));
  const isExactCode = rows.some((r) => r.is_code && (r.term === null || r.term === q));
  if (isExactCode || rows.filter((r) => !r.is_code).length >= HEAD_ENOUGH) return { found, isExactCode };
  return { found: [...found, ...(await indexedTextMatches(db, q, words, input))], isExactCode };
}

/**
 * Words through the full-text index, for words too rare to fill the head of the table: whole words
 * first (GIN skips through a common word's postings when it is matched whole, but must read them all
 * for a prefix), then the last word as a prefix, then every word as one ("diab mell"), stopping as
 * soon as one finds a few concepts.
 */
async function indexedTextMatches(db: DbOrTx, q: string, words: string[], input: TConceptSearchInput) {
  const queries = [...new Set([words.join(" & "), typedQuery(words), prefixQuery(words)])];
  let rows: TermRow[] = [];
  for (const tsquery of queries) {
    ({ rows } = await db.execute<TermRow>(sql`
      SELECT s.concept_id, s.term, s.is_synonym, s.standard_concept, s.invalid_reason FROM vocab.concept_search s
      WHERE s.words @@ to_tsquery('simple', ${tsquery}) AND ${filters("s", input)}
      LIMIT ${TEXT_CANDIDATES}`));
    if (new Set(rows.map((r) => r.concept_id)).size >= TYPO_BELOW) break;
  }
  return rows.map((r) => termCandidate(r, q, 100));
}

function typedQuery(words: string[]) {
  return [...words.slice(0, -1), `${words.at(-1)}:*`].join(" & ");
}

function prefixQuery(words: string[]) {
  return words.map((w) => `${w}:*`).join(" & ");
}

function codeCandidate(row: TermRow, q: string): Candidate {
  const code = row.term;
  return {
    conceptId: row.concept_id,
    score: (code === null || code === q ? 1000 : 600 - code.length) + kindBonus(row),
    synonym: null,
  };
}

/**
 * Small typos: each word of 4+ letters that is not a word of the vocabulary is replaced by the closest
 * words that are (trigram similarity over `concept_word`, commoner first), and the names are searched
 * again with those, as whole words, through the full-text index.
 */
async function typoMatches(db: DbOrTx, q: string, words: string[], input: TConceptSearchInput): Promise<Candidate[]> {
  const typed = words.filter((w) => w.length >= 4);
  if (!typed.length) return [];
  const { rows: corrections } = await db.execute<{ typed: string; word: string }>(sql`
    SELECT t.typed, w.word FROM unnest(ARRAY[${sql.join(
      typed.map((w) => sql`${w}`),
      sql`, `,
    )}]::text[]) AS t(typed)
    CROSS JOIN LATERAL (
      SELECT cw.word FROM vocab.concept_word cw
      WHERE NOT EXISTS (SELECT 1 FROM vocab.concept_word known WHERE known.word = t.typed) AND cw.word % t.typed
      ORDER BY similarity(cw.word, t.typed) DESC, cw.names DESC LIMIT ${CORRECTIONS_PER_WORD}) w`);
  const isPlain = (w: string) => /^[\p{L}\p{N}]+$/u.test(w);
  const alternatives = new Map<string, string[]>();
  for (const c of corrections)
    if (isPlain(c.word)) alternatives.set(c.typed, [...(alternatives.get(c.typed) ?? []), c.word]);
  if (!alternatives.size) return [];
  const tsquery = words
    .map((w) => (alternatives.has(w) ? `(${alternatives.get(w)!.join(" | ")})` : `${w}:*`))
    .join(" & ");
  const { rows } = await db.execute<TermRow>(sql`
    SELECT s.concept_id, s.term, s.is_synonym, s.standard_concept, s.invalid_reason FROM vocab.concept_search s
    WHERE s.words @@ to_tsquery('simple', ${tsquery}) AND ${filters("s", input)}
    LIMIT ${TEXT_CANDIDATES}`);
  return rows.map((r) => termCandidate(r, q, 70));
}

type TermRow = {
  concept_id: number;
  term: string | null;
  is_synonym: boolean;
  standard_concept: string | null;
  invalid_reason: string | null;
};

function termCandidate(row: TermRow, q: string, base: number): Candidate {
  const term = row.term ?? "";
  let score = base;
  if (term === q) score += 300;
  else if (term.startsWith(q)) score += 200;
  else if (term.includes(q)) score += 50;
  score -= Math.min(term.length, 200) / 10;
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
