import { sql, type SQL } from "drizzle-orm";
import type { TConceptSearchInput } from "./vocabulary.schema";

/** How many text matches a stage keeps; the search table is written best-first, so these are the likeliest. */
const TEXT_CANDIDATES = 300;
/** The head of the search table scanned first, and how many matches there make the index scan unnecessary. */
const HEAD_ROWS = 10_000;
const HEAD_ENOUGH = 50;
const CODE_CANDIDATES = 50;
/** Later stages run only while the earlier ones found fewer concepts than this. */
const FEW = 5;
const CORRECTIONS_PER_WORD = 3;

/** A search as the stages see it: the query lower-cased with its spaces collapsed, and its words. */
export type SearchTerms = { q: string; words: string[] };

/**
 * The search as one statement of CTEs, each later stage behind a gate on what the earlier ones found
 * (PostgreSQL checks such a gate once, before running the stage, and skips the stage when it fails):
 *
 * 1. `code`, `by_id`: codes by prefix (btree on `lower(concept_code)`) and the id, for one-word queries;
 * 2. `head`: the words as prefixes among the first rows of the search table (written best-first), where
 *    a common word's best matches are, at a cost that does not depend on the word;
 * 3. unless a code or id matched exactly and while the head found fewer than 50: the full-text index,
 *    whole words first (GIN skips through a common word's postings only when it is matched whole),
 *    then the last word as a prefix, then every word as one, each only while the last found fewer than 5;
 * 4. while all that found fewer than 5: each unknown word of 4+ letters corrected to the closest words of
 *    the vocabulary (trigrams over `concept_word`, commoner first) and the names searched with those.
 *
 * Every stage yields `concept_id, term, is_synonym, standard_concept, invalid_reason, stage, score`.
 */
export function searchStages(terms: SearchTerms, input: TConceptSearchInput): { ctes: SQL; stages: string[] } {
  const { q, words } = terms;
  const id = /^\d{1,10}$/.test(q) && Number(q) <= 2_147_483_647 ? Number(q) : null;
  const isCodeLike = !q.includes(" ");
  const prefix = `${q.replace(/[\\%_]/g, (ch) => `\\${ch}`)}%`;
  const filterS = filters("s", input);
  const filterC = filters("c", input);
  const textColumns = sql`s.concept_id, s.term, s.is_synonym, s.standard_concept, s.invalid_reason`;
  const notExact = sql`NOT EXISTS (SELECT 1 FROM by_id) AND NOT EXISTS (SELECT 1 FROM code WHERE code.term = ${q})`;

  const ctes: SQL[] = [
    sql`code AS MATERIALIZED (
      SELECT c.concept_id, lower(c.concept_code) AS term, false AS is_synonym, c.standard_concept, c.invalid_reason
      FROM vocab.concept c
      WHERE ${isCodeLike} AND lower(c.concept_code) LIKE ${prefix} AND ${filterC}
      ORDER BY lower(c.concept_code) LIMIT ${CODE_CANDIDATES})`,
    sql`by_id AS MATERIALIZED (
      SELECT c.concept_id, NULL::text AS term, false AS is_synonym, c.standard_concept, c.invalid_reason
      FROM vocab.concept c WHERE c.concept_id = ${id}::int AND ${filterC})`,
    sql`head AS MATERIALIZED (
      SELECT ${textColumns} FROM (SELECT * FROM vocab.concept_search LIMIT ${HEAD_ROWS}) s
      WHERE s.words @@ to_tsquery('simple', ${prefixQuery(words)}) AND ${filterS}
      LIMIT ${TEXT_CANDIDATES})`,
  ];
  const stages = ["code", "by_id", "head"];

  // Whole words, then the last word as a prefix, then all as prefixes; each only while the last found few.
  const queries = [...new Set([words.join(" & "), typedQuery(words), prefixQuery(words)])];
  let gate = sql`${notExact} AND (SELECT count(*) FROM head) < ${HEAD_ENOUGH}`;
  queries.forEach((tsquery, i) => {
    const name = `fts${i}`;
    ctes.push(sql`${sql.raw(name)} AS MATERIALIZED (
      SELECT ${textColumns} FROM vocab.concept_search s
      WHERE ${gate} AND s.words @@ to_tsquery('simple', ${tsquery}) AND ${filterS}
      LIMIT ${TEXT_CANDIDATES})`);
    gate = sql`${gate} AND (SELECT count(DISTINCT concept_id) FROM ${sql.raw(name)}) < ${FEW}`;
    stages.push(name);
  });

  const found = sql.join(
    stages.map((s) => sql`SELECT concept_id FROM ${sql.raw(s)}`),
    sql` UNION `,
  );
  const wordArray = sql`ARRAY[${sql.join(
    words.map((w) => sql`${w}`),
    sql`, `,
  )}]::text[]`;
  ctes.push(
    sql`corrections AS MATERIALIZED (
      SELECT t.ord, w.word FROM unnest(${wordArray}) WITH ORDINALITY AS t(typed, ord)
      CROSS JOIN LATERAL (
        SELECT cw.word FROM vocab.concept_word cw
        WHERE cw.word % t.typed AND cw.word ~ '^[[:alnum:]]+$'
        ORDER BY similarity(cw.word, t.typed) DESC, cw.names DESC LIMIT ${CORRECTIONS_PER_WORD}) w
      WHERE ${notExact} AND (SELECT count(*) FROM (${found}) f) < ${FEW}
        AND length(t.typed) >= 4 AND NOT EXISTS (SELECT 1 FROM vocab.concept_word known WHERE known.word = t.typed))`,
    sql`typo_query AS MATERIALIZED (
      SELECT to_tsquery('simple', string_agg(coalesce('(' || a.alts || ')', t.word || ':*'), ' & ' ORDER BY t.ord)) AS q
      FROM unnest(${wordArray}) WITH ORDINALITY AS t(word, ord)
      LEFT JOIN (SELECT ord, string_agg(word, ' | ') AS alts FROM corrections GROUP BY ord) a ON a.ord = t.ord
      WHERE EXISTS (SELECT 1 FROM corrections))`,
    sql`typo AS MATERIALIZED (
      SELECT ${textColumns} FROM vocab.concept_search s
      WHERE (SELECT q FROM typo_query) IS NOT NULL AND s.words @@ (SELECT q FROM typo_query) AND ${filterS}
      LIMIT ${TEXT_CANDIDATES})`,
  );
  stages.push("typo");
  return { ctes: sql.join(ctes, sql`,\n`), stages };
}

function typedQuery(words: string[]) {
  return [...words.slice(0, -1), `${words.at(-1)}:*`].join(" & ");
}

function prefixQuery(words: string[]) {
  return words.map((w) => `${w}:*`).join(" & ");
}

/**
 * The score of a stage's row `x` for the query `q`: an exact code or id above everything, then a code
 * by prefix (shorter first); a name or synonym equal to the query, then starting with it, then holding
 * it, shorter first, names before synonyms, a corrected typo below an exact word; standard concepts
 * before classification before source codes, valid before invalid.
 */
export function score(stage: string, q: string): SQL {
  const kind = sql`(CASE x.standard_concept WHEN 'S' THEN 30 WHEN 'C' THEN 10 ELSE 0 END
    - CASE WHEN x.invalid_reason IS NOT NULL THEN 40 ELSE 0 END)`;
  if (stage === "code" || stage === "by_id")
    return sql`(CASE WHEN x.term IS NULL OR x.term = ${q} THEN 1000 ELSE 600 - length(x.term) END + ${kind})::float8`;
  const base = stage === "typo" ? 70 : 100;
  return sql`(${base} + CASE WHEN x.term = ${q} THEN 300 WHEN starts_with(x.term, ${q}) THEN 200
      WHEN strpos(x.term, ${q}) > 0 THEN 50 ELSE 0 END
    - least(length(x.term), 200) / 10.0 - CASE WHEN x.is_synonym THEN 10 ELSE 0 END + ${kind})::float8`;
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
