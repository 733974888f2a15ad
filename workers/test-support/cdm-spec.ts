import { readFileSync } from "node:fs";
import path from "node:path";
import type { CdmVersion } from "../cdm/event-sources";

/**
 * The OHDSI CommonDataModel field specification (workers/cdm/spec/) as PostgreSQL sees it: every
 * table's columns with the type its DDL gives (datetime -> timestamp, float -> numeric,
 * varchar(max) -> text) and whether it is NOT NULL. An independent reader of the CSV, for tests.
 */
export type SpecColumn = { name: string; type: string; notNull: boolean };

export function readCdmSpec(version: CdmVersion): Map<string, SpecColumn[]> {
  const file = path.join(import.meta.dirname, "..", "cdm", "spec", `OMOP_CDMv${version}_fields.csv`);
  const lines = readFileSync(file, "utf8").trim().split("\n").slice(1);
  const tables = new Map<string, SpecColumn[]>();
  for (const line of lines) {
    const [table, quoted, required, datatype] = line.split(",") as [string, string, string, string];
    // A CSV-quoted name ("""offset""") is a reserved word the OHDSI DDL quotes; the column is named offset.
    const name = quoted.replaceAll('"', "");
    const type = datatype.toLowerCase();
    const ours =
      type === "datetime" ? "timestamp" : type === "float" ? "numeric" : type === "varchar(max)" ? "text" : type;
    tables.set(table, [...(tables.get(table) ?? []), { name, type: ours, notNull: required === "Yes" }]);
  }
  return tables;
}

/** information_schema's spelling of a type -> the specification's (character varying(50) -> varchar(50)). */
export function specType(dataType: string, length: number | null): string {
  if (dataType === "character varying") return `varchar(${length})`;
  if (dataType === "timestamp without time zone") return "timestamp";
  return dataType;
}

export const byName = (a: SpecColumn, b: SpecColumn) => a.name.localeCompare(b.name);
