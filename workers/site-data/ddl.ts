import pg from "pg";
import type { TableName } from "@/protocol/omop/tables";

/**
 * OMOP CDM 5.4 tables (names, column order and types as in the OHDSI PostgreSQL DDL) plus the
 * MI-CDM `image_occurrence` table, as data: the same definitions drive CREATE TABLE and the typed
 * bulk inserts, so a column can never be created with one type and loaded as another.
 */

type Column = { name: string; type: string; notNull: boolean };
export type TableDef = { name: string; columns: readonly Column[]; primaryKey?: string; indexes?: readonly string[] };

// "name type" or "name type!" (trailing ! = NOT NULL) keeps the long column lists readable.
function table(name: string, spec: string, extra: Omit<TableDef, "name" | "columns"> = {}): TableDef {
  const columns = spec
    .trim()
    .split(/\s*,\s*/)
    .map((entry) => {
      const [columnName, rawType] = entry.split(/\s+(.+)/) as [string, string];
      const notNull = rawType.endsWith("!");
      return { name: columnName, type: notNull ? rawType.slice(0, -1) : rawType, notNull };
    });
  return { name, columns, ...extra };
}

export const TABLES: readonly TableDef[] = [
  table(
    "person",
    `person_id integer!, gender_concept_id integer!, year_of_birth integer!, month_of_birth integer, day_of_birth integer,
     birth_datetime timestamp, race_concept_id integer!, ethnicity_concept_id integer!, location_id integer, provider_id integer,
     care_site_id integer, person_source_value varchar(50), gender_source_value varchar(50), gender_source_concept_id integer,
     race_source_value varchar(50), race_source_concept_id integer, ethnicity_source_value varchar(50), ethnicity_source_concept_id integer`,
    { primaryKey: "person_id", indexes: ["gender_concept_id", "year_of_birth"] },
  ),
  table(
    "observation_period",
    `observation_period_id integer!, person_id integer!, observation_period_start_date date!, observation_period_end_date date!,
     period_type_concept_id integer!`,
    { primaryKey: "observation_period_id", indexes: ["person_id"] },
  ),
  table(
    "visit_occurrence",
    `visit_occurrence_id integer!, person_id integer!, visit_concept_id integer!, visit_start_date date!, visit_start_datetime timestamp,
     visit_end_date date!, visit_end_datetime timestamp, visit_type_concept_id integer!, provider_id integer, care_site_id integer,
     visit_source_value varchar(50), visit_source_concept_id integer, admitted_from_concept_id integer, admitted_from_source_value varchar(50),
     discharged_to_concept_id integer, discharged_to_source_value varchar(50), preceding_visit_occurrence_id integer`,
    { primaryKey: "visit_occurrence_id", indexes: ["person_id", "visit_concept_id"] },
  ),
  table(
    "condition_occurrence",
    `condition_occurrence_id integer!, person_id integer!, condition_concept_id integer!, condition_start_date date!,
     condition_start_datetime timestamp, condition_end_date date, condition_end_datetime timestamp, condition_type_concept_id integer!,
     condition_status_concept_id integer, stop_reason varchar(20), provider_id integer, visit_occurrence_id integer, visit_detail_id integer,
     condition_source_value varchar(50), condition_source_concept_id integer, condition_status_source_value varchar(50)`,
    { primaryKey: "condition_occurrence_id", indexes: ["person_id", "condition_concept_id"] },
  ),
  table(
    "drug_exposure",
    `drug_exposure_id integer!, person_id integer!, drug_concept_id integer!, drug_exposure_start_date date!,
     drug_exposure_start_datetime timestamp, drug_exposure_end_date date!, drug_exposure_end_datetime timestamp, verbatim_end_date date,
     drug_type_concept_id integer!, stop_reason varchar(20), refills integer, quantity numeric, days_supply integer, sig text,
     route_concept_id integer, lot_number varchar(50), provider_id integer, visit_occurrence_id integer, visit_detail_id integer,
     drug_source_value varchar(50), drug_source_concept_id integer, route_source_value varchar(50), dose_unit_source_value varchar(50)`,
    { primaryKey: "drug_exposure_id", indexes: ["person_id", "drug_concept_id"] },
  ),
  table(
    "procedure_occurrence",
    `procedure_occurrence_id integer!, person_id integer!, procedure_concept_id integer!, procedure_date date!, procedure_datetime timestamp,
     procedure_end_date date, procedure_end_datetime timestamp, procedure_type_concept_id integer!, modifier_concept_id integer,
     quantity integer, provider_id integer, visit_occurrence_id integer, visit_detail_id integer, procedure_source_value varchar(50),
     procedure_source_concept_id integer, modifier_source_value varchar(50)`,
    { primaryKey: "procedure_occurrence_id", indexes: ["person_id", "procedure_concept_id"] },
  ),
  table(
    "measurement",
    `measurement_id integer!, person_id integer!, measurement_concept_id integer!, measurement_date date!, measurement_datetime timestamp,
     measurement_time varchar(10), measurement_type_concept_id integer!, operator_concept_id integer, value_as_number numeric,
     value_as_concept_id integer, unit_concept_id integer, range_low numeric, range_high numeric, provider_id integer,
     visit_occurrence_id integer, visit_detail_id integer, measurement_source_value varchar(50), measurement_source_concept_id integer,
     unit_source_value varchar(50), unit_source_concept_id integer, value_source_value varchar(50), measurement_event_id integer,
     meas_event_field_concept_id integer`,
    { primaryKey: "measurement_id", indexes: ["person_id", "measurement_concept_id"] },
  ),
  table(
    "observation",
    `observation_id integer!, person_id integer!, observation_concept_id integer!, observation_date date!, observation_datetime timestamp,
     observation_type_concept_id integer!, value_as_number numeric, value_as_string varchar(60), value_as_concept_id integer,
     qualifier_concept_id integer, unit_concept_id integer, provider_id integer, visit_occurrence_id integer, visit_detail_id integer,
     observation_source_value varchar(50), observation_source_concept_id integer, unit_source_value varchar(50),
     qualifier_source_value varchar(50), value_source_value varchar(50), observation_event_id integer, obs_event_field_concept_id integer`,
    { primaryKey: "observation_id", indexes: ["person_id", "observation_concept_id"] },
  ),
  table(
    "device_exposure",
    `device_exposure_id integer!, person_id integer!, device_concept_id integer!, device_exposure_start_date date!,
     device_exposure_start_datetime timestamp, device_exposure_end_date date, device_exposure_end_datetime timestamp,
     device_type_concept_id integer!, unique_device_id varchar(255), production_id varchar(255), quantity integer, provider_id integer,
     visit_occurrence_id integer, visit_detail_id integer, device_source_value varchar(50), device_source_concept_id integer,
     unit_concept_id integer, unit_source_value varchar(50), unit_source_concept_id integer`,
    { primaryKey: "device_exposure_id", indexes: ["person_id", "device_concept_id"] },
  ),
  table(
    "death",
    `person_id integer!, death_date date!, death_datetime timestamp, death_type_concept_id integer, cause_concept_id integer,
     cause_source_value varchar(50), cause_source_concept_id integer`,
    { indexes: ["person_id"] },
  ),
  table(
    "cdm_source",
    `cdm_source_name varchar(255)!, cdm_source_abbreviation varchar(25)!, cdm_holder varchar(255)!, source_description text,
     source_documentation_reference varchar(255), cdm_etl_reference varchar(255), source_release_date date!, cdm_release_date date!,
     cdm_version varchar(10), cdm_version_concept_id integer!, vocabulary_version varchar(20)!`,
  ),
  table(
    "concept",
    `concept_id integer!, concept_name varchar(255)!, domain_id varchar(20)!, vocabulary_id varchar(20)!, concept_class_id varchar(20)!,
     standard_concept varchar(1), concept_code varchar(50)!, valid_start_date date!, valid_end_date date!, invalid_reason varchar(1)`,
    { primaryKey: "concept_id", indexes: ["concept_code"] },
  ),
  table(
    "concept_ancestor",
    `ancestor_concept_id integer!, descendant_concept_id integer!, min_levels_of_separation integer!, max_levels_of_separation integer!`,
    { primaryKey: "ancestor_concept_id, descendant_concept_id", indexes: ["descendant_concept_id"] },
  ),
  table(
    "concept_relationship",
    `concept_id_1 integer!, concept_id_2 integer!, relationship_id varchar(20)!, valid_start_date date!, valid_end_date date!,
     invalid_reason varchar(1)`,
    { indexes: ["concept_id_1", "concept_id_2"] },
  ),
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

export function createTableSql(schema: string, def: TableDef): string {
  const columns = def.columns.map((c) => `  ${c.name} ${c.type}${c.notNull ? " NOT NULL" : " NULL"}`).join(",\n");
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
