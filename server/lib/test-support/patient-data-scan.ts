import pg from "pg";
import { sql } from "drizzle-orm";
import type { Database } from "@/db/client";
import { withPgClient } from "@/db/pg-connection";

/**
 * The platform's first rule: no patient-level row, identifier or image ever reaches the hub database.
 * This dumps every hub table as text and looks for what a leak would look like: the sites'
 * person source values, image paths, OMOP row keys, DICOM identifiers (study, series and instance
 * UIDs, the synthetic series' patient IDs and names), and measurement values with enough digits
 * to be unmistakable (copied from the site databases themselves).
 */
export type Leak = { table: string; what: string };

async function hubDump(db: Database): Promise<{ table: string; text: string }[]> {
  const { rows: tables } = await db.execute<{ name: string }>(
    sql`SELECT table_name AS name FROM information_schema.tables WHERE table_schema = 'public' AND table_type = 'BASE TABLE'`,
  );
  const dumps = [];
  for (const { name } of tables) {
    // Rows as JSON, less one hub-computed figure: a pooled version's counts hold each suppressed
    // cell's imputed share (a fraction such as 26.35), which can read like a measurement value.
    const { rows } = await db.execute<{ text: string | null }>(
      sql`SELECT string_agg((to_jsonb(t) #- '{metrics,validation,counts}')::text, E'\n') AS text FROM ${sql.identifier(name)} t`,
    );
    dumps.push({ table: name, text: rows[0]?.text ?? "" });
  }
  return dumps;
}

/** Distinctive values from a site database: measurement values of two or more integer digits and two decimals (e.g. 27.43). */
export async function siteFingerprints(siteUrl: string, schema = "public", limit = 300): Promise<string[]> {
  return withPgClient(siteUrl, async (client: pg.Client) => {
    const { rows } = await client.query<{ v: string }>(
      `SELECT value_as_number::text AS v FROM ${pg.escapeIdentifier(schema)}.measurement WHERE value_as_number::text ~ '^[0-9]{2,}\\.[0-9][1-9]$' LIMIT $1`,
      [limit],
    );
    return rows.map((r) => r.v);
  });
}

export async function findPatientData(db: Database, fingerprints: readonly string[]): Promise<Leak[]> {
  const patterns: { what: string; re: RegExp }[] = [
    { what: "a person source value", re: /[A-Z]{2,5}-SYN-\d{7}/ },
    { what: "an image path", re: /images\/(CT|MR|XR|US)\/|\.(png|dcm|nii)\b/ },
    { what: "a DICOM UID", re: /(?<![0-9.])(2\.25\.[0-9]{6,}|1\.2\.840\.113[0-9.]{6,})/ },
    { what: "a DICOM patient ID", re: /[A-Z]{2,5}-MRN-\d{8}/ },
    { what: "a DICOM patient name", re: /SYNTHETIC\^PERSON\d+/ },
    { what: "an OMOP row key", re: /"(person_id|measurement_id|image_occurrence_id|value_as_number)"/ },
    ...fingerprints.map((v) => ({
      what: `site value ${v}`,
      re: new RegExp(`(?<![0-9.:])${v.replace(".", "\\.")}(?![0-9])`),
    })),
  ];
  const leaks: Leak[] = [];
  for (const { table, text } of await hubDump(db)) {
    for (const { what, re } of patterns) if (re.test(text)) leaks.push({ table, what });
  }
  return leaks;
}
