import { table, type TableDef } from "../table-def";

/** Standardized vocabulary tables; the generator fills concept and concept_ancestor with its curated subset. OMOP CDM 5.4 shapes (cdm-tables.ts derives 5.3). */
export const VOCABULARY_TABLES: readonly TableDef[] = [
  table(
    "concept",
    `concept_id integer!, concept_name varchar(255)!, domain_id varchar(20)!, vocabulary_id varchar(20)!, concept_class_id varchar(20)!,
     standard_concept varchar(1), concept_code varchar(50)!, valid_start_date date!, valid_end_date date!, invalid_reason varchar(1)`,
    { primaryKey: "concept_id", indexes: ["concept_code"] },
  ),
  table(
    "vocabulary",
    `vocabulary_id varchar(20)!, vocabulary_name varchar(255)!, vocabulary_reference varchar(255),
     vocabulary_version varchar(255), vocabulary_concept_id integer!`,
    { primaryKey: "vocabulary_id" },
  ),
  table("domain", `domain_id varchar(20)!, domain_name varchar(255)!, domain_concept_id integer!`, {
    primaryKey: "domain_id",
  }),
  table(
    "concept_class",
    `concept_class_id varchar(20)!, concept_class_name varchar(255)!, concept_class_concept_id integer!`,
    { primaryKey: "concept_class_id" },
  ),
  table(
    "concept_relationship",
    `concept_id_1 integer!, concept_id_2 integer!, relationship_id varchar(20)!, valid_start_date date!, valid_end_date date!,
     invalid_reason varchar(1)`,
    { indexes: ["concept_id_1", "concept_id_2"] },
  ),
  table(
    "relationship",
    `relationship_id varchar(20)!, relationship_name varchar(255)!, is_hierarchical varchar(1)!, defines_ancestry varchar(1)!,
     reverse_relationship_id varchar(20)!, relationship_concept_id integer!`,
    { primaryKey: "relationship_id" },
  ),
  table("concept_synonym", `concept_id integer!, concept_synonym_name varchar(1000)!, language_concept_id integer!`, {
    indexes: ["concept_id"],
  }),
  table(
    "concept_ancestor",
    `ancestor_concept_id integer!, descendant_concept_id integer!, min_levels_of_separation integer!, max_levels_of_separation integer!`,
    { primaryKey: "ancestor_concept_id, descendant_concept_id", indexes: ["descendant_concept_id"] },
  ),
  table(
    "source_to_concept_map",
    `source_code varchar(50)!, source_concept_id integer!, source_vocabulary_id varchar(20)!,
     source_code_description varchar(255), target_concept_id integer!, target_vocabulary_id varchar(20)!, valid_start_date date!,
     valid_end_date date!, invalid_reason varchar(1)`,
    { indexes: ["source_code", "source_vocabulary_id", "target_concept_id"] },
  ),
  table(
    "drug_strength",
    `drug_concept_id integer!, ingredient_concept_id integer!, amount_value numeric, amount_unit_concept_id integer,
     numerator_value numeric, numerator_unit_concept_id integer, denominator_value numeric, denominator_unit_concept_id integer,
     box_size integer, valid_start_date date!, valid_end_date date!, invalid_reason varchar(1)`,
    { indexes: ["drug_concept_id", "ingredient_concept_id"] },
  ),
];
