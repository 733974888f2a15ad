import { randomBytes } from "node:crypto";
import pg from "pg";
import { dropDatabase, ensureDatabase } from "@/server/database/embedded-server";
import { withDatabase, withPgClient } from "@/db/pg-connection";
import { OMOP_TABLES } from "@/protocol/omop/tables";

/**
 * A tiny hand-checked OMOP CDM 5.4 database (only the columns the worker reads) in a schema whose
 * name needs quoting. Expected inventory with threshold 5:
 *   persons 20; observation years floor(20 * 730 / 365.25) = 39 (not 40: leap-year aware);
 *   images CT 7 + 3 (two CT concepts) = 10, MR 5, US 4 (suppressed), XR 0 (suppressed);
 *   conditions by distinct persons: 201826 -> 12, 999 (no concept row) -> 6, 320128 -> 5,
 *   313217 -> 4 (suppressed), 1001..1008 -> 1 each; concept 0 (unmapped, 10 persons) never listed.
 * Without `hasImaging` there is no MI-CDM image_occurrence table, as on the official OHDSI DDL.
 * With `slow`, reading `person` first sleeps for `fixture_delay.seconds`, to keep a task running.
 */
export const FIXTURE_SCHEMA = "site omop";

export type OmopFixture = {
  url: string;
  setDelaySeconds: (seconds: number) => Promise<void>;
  drop: () => Promise<void>;
};

export async function createOmopFixture(
  adminUrl: string,
  options: { isEmpty?: boolean; isSlow?: boolean; hasImaging?: boolean } = {},
): Promise<OmopFixture> {
  const name = `flip_omop_${randomBytes(5).toString("hex")}`;
  await ensureDatabase(adminUrl, name);
  const url = withDatabase(adminUrl, name);
  const s = pg.escapeIdentifier(FIXTURE_SCHEMA);
  await withPgClient(url, async (client) => {
    await client.query(`CREATE SCHEMA ${s}`);
    await client.query(
      `CREATE TABLE ${s}.observation_period (observation_period_id int, person_id int, observation_period_start_date date, observation_period_end_date date)`,
    );
    await client.query(
      `CREATE TABLE ${s}.condition_occurrence (condition_occurrence_id serial, person_id int, condition_concept_id int)`,
    );
    await client.query(`CREATE TABLE ${s}.concept (concept_id int, concept_name varchar(255))`);
    const hasImaging = options.hasImaging ?? true;
    if (hasImaging)
      await client.query(
        `CREATE TABLE ${s}.image_occurrence (image_occurrence_id serial, person_id int, modality_concept_id int)`,
      );
    // The rest of the CDM, empty: the worker checks that every table it may read exists.
    await client.query(`CREATE TABLE ${s}.cdm_source (cdm_version varchar(10))`);
    await client.query(`INSERT INTO ${s}.cdm_source VALUES ('v5.4.0')`);
    const created = [
      "person",
      "observation_period",
      "condition_occurrence",
      "concept",
      "image_occurrence",
      "cdm_source",
    ];
    for (const table of OMOP_TABLES.filter((t) => !created.includes(t)))
      await client.query(`CREATE TABLE ${s}.${pg.escapeIdentifier(table)} (person_id int)`);
    await client.query(`CREATE TABLE ${s}.fixture_delay (seconds float)`);
    await client.query(`INSERT INTO ${s}.fixture_delay VALUES (0)`);
    if (options.isSlow) {
      await client.query(`CREATE TABLE ${s}.person_rows (person_id int)`);
      await client.query(
        `CREATE VIEW ${s}.person AS SELECT p.person_id FROM ${s}.person_rows p CROSS JOIN (SELECT pg_sleep((SELECT seconds FROM ${s}.fixture_delay))) d`,
      );
    } else {
      await client.query(`CREATE TABLE ${s}.person (person_id int)`);
    }
    if (options.isEmpty) return;
    await client.query(
      `INSERT INTO ${s}.${options.isSlow ? "person_rows" : "person"} SELECT g FROM generate_series(1, 20) g`,
    );
    await client.query(
      `INSERT INTO ${s}.observation_period SELECT g, g, date '2010-01-01', date '2012-01-01' FROM generate_series(1, 20) g`,
    );
    await client.query(
      `INSERT INTO ${s}.concept VALUES (201826, 'Type 2 diabetes mellitus'), (320128, 'Essential hypertension'), (313217, 'Atrial fibrillation'),
       (4300757, 'Computed tomography'), (4013636, 'Magnetic resonance imaging'), (5000, 'Ultrasonography'), (6000, 'CT')`,
    );
    const conditions: [number, number, number][] = [
      [201826, 1, 12],
      [201826, 1, 3], // repeat diagnoses of the same persons: still 12 distinct
      [999, 1, 6],
      [320128, 1, 5],
      [313217, 1, 4],
      [0, 1, 10],
      ...Array.from({ length: 8 }, (_, i): [number, number, number] => [1001 + i, 1, 1]),
    ];
    for (const [conceptId, from, to] of conditions) {
      await client.query(
        `INSERT INTO ${s}.condition_occurrence (person_id, condition_concept_id) SELECT g, $1 FROM generate_series($2::int, $3::int) g`,
        [conceptId, from, to],
      );
    }
    for (const [conceptId, count] of !hasImaging
      ? []
      : ([
          [4300757, 7],
          [6000, 3],
          [4013636, 5],
          [5000, 4],
        ] as const)) {
      await client.query(
        `INSERT INTO ${s}.image_occurrence (person_id, modality_concept_id) SELECT g, $1 FROM generate_series(1, $2::int) g`,
        [conceptId, count],
      );
    }
  });
  return {
    url,
    setDelaySeconds: (seconds) =>
      withPgClient(
        url,
        async (client) => void (await client.query(`UPDATE ${s}.fixture_delay SET seconds = $1`, [seconds])),
      ),
    drop: () => dropDatabase(adminUrl, name),
  };
}

/** Expected `site_inventory` result of the full fixture at threshold 5. */
export const FIXTURE_INVENTORY_AT_5 = {
  cdmVersion: "5.4",
  imagingAvailable: true,
  threshold: 5,
  rounding: 1,
  persons: 20,
  observationYears: 39,
  imagesByModality: { CT: 10, MR: 5, XR: "suppressed", US: "suppressed" },
  topConditions: [
    { conceptId: 201826, name: "Type 2 diabetes mellitus", persons: 12 },
    { conceptId: 999, name: "Concept 999", persons: 6 },
    { conceptId: 320128, name: "Essential hypertension", persons: 5 },
    { conceptId: 313217, name: "Atrial fibrillation", persons: "suppressed" },
    ...[1001, 1002, 1003, 1004, 1005, 1006].map((conceptId) => ({
      conceptId,
      name: `Concept ${conceptId}`,
      persons: "suppressed",
    })),
  ],
};
