/**
 * The OMOP CDM (and MI-CDM imaging) tables the platform reads at a site. The site worker's SQL and
 * the demo generator's DDL both name tables only through this type, so a table the worker queries is
 * one the generator creates.
 */
export const OMOP_TABLES = [
  "person",
  "observation_period",
  "visit_occurrence",
  "condition_occurrence",
  "drug_exposure",
  "procedure_occurrence",
  "measurement",
  "observation",
  "device_exposure",
  "death",
  "cdm_source",
  "concept",
  "concept_ancestor",
  "concept_relationship",
  "image_occurrence",
] as const;

/**
 * Era tables OHDSI tools derive from conditions and drug exposures: read only by era criteria, so a
 * site without them runs everything else (such a criterion is refused naming the table).
 */
export const ERA_TABLES = ["condition_era", "drug_era"] as const;

export type TableName = (typeof OMOP_TABLES)[number] | (typeof ERA_TABLES)[number];

/** MI-CDM imaging tables: a CDM 5.3 or 5.4 database built on the official OHDSI DDL lacks them, and the site still runs everything else. */
export const IMAGING_TABLES = ["image_occurrence"] as const satisfies readonly TableName[];

export function isImagingTable(name: TableName): boolean {
  return (IMAGING_TABLES as readonly TableName[]).includes(name);
}
