import { ERA_TABLES, isImagingTable, OMOP_TABLES, type TableName } from "@/protocol/omop/tables";
import type { SiteQuery } from "../site-db";
import { cdmTables } from "./cdm-tables";
import type { CdmVersion } from "./event-sources";
import type { TableDef } from "./table-def";

/**
 * What this site's OMOP schema holds: its CDM version (cdm_source.cdm_version, else detected from a
 * column that only CDM 5.4 has), which tables exist, and which recommended indexes are missing,
 * with the DDL a Trust's DBA can run. Catalog queries only: cheap enough for every task and heartbeat.
 */
export type SiteSchema = {
  cdmVersion: CdmVersion;
  /** Where the version came from: the cdm_source row, or the shape of procedure_occurrence. */
  versionFrom: "cdm_source" | "columns" | "default";
  present: ReadonlySet<TableName>;
  missingRequired: TableName[];
  isImagingAvailable: boolean;
};

export async function inspectSiteSchema(query: SiteQuery, table: (name: TableName) => string): Promise<SiteSchema> {
  const rows = await query<{ name: TableName; present: boolean }>(
    `SELECT t.name, to_regclass(t.qualified) IS NOT NULL AS present FROM unnest($1::text[], $2::text[]) AS t(name, qualified)`,
    [[...OMOP_TABLES, ...ERA_TABLES], [...OMOP_TABLES, ...ERA_TABLES].map(table)],
  );
  const present = new Set(rows.filter((r) => r.present).map((r) => r.name));
  const version = await detectVersion(query, table, present);
  return {
    ...version,
    present,
    missingRequired: OMOP_TABLES.filter((name) => !present.has(name) && !isImagingTable(name)),
    isImagingAvailable: present.has("image_occurrence"),
  };
}

async function detectVersion(
  query: SiteQuery,
  table: (name: TableName) => string,
  present: ReadonlySet<TableName>,
): Promise<Pick<SiteSchema, "cdmVersion" | "versionFrom">> {
  const hasColumn = async (name: TableName, column: string) =>
    present.has(name) &&
    (
      await query<{ has: boolean }>(
        `SELECT EXISTS (SELECT 1 FROM pg_attribute WHERE attrelid = to_regclass($1) AND attname = $2 AND NOT attisdropped) AS has`,
        [table(name), column],
      )
    )[0]?.has === true;
  if (await hasColumn("cdm_source", "cdm_version")) {
    const [row] = await query<{ cdm_version: string | null }>(
      `SELECT cdm_version FROM ${table("cdm_source")} WHERE cdm_version IS NOT NULL LIMIT 1`,
    );
    const parsed = parseCdmVersion(row?.cdm_version);
    if (parsed) return { cdmVersion: parsed, versionFrom: "cdm_source" };
  }
  if (present.has("procedure_occurrence"))
    return {
      cdmVersion: (await hasColumn("procedure_occurrence", "procedure_end_date")) ? "5.4" : "5.3",
      versionFrom: "columns",
    };
  return { cdmVersion: "5.4", versionFrom: "default" };
}

/** "v5.3.1", "5.3", "CDM v5.4.0" -> the supported version they belong to; anything else is not recognised. */
export function parseCdmVersion(text: string | null | undefined): CdmVersion | undefined {
  const match = /(\d+)\.(\d+)/.exec(text ?? "");
  if (!match || match[1] !== "5") return undefined;
  // 5.0 to 5.3 share the column names the worker reads; 5.4 renamed or added the ones event-sources.ts knows.
  return Number(match[2]) >= 4 ? "5.4" : "5.3";
}

/** The tables of the site's CDM version that FLIP never reads and the schema lacks (optional: for other OHDSI tools). */
export async function absentOptionalTables(
  query: SiteQuery,
  table: (name: string) => string,
  version: CdmVersion,
): Promise<TableDef[]> {
  const optional = cdmTables(version).filter((def) => !(OMOP_TABLES as readonly string[]).includes(def.name));
  const rows = await query<{ i: number }>(
    `SELECT t.i FROM unnest($1::text[]) WITH ORDINALITY AS t(qualified, i) WHERE to_regclass(t.qualified) IS NULL ORDER BY t.i`,
    [optional.map((def) => table(def.name))],
  );
  return rows.map((row) => optional[Number(row.i) - 1]!);
}

/** Indexes the cohort compiler's plans rely on: person and concept of every event table, the vocabulary joins. */
export const RECOMMENDED_INDEXES: readonly { table: TableName; column: string }[] = [
  { table: "person", column: "person_id" },
  { table: "observation_period", column: "person_id" },
  ...(
    [
      ["condition_occurrence", "condition_concept_id"],
      ["drug_exposure", "drug_concept_id"],
      ["procedure_occurrence", "procedure_concept_id"],
      ["visit_occurrence", "visit_concept_id"],
      ["measurement", "measurement_concept_id"],
      ["observation", "observation_concept_id"],
      ["device_exposure", "device_concept_id"],
    ] as const
  ).flatMap(([t, concept]) => [
    { table: t, column: "person_id" },
    { table: t, column: concept },
  ]),
  { table: "death", column: "person_id" },
  { table: "concept_ancestor", column: "ancestor_concept_id" },
  { table: "concept_ancestor", column: "descendant_concept_id" },
  { table: "concept_relationship", column: "concept_id_2" },
  { table: "image_occurrence", column: "person_id" },
];

export type MissingIndex = { table: TableName; column: string; ddl: string };

/** Recommended indexes whose column leads no index of an existing table, with CREATE INDEX statements. */
export async function missingIndexes(query: SiteQuery, table: (name: TableName) => string): Promise<MissingIndex[]> {
  const rows = await query<{ i: number; covered: boolean | null }>(
    `SELECT t.i, CASE WHEN to_regclass(t.qualified) IS NULL THEN NULL ELSE EXISTS (
        SELECT 1 FROM pg_index x JOIN pg_attribute a ON a.attrelid = x.indrelid AND a.attnum = x.indkey[0]
         WHERE x.indrelid = to_regclass(t.qualified) AND a.attname = t.column_name) END AS covered
       FROM unnest($1::text[], $2::text[]) WITH ORDINALITY AS t(qualified, column_name, i)`,
    [RECOMMENDED_INDEXES.map((r) => table(r.table)), RECOMMENDED_INDEXES.map((r) => r.column)],
  );
  return rows
    .filter((row) => row.covered === false)
    .map((row) => {
      const { table: name, column } = RECOMMENDED_INDEXES[Number(row.i) - 1]!;
      // CONCURRENTLY: a DBA can run it on a live database without blocking the ETL.
      return {
        table: name,
        column,
        ddl: `CREATE INDEX CONCURRENTLY idx_flip_${name}_${column} ON ${table(name)} (${column});`,
      };
    });
}
