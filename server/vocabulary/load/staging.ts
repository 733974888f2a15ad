import type pg from "pg";
import { AthenaFileError, ATHENA_FILES } from "./athena-files";
import { findDuplicateLines } from "./duplicates";

/** The live vocabulary schema (drizzle's `vocab`) and the copy a load fills before swapping it in. */
export const LIVE = "vocab";
export const STAGING = "vocab_staging";
const RETIRED = "vocab_retired";

/** Empty copies of every live table (columns, NOT NULL, defaults), without indexes, for a fast COPY. */
export async function createStaging(client: pg.Client) {
  const { rows } = await client.query<{ tablename: string }>(
    "SELECT tablename FROM pg_tables WHERE schemaname = $1 ORDER BY tablename",
    [LIVE],
  );
  await client.query("BEGIN");
  await client.query(`DROP SCHEMA IF EXISTS ${STAGING} CASCADE`);
  await client.query(`CREATE SCHEMA ${STAGING}`);
  for (const { tablename } of rows)
    await client.query(`CREATE TABLE ${STAGING}.${tablename} (LIKE ${LIVE}.${tablename} INCLUDING DEFAULTS)`);
  await client.query("COMMIT");
}

export async function hasStaging(client: pg.Client): Promise<boolean> {
  const { rowCount } = await client.query("SELECT 1 FROM pg_namespace WHERE nspname = $1", [STAGING]);
  return rowCount === 1;
}

export async function dropStaging(client: pg.Client) {
  await client.query(`DROP SCHEMA IF EXISTS ${STAGING} CASCADE`);
}

const DERIVE_SEARCH = `
INSERT INTO ${STAGING}.concept_search
  (concept_id, term, is_synonym, domain_id, vocabulary_id, standard_concept, invalid_reason, descendant_count, words)
SELECT t.concept_id, t.term, t.is_synonym, c.domain_id, c.vocabulary_id, c.standard_concept, c.invalid_reason,
       coalesce(d.n, 0), to_tsvector('simple', t.term)
FROM (
  SELECT concept_id, lower(concept_name) AS term, false AS is_synonym FROM ${STAGING}.concept
  UNION ALL
  SELECT DISTINCT s.concept_id, lower(s.concept_synonym_name), true
  FROM ${STAGING}.concept_synonym s JOIN ${STAGING}.concept n ON n.concept_id = s.concept_id
  WHERE lower(s.concept_synonym_name) <> lower(n.concept_name)
) t
JOIN ${STAGING}.concept c ON c.concept_id = t.concept_id
LEFT JOIN (
  SELECT ancestor_concept_id, count(*)::int AS n FROM ${STAGING}.concept_ancestor
  WHERE descendant_concept_id <> ancestor_concept_id GROUP BY ancestor_concept_id
) d ON d.ancestor_concept_id = t.concept_id
ORDER BY c.standard_concept IS NOT DISTINCT FROM 'S' DESC, c.invalid_reason IS NULL DESC, length(t.term), t.concept_id,
         t.is_synonym`;

/**
 * Builds the search table and then the live schema's constraints and indexes, under the live names, in
 * one transaction (so an interrupted finish is simply redone). A key that appears twice is reported
 * with the file lines that hold it.
 */
export async function finishStaging(client: pg.Client, folder: string, step: (message: string) => void) {
  const constraints = await client.query<{ relname: string; conname: string; def: string }>(
    `SELECT rel.relname, con.conname, pg_get_constraintdef(con.oid) AS def
     FROM pg_constraint con JOIN pg_class rel ON rel.oid = con.conrelid JOIN pg_namespace n ON n.oid = rel.relnamespace
     WHERE n.nspname = $1 AND con.contype IN ('p', 'u', 'c') ORDER BY rel.relname, con.conname`,
    [LIVE],
  );
  const indexes = await client.query<{ indexname: string; indexdef: string }>(
    `SELECT i.indexname, i.indexdef FROM pg_indexes i
     WHERE i.schemaname = $1 AND NOT EXISTS (
       SELECT 1 FROM pg_constraint con JOIN pg_namespace n ON n.oid = con.connamespace
       WHERE n.nspname = $1 AND con.conname = i.indexname)
     ORDER BY i.tablename, i.indexname`,
    [LIVE],
  );
  await client.query("BEGIN");
  try {
    // GIN builds are several times faster with room to sort in; this is PostgreSQL's memory, for this transaction.
    await client.query("SET LOCAL maintenance_work_mem = '256MB'");
    await client.query(`TRUNCATE ${STAGING}.concept_search`);
    step("Building the search tables (names, synonyms, words, descendant counts)…");
    await client.query(DERIVE_SEARCH);
    await client.query(`TRUNCATE ${STAGING}.concept_word`);
    await client.query(
      `INSERT INTO ${STAGING}.concept_word (word, names)
       SELECT word, ndoc FROM ts_stat('SELECT words FROM ${STAGING}.concept_search') WHERE length(word) >= 3`,
    );
    step("Checking keys and building indexes…");
    for (const c of constraints.rows) {
      await client
        .query(`ALTER TABLE ${STAGING}.${c.relname} ADD CONSTRAINT ${c.conname} ${c.def}`)
        .catch((error: unknown) => rethrowDuplicate(error, c.relname, folder));
    }
    for (const i of indexes.rows) await client.query(i.indexdef.replace(` ON ${LIVE}.`, ` ON ${STAGING}.`));
    await client.query("COMMIT");
  } catch (error) {
    await client.query("ROLLBACK").catch(() => undefined);
    throw error;
  }
  step("Analysing…");
  await client.query(`ANALYZE ${STAGING}.concept, ${STAGING}.concept_search, ${STAGING}.concept_ancestor,
    ${STAGING}.concept_relationship`);
}

async function rethrowDuplicate(error: unknown, table: string, folder: string): Promise<never> {
  const { code, detail } = error as { code?: string; detail?: string };
  const spec = ATHENA_FILES.find((f) => f.table === table);
  const key = /^Key \((.+)\)=\((.+)\) is duplicated\.?$/.exec(detail ?? "");
  if (code !== "23505" || !spec || !key) throw error;
  const columns = key[1]!.split(", ");
  const values = key[2]!.split(", ");
  const lines = await findDuplicateLines(folder, spec, columns, values);
  throw new AthenaFileError(
    spec.file,
    lines[1] ?? lines[0] ?? 0,
    columns.join(", "),
    `${columns.map((c, i) => `${c} ${values[i]}`).join(", ")} appears more than once (lines ${lines.join(" and ")}); each must be unique`,
  );
}

/** Replaces the live vocabulary with the staged one in one transaction and records the release. */
export async function swapInStaging(client: pg.Client, loadId: string, version: string | null) {
  await client.query("BEGIN");
  try {
    await client.query(`ALTER SCHEMA ${LIVE} RENAME TO ${RETIRED}`);
    await client.query(`ALTER SCHEMA ${STAGING} RENAME TO ${LIVE}`);
    await client.query(`DROP SCHEMA ${RETIRED} CASCADE`);
    await client.query("UPDATE vocabulary_loads SET status = 'retired' WHERE status = 'live'");
    await client.query("UPDATE vocabulary_loads SET status = 'live', version = $2, finished_at = now() WHERE id = $1", [
      loadId,
      version,
    ]);
    await client.query("COMMIT");
  } catch (error) {
    await client.query("ROLLBACK").catch(() => undefined);
    throw error;
  }
}
