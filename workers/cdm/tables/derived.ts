import { table, type TableDef } from "../table-def";

/** Derived elements: the eras OHDSI tools build from exposures and conditions, episodes of care, cohorts. OMOP CDM 5.4 shapes (cdm-tables.ts derives 5.3). */
export const DERIVED_TABLES: readonly TableDef[] = [
  table(
    "drug_era",
    `drug_era_id integer!, person_id integer!, drug_concept_id integer!, drug_era_start_date date!, drug_era_end_date date!,
     drug_exposure_count integer, gap_days integer`,
    { primaryKey: "drug_era_id", indexes: ["person_id", "drug_concept_id"] },
  ),
  table(
    "dose_era",
    `dose_era_id integer!, person_id integer!, drug_concept_id integer!, unit_concept_id integer!, dose_value numeric!,
     dose_era_start_date date!, dose_era_end_date date!`,
    { primaryKey: "dose_era_id", indexes: ["person_id", "drug_concept_id"] },
  ),
  table(
    "condition_era",
    `condition_era_id integer!, person_id integer!, condition_concept_id integer!, condition_era_start_date date!,
     condition_era_end_date date!, condition_occurrence_count integer`,
    { primaryKey: "condition_era_id", indexes: ["person_id", "condition_concept_id"] },
  ),
  table(
    "episode",
    `episode_id integer!, person_id integer!, episode_concept_id integer!, episode_start_date date!,
     episode_start_datetime timestamp, episode_end_date date, episode_end_datetime timestamp, episode_parent_id integer,
     episode_number integer, episode_object_concept_id integer!, episode_type_concept_id integer!,
     episode_source_value varchar(50), episode_source_concept_id integer`,
    { primaryKey: "episode_id", indexes: ["person_id", "episode_concept_id"] },
  ),
  table("episode_event", `episode_id integer!, event_id integer!, episode_event_field_concept_id integer!`, {
    indexes: ["episode_id"],
  }),
  table(
    "cohort",
    `cohort_definition_id integer!, subject_id integer!, cohort_start_date date!, cohort_end_date date!`,
    { indexes: ["subject_id", "cohort_definition_id"] },
  ),
  table(
    "cohort_definition",
    `cohort_definition_id integer!, cohort_definition_name varchar(255)!, cohort_definition_description text,
     definition_type_concept_id integer!, cohort_definition_syntax text, subject_concept_id integer!, cohort_initiation_date date`,
    { indexes: ["cohort_definition_id"] },
  ),
];
