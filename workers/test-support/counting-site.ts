import { randomBytes } from "node:crypto";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import pg from "pg";
import { afterAll, beforeAll, inject } from "vitest";
import { withDatabase } from "@/db/pg-connection";
import { dropDatabase } from "@/server/database/embedded-server";
import { importCirce } from "@/protocol/circe/import-circe";
import type { CohortDefinition } from "@/protocol/cohort-definition";
import { runCohort } from "../cohort/run-cohort";
import { generateSiteData } from "../site-data/generate";
import { createSiteDb, type SiteDb } from "../site-db";
import { quietLog } from "./training-site";

/**
 * A generated site for tests that count a cohort with the compiler and with hand-written SQL over
 * the same tables: created before the file's tests (`addRows` adds rows with the returned `sql`), dropped after.
 */
export function useCountingSite(
  name: string,
  { persons, seed }: { persons: number; seed: number },
  addRows: () => Promise<void>,
) {
  const adminUrl = inject("pgAdminUrl");
  const database = `flip_${name}_${randomBytes(4).toString("hex")}`;
  const url = withDatabase(adminUrl, database);
  const dataDir = mkdtempSync(path.join(tmpdir(), `flip-${name}-`));
  let siteDb: SiteDb | undefined;
  let client: pg.Client | undefined;

  beforeAll(async () => {
    await generateSiteData({ site: "KCH", persons, seed, databaseUrl: url, dataDir });
    client = new pg.Client({ connectionString: url });
    await client.connect();
    await addRows();
    siteDb = createSiteDb({ url, schema: "public", maxConnections: 2, log: quietLog });
  });

  afterAll(async () => {
    await siteDb?.close();
    await client?.end();
    await dropDatabase(adminUrl, database);
    rmSync(dataDir, { recursive: true, force: true });
  });

  return {
    /** Runs SQL on the site's database (rows a test adds). */
    sql: (text: string) => client!.query(text),
    /** The compiler's attrition for a definition, as the site runs it. */
    counted: async (definition: CohortDefinition): Promise<number[]> => {
      const evidence = await siteDb!.readOnly((query) => runCohort(query, definition, { table: siteDb!.table }), {
        statementTimeoutMs: 30_000,
      });
      return evidence.counts.attrition;
    },
    /** Distinct persons of a hand-written query's rows. */
    handCount: async (sql: string): Promise<number> => {
      const { rows } = await client!.query<{ n: number }>(`SELECT count(DISTINCT person_id)::int AS n FROM (${sql}) t`);
      return rows[0]!.n;
    },
  };
}

/** A PhenotypeLibrary fixture (protocol/circe/fixtures) imported as the portal's definition. */
export function phenotype(id: number): CohortDefinition {
  const text = readFileSync(path.join(import.meta.dirname, "../../protocol/circe/fixtures", `${id}.json`), "utf8");
  const result = importCirce(text);
  if (!result.ok) throw new Error(JSON.stringify(result.errors));
  return result.definition;
}

/** Hand-written SQL for a concept set: the ids, plus the descendants of `withDescendants` (themselves included). */
export const conceptSetSql = (ids: number[], withDescendants: number[] = []) =>
  `(SELECT unnest(ARRAY[${[...ids, ...withDescendants].join(",")}]::int[]) UNION SELECT descendant_concept_id FROM concept_ancestor WHERE ancestor_concept_id IN (${withDescendants.join(",") || "NULL"}))`;
