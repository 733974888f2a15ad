import { randomBytes } from "node:crypto";
import pg from "pg";
import { dropDatabase, ensureDatabase } from "@/server/database/embedded-server";
import { withDatabase } from "@/db/pg-connection";
import { buildConceptAncestors, CONCEPT, CONCEPTS } from "@/protocol/omop/concepts";
import { constraintSql, createTableSql, qualified, TABLES } from "../site-data/ddl";
import { DICOM_CT, DICOM_DX, FIXTURE_PERSONS, MICROGRAM_PER_LITRE, type FixtureEvent } from "./cohort-fixture-persons";

/**
 * The cohort fixture: the official OMOP CDM 5.4 DDL (the synthetic generator's) in a schema whose
 * name needs quoting, holding the hand-designed patients of cohort-fixture-persons.ts.
 * `concept_ancestor` deliberately LACKS the level-0 self rows OHDSI vocabularies carry, so a test
 * passes only if the compiler unions the picked concepts themselves into each concept set.
 */
export const COHORT_FIXTURE_SCHEMA = "cdm 5.4";

export type CohortFixture = { url: string; drop: () => Promise<void> };

const GENDER = { M: CONCEPT.male, F: CONCEPT.female, O: 8551 } as const;
const EHR = CONCEPT.ehr;

export async function createCohortFixture(adminUrl: string): Promise<CohortFixture> {
  const name = `flip_cohort_${randomBytes(5).toString("hex")}`;
  await ensureDatabase(adminUrl, name);
  const url = withDatabase(adminUrl, name);
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    await client.query(`CREATE SCHEMA ${pg.escapeIdentifier(COHORT_FIXTURE_SCHEMA)}`);
    for (const def of TABLES) await client.query(createTableSql(COHORT_FIXTURE_SCHEMA, def));
    await loadRows(client);
    for (const def of TABLES)
      for (const statement of constraintSql(COHORT_FIXTURE_SCHEMA, def)) await client.query(statement);
  } finally {
    await client.end();
  }
  return { url, drop: () => dropDatabase(adminUrl, name) };
}

type Row = (string | number | null)[];

async function loadRows(client: pg.Client): Promise<void> {
  const concepts: Row[] = CONCEPTS.map((c) => [
    c.id,
    c.name,
    c.domain,
    c.vocabulary,
    c.conceptClass,
    c.standard ? "S" : null,
    c.code,
    "1970-01-01",
    "2099-12-31",
  ]);
  concepts.push([DICOM_CT, "CT", "Observation", "DICOM", "DICOM Modality", null, "CT", "1970-01-01", "2099-12-31"]);
  concepts.push([
    DICOM_DX,
    "Digital radiography",
    "Observation",
    "DICOM",
    "DICOM Modality",
    null,
    "DX",
    "1970-01-01",
    "2099-12-31",
  ]);
  concepts.push([
    MICROGRAM_PER_LITRE,
    "microgram per liter",
    "Unit",
    "UCUM",
    "Unit",
    "S",
    "ug/L",
    "1970-01-01",
    "2099-12-31",
  ]);
  await insert(
    client,
    "concept",
    "concept_id, concept_name, domain_id, vocabulary_id, concept_class_id, standard_concept, concept_code, valid_start_date, valid_end_date",
    concepts,
  );
  const ancestors = buildConceptAncestors(CONCEPTS).filter((a) => a.minLevels > 0);
  await insert(
    client,
    "concept_ancestor",
    "ancestor_concept_id, descendant_concept_id, min_levels_of_separation, max_levels_of_separation",
    ancestors.map((a) => [a.ancestor, a.descendant, a.minLevels, a.maxLevels]),
  );

  const persons = FIXTURE_PERSONS.filter((p) => p.sex !== null);
  await insert(
    client,
    "person",
    "person_id, gender_concept_id, year_of_birth, race_concept_id, ethnicity_concept_id",
    persons.map((p) => [p.id, GENDER[p.sex ?? "O"], p.born, CONCEPT.white, CONCEPT.notHispanic]),
  );

  const events = FIXTURE_PERSONS.flatMap((p) => p.events.map((event) => ({ personId: p.id, event })));
  const of = <T extends FixtureEvent["type"]>(type: T) =>
    events.filter((e): e is { personId: number; event: Extract<FixtureEvent, { type: T }> } => e.event.type === type);
  const ids = (rows: Row[]) => rows.map((row, i) => [i + 1, ...row]);
  await insert(
    client,
    "condition_occurrence",
    "condition_occurrence_id, person_id, condition_concept_id, condition_start_date, condition_type_concept_id",
    ids(of("condition").map(({ personId, event }) => [personId, event.concept, event.date, EHR])),
  );
  await insert(
    client,
    "procedure_occurrence",
    "procedure_occurrence_id, person_id, procedure_concept_id, procedure_date, procedure_type_concept_id",
    ids(of("procedure").map(({ personId, event }) => [personId, event.concept, event.date, EHR])),
  );
  await insert(
    client,
    "drug_exposure",
    "drug_exposure_id, person_id, drug_concept_id, drug_exposure_start_date, drug_exposure_end_date, drug_type_concept_id",
    ids(of("drug").map(({ personId, event }) => [personId, event.concept, event.date, event.date, EHR])),
  );
  await insert(
    client,
    "visit_occurrence",
    "visit_occurrence_id, person_id, visit_concept_id, visit_start_date, visit_end_date, visit_type_concept_id",
    ids(of("visit").map(({ personId, event }) => [personId, event.concept, event.date, event.date, EHR])),
  );
  await insert(
    client,
    "measurement",
    "measurement_id, person_id, measurement_concept_id, measurement_date, measurement_type_concept_id, value_as_number, unit_concept_id",
    ids(
      of("measurement").map(({ personId, event }) => [
        personId,
        event.concept,
        event.date,
        EHR,
        event.value,
        event.unit,
      ]),
    ),
  );
  await insert(
    client,
    "image_occurrence",
    "image_occurrence_id, person_id, procedure_occurrence_id, image_occurrence_date, image_study_uid, image_series_uid, modality_concept_id",
    ids(
      of("image").map(({ personId, event }, i) => [
        personId,
        0,
        event.date,
        `1.2.826.0.1.${i}`,
        `1.2.826.0.1.${i}.1`,
        event.modality,
      ]),
    ),
  );
}

async function insert(client: pg.Client, table: string, columns: string, rows: Row[]): Promise<void> {
  if (rows.length === 0) return;
  const width = rows[0]!.length;
  const tuples = rows.map((_, r) => `(${Array.from({ length: width }, (_, c) => `$${r * width + c + 1}`).join(", ")})`);
  await client.query(
    `INSERT INTO ${qualified(COHORT_FIXTURE_SCHEMA, table)} (${columns}) VALUES ${tuples.join(", ")}`,
    rows.flat(),
  );
}
