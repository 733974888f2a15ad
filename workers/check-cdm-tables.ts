import pg from "pg";
import { isImagingTable, type OMOP_TABLES } from "@/protocol/omop/tables";
import { cdmTables } from "./cdm/cdm-tables";
import type { CdmVersion } from "./cdm/event-sources";
import { absentOptionalTables } from "./cdm/site-schema";
import { constraintSql, createTableSql } from "./site-data/ddl";

/** `flip-worker check`'s items on the OMOP tables: those the worker reads, and the rest of the CDM. */
type Item = { name: string; ok: boolean | null; detail?: string; fix?: string };
export type TableRow = { name: (typeof OMOP_TABLES)[number]; present: boolean; can_read: boolean };

const pass = (name: string, detail?: string): Item => ({ name, ok: true, detail });
const fail = (name: string, detail: string, fix: string): Item => ({ name, ok: false, detail, fix });

export function tablesItem(
  schema: string,
  schemaExists: boolean,
  tables: TableRow[],
  role: string,
  version: CdmVersion,
): Item {
  const name = "OMOP tables present";
  const q = pg.escapeIdentifier(schema);
  if (!schemaExists)
    return fail(
      name,
      `schema ${schema} does not exist or role ${role} cannot see it`,
      `Set FLIP_SITE_DB_SCHEMA to the schema holding the OMOP tables, and GRANT USAGE ON SCHEMA to the role.`,
    );
  const missing = tables.filter((t) => !t.present && !isImagingTable(t.name)).map((t) => t.name);
  const noImaging = tables.some((t) => !t.present && isImagingTable(t.name));
  if (missing.length > 0) {
    const ddl = cdmTables(version)
      .filter((def) => (missing as string[]).includes(def.name))
      .map((def) => `${createTableSql(schema, def)};`.replaceAll("\n", "\n      "));
    return fail(
      name,
      `missing in schema ${schema}: ${missing.join(", ")}`,
      `Point FLIP_SITE_DB_SCHEMA at the schema that has them, or create and load them (OMOP CDM ${version}):\n      ${ddl.join("\n      ")}`,
    );
  }
  const unreadable = tables.filter((t) => !t.can_read).map((t) => t.name);
  if (unreadable.length > 0)
    return fail(
      name,
      `role ${role} may not read: ${unreadable.join(", ")}`,
      `GRANT SELECT ON ALL TABLES IN SCHEMA ${q} TO ${pg.escapeIdentifier(role)}.`,
    );
  const present = tables.filter((t) => t.present).length;
  return pass(
    name,
    `${present} tables in schema ${schema}, readable${noImaging ? "; no MI-CDM imaging tables, so imaging criteria and image models are refused" : ""}`,
  );
}

/**
 * The CDM tables the worker never reads (eras, notes, costs, health system...): advice only, since
 * other OHDSI tools expect the full CDM; the fix is their DDL, keys and indexes for the site's version.
 */
export async function otherTablesItem(client: pg.Client, schema: string, version: CdmVersion): Promise<Item> {
  const name = "Other OMOP CDM tables";
  const absent = await absentOptionalTables(
    async (text, values) => (await client.query(text, values ? [...values] : [])).rows,
    (table) => `${pg.escapeIdentifier(schema)}.${pg.escapeIdentifier(table)}`,
    version,
  );
  if (absent.length === 0) return pass(name, `every table of OMOP CDM ${version} present`);
  const ddl = absent.flatMap((def) => [
    `${createTableSql(schema, def)};`.replaceAll("\n", "\n      "),
    ...constraintSql(schema, def).map((statement) => `${statement};`),
  ]);
  return {
    name,
    ok: null,
    detail: `${absent.length} of OMOP CDM ${version} absent (${absent.map((def) => def.name).join(", ")}): FLIP does not read them, other OHDSI tools may`,
    fix: `To complete the CDM, as the schema's owner run:\n      ${ddl.join("\n      ")}`,
  };
}
