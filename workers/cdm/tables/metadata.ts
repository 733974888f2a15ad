import { table, type TableDef } from "../table-def";

/** Metadata tables: the source's description (the worker reads its CDM version) and free-form metadata. OMOP CDM 5.4 shapes (cdm-tables.ts derives 5.3). */
export const METADATA_TABLES: readonly TableDef[] = [
  table(
    "cdm_source",
    `cdm_source_name varchar(255)!, cdm_source_abbreviation varchar(25)!, cdm_holder varchar(255)!, source_description text,
     source_documentation_reference varchar(255), cdm_etl_reference varchar(255), source_release_date date!, cdm_release_date date!,
     cdm_version varchar(10), cdm_version_concept_id integer!, vocabulary_version varchar(20)!`,
  ),
  table(
    "metadata",
    `metadata_id integer!, metadata_concept_id integer!, metadata_type_concept_id integer!, name varchar(250)!,
     value_as_string varchar(250), value_as_concept_id integer, value_as_number numeric, metadata_date date,
     metadata_datetime timestamp`,
    { primaryKey: "metadata_id" },
  ),
];
