import { sql, type SQL } from "drizzle-orm";
import type { TConceptSearchInput } from "./vocabulary.schema";

/** How many text matches a stage keeps; the search table is written best-first, so these are the likeliest. */
const TEXT_CANDIDATES = 300;
/** The head of the search table scanned first, and how many matches there make the index unnecessary. */
const HEAD_ROWS = 10_000;
const HEAD_ENOUGH = 50;
/** When every word is common, how many pages from the head on are read before the index (~70 names a page). */
const DEEP_PAGES = 2_500;
/**
 * Terms in this many names are common enough to read on for rather than go to the index: one term (the
 * index reads all its postings), or each of several (the index intersects them; their matches thin out).
 */
const COMMON_NAMES = 50_000;
const COMMON_NAMES_EACH = 100_000;
/** A term in at most this many names is rare: its rows are fetched and the other terms checked on them. */
const RARE_NAMES = 3_000;
/** A prefix stands for at most this many words of the vocabulary, the commonest first. */
const COMPLETIONS = 30;
const CODE_CANDIDATES = 50;
/** Later stages run only while the earlier ones found fewer concepts than this. */
const FEW = 5;
const CORRECTIONS_PER_WORD = 3;

/** A search as the stages see it: the query lower-cased with its spaces collapsed, and its words. */
export type SearchTerms = { q: string; words: string[] };

/**
 * The search as one statement of CTEs, each later stage behind a gate on what the earlier ones found
 * (PostgreSQL checks such a gate once, before running the stage, and skips the stage when it fails).
 * The search table is written standard and valid names first, shortest first, so reading it in order
 * meets the best matches first:
 *
 * 1. `code`, `by_id`: codes by prefix (btree on `lower(concept_code)`) and the id, for one-word queries;
 *    an exact code or id ends the search.
 * 2. `head`: the words as prefixes among 10,000 names from the first one long enough to hold them
 *    (`head_start`: a binary search over the table's pages), at a cost that does not depend on the words.
 * 3. `deep`: when the head found fewer than 50 and every word is common, reading on for up to 2,500 pages:
 *    the index would read every posting of the common words.
 * 4. `fts0..2`: unless that found 5, the full-text index (GIN), whole words, then the last word as a prefix, then every word as
 *    one, each only while the last found fewer than 5. A prefix is the vocabulary's commonest words it
 *    begins (`expansions`), and only the rarest word goes to the index; the rest are checked on its rows.
 * 5. `typo_deep`, `typo`: while all that found fewer than 5, each unknown word of 4+ letters is corrected
 *    to the closest words of the vocabulary (trigrams over `concept_word`, commoner first), and the names
 *    are searched with those, read on from the head when all words are common, else through the index.
 *
 * Every stage yields `concept_id, term, is_synonym, standard_concept, invalid_reason`.
 */
export function searchStages(terms: SearchTerms, input: TConceptSearchInput): { ctes: SQL; stages: string[] } {
  const { q, words } = terms;
  const id = /^\d{1,10}$/.test(q) && Number(q) <= 2_147_483_647 ? Number(q) : null;
  const isCodeLike = !q.includes(" ");
  const prefix = `${q.replace(/[\\%_]/g, (ch) => `\\${ch}`)}%`;
  const filterS = filters("s", input);
  const filterC = filters("c", input);
  const columns = sql`s.concept_id, s.term, s.is_synonym, s.standard_concept, s.invalid_reason`;
  const notExact = sql`NOT (SELECT exact FROM is_exact)`;
  const wordArray = sql`ARRAY[${sql.join(
    words.map((w) => sql`${w}`),
    sql`, `,
  )}]::text[]`;
  // Scans check the words as plain substrings of the name first: a tenth of the cost of the tsvector match.
  const contains = sql.join(
    [...new Set(words)].map((w) => sql`strpos(s.term, ${w}) > 0`),
    sql` AND `,
  );
  const stages: string[] = [];
  const ctes: SQL[] = [];
  const stage = (name: string, body: SQL) => {
    ctes.push(sql`${sql.raw(name)} AS MATERIALIZED (${body})`);
    stages.push(name);
  };
  const helper = (name: string, body: SQL) => ctes.push(sql`${sql.raw(name)} AS MATERIALIZED (${body})`);
  const scan = (gate: SQL, prefilter: SQL, tsquery: SQL) => sql`
    SELECT ${columns} FROM vocab.concept_search s
    WHERE ${gate} AND s.ctid >= (SELECT first FROM head_start) AND s.ctid < (SELECT deep_end FROM head_start)
      AND ${prefilter} AND s.words @@ ${tsquery} AND ${filterS}
    LIMIT ${HEAD_ENOUGH}`;
  // `terms` yields (ord, term, names). When one term is rare, the index reads only its postings and the
  // others are checked on its few rows (ts_match_vq, which the planner does not take to the index): GIN
  // would otherwise skip through every other term's postings once per match, which costs more for a prefix
  // standing for many words. Otherwise GIN intersects all the terms, which costs less than fetching the rows
  // of a commoner term. Both are InitPlans, whose selectivity the planner does not guess, so it does not
  // trade the index for a scan of the whole table on the strength of common words.
  const indexed = (name: string, gate: SQL, terms: SQL) => {
    helper(
      `${name}_query`,
      sql`SELECT CASE WHEN d.names <= ${RARE_NAMES} THEN to_tsquery('simple', d.term) ELSE a.q END AS driver, a.q AS all
        FROM (SELECT to_tsquery('simple', string_agg(t.term, ' & ' ORDER BY t.ord)) AS q FROM (${terms}) t) a,
             LATERAL (SELECT t.term, t.names FROM (${terms}) t ORDER BY t.names NULLS LAST, t.ord LIMIT 1) d
        WHERE ${gate}`,
    );
    const query = sql.raw(`${name}_query`);
    stage(
      name,
      sql`SELECT ${columns} FROM vocab.concept_search s
        WHERE EXISTS (SELECT 1 FROM ${query}) AND s.words @@ (SELECT driver FROM ${query})
          AND ts_match_vq(s.words, (SELECT "all" FROM ${query})) AND ${filterS}
        LIMIT ${TEXT_CANDIDATES}`,
    );
  };

  stage(
    "code",
    sql`SELECT c.concept_id, lower(c.concept_code) AS term, false AS is_synonym, c.standard_concept, c.invalid_reason
      FROM vocab.concept c
      WHERE ${isCodeLike} AND lower(c.concept_code) LIKE ${prefix} AND ${filterC}
      ORDER BY lower(c.concept_code) LIMIT ${CODE_CANDIDATES}`,
  );
  stage(
    "by_id",
    sql`SELECT c.concept_id, NULL::text AS term, false AS is_synonym, c.standard_concept, c.invalid_reason
      FROM vocab.concept c WHERE c.concept_id = ${id}::int AND ${filterC}`,
  );
  helper(
    "is_exact",
    sql`SELECT EXISTS (SELECT 1 FROM by_id) OR EXISTS (SELECT 1 FROM code WHERE code.term = ${q}) AS exact`,
  );
  // Each word with the names it occurs in as a whole word, and as `alts` the commonest words of the
  // vocabulary it begins, as a tsquery alternation, with the names they occur in. A word of 3+ letters
  // that is not in concept_word occurs nowhere; shorter words are not listed there (their count is null).
  helper(
    "expansions",
    sql`SELECT t.ord, t.word, coalesce('(' || string_agg(e.word, ' | ') || ')', t.word || ':*') AS alts,
        CASE WHEN length(t.word) >= 3 THEN coalesce(sum(e.names), 0) END AS alts_names,
        CASE WHEN length(t.word) >= 3
          THEN coalesce((SELECT cw.names FROM vocab.concept_word cw WHERE cw.word = t.word), 0) END AS names,
        coalesce(min(length(e.word)), length(t.word)) AS shortest
      FROM unnest(${wordArray}) WITH ORDINALITY AS t(word, ord)
      LEFT JOIN LATERAL (
        SELECT cw.word, cw.names FROM vocab.concept_word cw
        WHERE cw.word LIKE t.word || '%' AND cw.word ~ '^[[:alnum:]]+$'
        ORDER BY cw.names DESC, cw.word LIMIT ${COMPLETIONS}) e ON true
      GROUP BY t.ord, t.word`,
  );
  // The fewest characters a name can have that holds the words (as their shortest completions), less one
  // for a typo; a word that begins another is counted in that one.
  helper(
    "name_length",
    sql`SELECT sum(shortest) + count(*) - 2 AS shortest FROM expansions WHERE ord = ANY(ARRAY[${sql.join(
      distinctWords(words).map((i) => sql`${i + 1}`),
      sql`, `,
    )}]::int[])`,
  );
  // The first page holding a standard, valid name long enough for the words; TID range scans read the
  // table in order from there (a plain scan of a large table may start wherever another scan is).
  helper(
    "head_start",
    sql`WITH RECURSIVE b(lo, hi) AS (
        SELECT 0, (pg_relation_size('vocab.concept_search') / current_setting('block_size')::int)::int
        UNION ALL
        SELECT CASE WHEN p.short THEN m.mid + 1 ELSE b.lo END, CASE WHEN p.short THEN b.hi ELSE m.mid END
        FROM b CROSS JOIN LATERAL (SELECT (b.lo + b.hi) / 2 AS mid) m
        CROSS JOIN LATERAL (SELECT coalesce((
          SELECT x.standard_concept = 'S' AND x.invalid_reason IS NULL AND length(x.term) < (SELECT shortest FROM name_length)
          FROM vocab.concept_search x WHERE x.ctid >= format('(%s,0)', m.mid)::tid LIMIT 1), false) AS short) p
        WHERE b.lo < b.hi)
      SELECT format('(%s,0)', greatest(max(lo) - 1, 0))::tid AS first,
             format('(%s,0)', greatest(max(lo) - 1, 0) + ${DEEP_PAGES})::tid AS deep_end FROM b`,
  );
  stage(
    "head",
    sql`SELECT ${columns} FROM (
        SELECT * FROM vocab.concept_search
        WHERE ${notExact} AND ctid >= (SELECT first FROM head_start) AND ctid < (SELECT deep_end FROM head_start)
        LIMIT ${HEAD_ROWS}) s
      WHERE ${contains} AND s.words @@ to_tsquery('simple', ${prefixQuery(words)}) AND ${filterS}
      LIMIT ${TEXT_CANDIDATES}`,
  );
  const isCommon = (terms: SQL) =>
    sql`(SELECT min(coalesce(t.names, ${COMMON_NAMES_EACH}))
           >= CASE WHEN count(DISTINCT t.term) = 1 THEN ${COMMON_NAMES}::int ELSE ${COMMON_NAMES_EACH}::int END FROM (${terms}) t)`;
  const asPrefixes = sql`SELECT ord, alts AS term, alts_names AS names FROM expansions`;

  const afterHead = sql`${notExact} AND (SELECT count(*) FROM head) < ${HEAD_ENOUGH}`;
  stage(
    "deep",
    scan(sql`${afterHead} AND ${isCommon(asPrefixes)}`, contains, sql`to_tsquery('simple', ${prefixQuery(words)})`),
  );
  const last = words.length;
  const queries = [
    sql`SELECT ord, word AS term, names FROM expansions`,
    sql`SELECT ord, CASE WHEN ord = ${last} THEN alts ELSE word END AS term,
          CASE WHEN ord = ${last} THEN alts_names ELSE names END AS names FROM expansions`,
    ...(words.length > 1 ? [asPrefixes] : []),
  ];
  let gate = sql`${afterHead} AND (SELECT count(*) FROM deep) < ${FEW}`;
  queries.forEach((terms, i) => {
    indexed(`fts${i}`, gate, terms);
    gate = sql`${gate} AND (SELECT count(DISTINCT concept_id) FROM ${sql.raw(`fts${i}`)}) < ${FEW}`;
  });

  const found = sql.join(
    stages.map((name) => sql`SELECT concept_id FROM ${sql.raw(name)}`),
    sql` UNION `,
  );
  helper(
    "corrections",
    sql`SELECT t.ord, w.word, w.names FROM unnest(${wordArray}) WITH ORDINALITY AS t(typed, ord)
      CROSS JOIN LATERAL (
        SELECT cw.word, cw.names FROM vocab.concept_word cw
        WHERE cw.word % t.typed AND cw.word ~ '^[[:alnum:]]+$'
        ORDER BY similarity(cw.word, t.typed) DESC, cw.names DESC LIMIT ${CORRECTIONS_PER_WORD}) w
      WHERE ${notExact} AND (SELECT count(*) FROM (${found}) f) < ${FEW}
        AND length(t.typed) >= 4 AND NOT EXISTS (SELECT 1 FROM vocab.concept_word known WHERE known.word = t.typed)`,
  );
  // The words with their corrections, the others as prefixes.
  helper(
    "typo_words",
    sql`SELECT e.ord, coalesce('(' || a.alts || ')', e.alts) AS term, coalesce(a.names, e.alts_names) AS names
      FROM expansions e
      LEFT JOIN (SELECT ord, string_agg(word, ' | ') AS alts, sum(names) AS names FROM corrections GROUP BY ord) a
        ON a.ord = e.ord
      WHERE EXISTS (SELECT 1 FROM corrections)`,
  );
  const typos = sql`SELECT ord, term, names FROM typo_words`;
  stage(
    "typo_deep",
    scan(
      sql`EXISTS (SELECT 1 FROM corrections) AND ${isCommon(typos)}`,
      // Names holding each word that was not corrected and a correction (LIKE is far cheaper than a regular
      // expression or the tsvector).
      sql`${sql.join(
        words.map(
          (w, i) => sql`((SELECT EXISTS (SELECT 1 FROM corrections WHERE ord = ${i + 1})) OR strpos(s.term, ${w}) > 0)`,
        ),
        sql` AND `,
      )} AND s.term LIKE ANY (ARRAY(SELECT '%' || word || '%' FROM corrections))`,
      sql`(SELECT to_tsquery('simple', string_agg(term, ' & ' ORDER BY ord)) FROM typo_words)`,
    ),
  );
  indexed("typo", sql`EXISTS (SELECT 1 FROM corrections) AND (SELECT count(*) FROM typo_deep) < ${FEW}`, typos);
  return { ctes: sql.join(ctes, sql`,\n`), stages };
}

/** The indexes of the words that are not repeated and do not begin another word of the query. */
function distinctWords(words: string[]): number[] {
  return words.flatMap((w, i) => (words.indexOf(w) === i && !words.some((o) => o !== w && o.startsWith(w)) ? [i] : []));
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
  const base = stage.startsWith("typo") ? 70 : 100;
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
