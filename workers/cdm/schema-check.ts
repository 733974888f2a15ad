import type { SelfCheck } from "@/protocol/contract";
import type { SiteDb } from "../site-db";
import type { TableName } from "@/protocol/omop/tables";
import {
  absentOptionalTables,
  inspectSiteSchema,
  missingIndexes,
  type MissingIndex,
  type SiteSchema,
} from "./site-schema";

/**
 * The OMOP schema as a self-check on the site's health: CDM version, missing tables (failing: the
 * tasks that need them are refused), the imaging tables (optional) and missing recommended indexes
 * (advice: counts run, slower). The hub gets table and column names only, never the schema's name;
 * `flip-worker check` prints the full CREATE INDEX statements for the Trust's DBA.
 */
const MAX_MESSAGE = 500;

export async function inspectOmopSchema(
  siteDb: SiteDb,
  timeoutMs: number,
): Promise<{ schema: SiteSchema; indexes: MissingIndex[]; absentOptional: string[] }> {
  return siteDb.readOnly(
    async (query) => {
      const schema = await inspectSiteSchema(query, siteDb.table);
      return {
        schema,
        indexes: await missingIndexes(query, siteDb.table),
        absentOptional: (
          await absentOptionalTables(query, (name) => siteDb.table(name as TableName), schema.cdmVersion)
        ).map((def) => def.name),
      };
    },
    { statementTimeoutMs: timeoutMs },
  );
}

export function schemaCheck(schema: SiteSchema, indexes: MissingIndex[], absentOptional: string[]): SelfCheck {
  const parts = [
    `OMOP CDM ${schema.cdmVersion}${schema.versionFrom === "cdm_source" ? "" : " (detected; cdm_source.cdm_version is not set)"}`,
  ];
  if (schema.missingRequired.length > 0) parts.push(`missing tables: ${schema.missingRequired.join(", ")}`);
  if (!schema.isImagingAvailable) parts.push("no MI-CDM imaging tables: imaging criteria and image models are refused");
  if (indexes.length > 0)
    parts.push(
      `${indexes.length} recommended index${indexes.length === 1 ? "" : "es"} missing (${indexes.map((i) => `${i.table}.${i.column}`).join(", ")}); 'flip-worker check' prints the CREATE INDEX statements`,
    );
  if (absentOptional.length > 0)
    parts.push(
      `${absentOptional.length} optional OMOP CDM ${schema.cdmVersion} table${absentOptional.length === 1 ? "" : "s"} absent (not read by FLIP); 'flip-worker check' prints their CREATE TABLE statements`,
    );
  const message = parts.join("; ") + ".";
  return {
    name: "omop_schema",
    ok: schema.missingRequired.length === 0,
    message: message.length > MAX_MESSAGE ? `${message.slice(0, MAX_MESSAGE - 1)}…` : message,
  };
}
