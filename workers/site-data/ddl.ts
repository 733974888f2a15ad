import pg from "pg";
import type { TableName } from "@/protocol/omop/tables";
import { CDM_54_TABLES } from "../cdm/cdm-tables";
import { table, type TableDef } from "../cdm/table-def";

/**
 * The tables the generator creates: every OMOP CDM 5.4 table (workers/cdm/tables/, names, column order
 * and types as in the OHDSI PostgreSQL DDL) plus the MI-CDM `image_occurrence` table.
 */
export type { TableDef } from "../cdm/table-def";

export const TABLES: readonly TableDef[] = [
  ...CDM_54_TABLES,
  // MI-CDM (OHDSI Medical Imaging WG) extension table.
  table(
    "image_occurrence",
    `image_occurrence_id integer!, person_id integer!, procedure_occurrence_id integer!, visit_occurrence_id integer,
     anatomic_site_concept_id integer, wadors_uri varchar(1024), local_path varchar(1024), image_occurrence_date date!,
     image_study_uid varchar(1024)!, image_series_uid varchar(1024)!, modality_concept_id integer!`,
    { primaryKey: "image_occurrence_id", indexes: ["person_id", "modality_concept_id"] },
  ),
];

export function tableDef(name: TableName): TableDef {
  const def = TABLES.find((t) => t.name === name);
  if (!def) throw new Error(`unknown table ${name}`);
  return def;
}

export function qualified(schema: string, tableName: string): string {
  return `${pg.escapeIdentifier(schema)}.${pg.escapeIdentifier(tableName)}`;
}

/** SQL keywords among the CDM's column names (note_nlp.offset) are quoted, the rest written bare as in the OHDSI DDL. */
const RESERVED = new Set(["offset"]);
export const columnSql = (name: string) => (RESERVED.has(name) ? pg.escapeIdentifier(name) : name);

export function createTableSql(schema: string, def: TableDef): string {
  const columns = def.columns
    .map((c) => `  ${columnSql(c.name)} ${c.type}${c.notNull ? " NOT NULL" : " NULL"}`)
    .join(",\n");
  return `CREATE TABLE ${qualified(schema, def.name)} (\n${columns}\n)`;
}

/** Keys and indexes are added after the bulk load: building them once is faster than per row. */
export function constraintSql(schema: string, def: TableDef): string[] {
  const statements: string[] = [];
  if (def.primaryKey) {
    statements.push(
      `ALTER TABLE ${qualified(schema, def.name)} ADD CONSTRAINT ${pg.escapeIdentifier(`xpk_${def.name}`)} PRIMARY KEY (${def.primaryKey})`,
    );
  }
  for (const column of def.indexes ?? []) {
    statements.push(
      `CREATE INDEX ${pg.escapeIdentifier(`idx_${def.name}_${column}`)} ON ${qualified(schema, def.name)} (${column})`,
    );
  }
  return statements;
}
