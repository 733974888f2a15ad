import type { EventCriterion } from "@/protocol/cohort-definition";
import type { TableName } from "@/protocol/omop/tables";

/**
 * Where each kind of event lives in OMOP CDM, by CDM version: table, concept column, the row's id,
 * the start date that counts and the end date (ATLAS's convention: the recorded end, else the day
 * after the start). Every column name that differs between CDM 5.3 and 5.4 and that the worker
 * reads is decided here and nowhere else.
 */
export const CDM_VERSIONS = ["5.3", "5.4"] as const;
export type CdmVersion = (typeof CDM_VERSIONS)[number];

export type EventSource = {
  table: TableName;
  concept: string;
  /** The source concept column (ATLAS's "…SourceConcept" criteria); imaging has none. */
  sourceConcept?: string;
  start: string;
  /** The visit the record belongs to (ATLAS's "restrict to the same visit"); death has none. */
  visit?: string;
  /** Tie-break for "first occurrence"; death has one row per person and needs none. */
  id?: string;
  /** SQL for the event's end date over the row alias `x`; only fixed names appear in it. */
  end: (x: string) => string;
  /** An era's count of the records it joins (ATLAS's OccurrenceCount on an era). */
  eraCount?: string;
  /** Whether the table has value_as_number, value_as_concept_id and unit_concept_id. */
  hasValue?: boolean;
};

type EventType = EventCriterion["type"];

const dayAfter = (column: string) => (x: string) => `(${x}.${column} + 1)`;
const endOr = (endColumn: string, startColumn: string) => (x: string) =>
  `coalesce(${x}.${endColumn}, ${x}.${startColumn} + 1)`;

const COMMON: Record<Exclude<EventType, "procedure">, EventSource> = {
  condition: {
    table: "condition_occurrence",
    concept: "condition_concept_id",
    sourceConcept: "condition_source_concept_id",
    start: "condition_start_date",
    id: "condition_occurrence_id",
    visit: "visit_occurrence_id",
    end: endOr("condition_end_date", "condition_start_date"),
  },
  drug: {
    table: "drug_exposure",
    concept: "drug_concept_id",
    sourceConcept: "drug_source_concept_id",
    start: "drug_exposure_start_date",
    id: "drug_exposure_id",
    visit: "visit_occurrence_id",
    end: (x) =>
      `coalesce(${x}.drug_exposure_end_date, ${x}.drug_exposure_start_date + ${x}.days_supply, ${x}.drug_exposure_start_date + 1)`,
  },
  visit: {
    table: "visit_occurrence",
    concept: "visit_concept_id",
    sourceConcept: "visit_source_concept_id",
    start: "visit_start_date",
    id: "visit_occurrence_id",
    visit: "visit_occurrence_id",
    end: endOr("visit_end_date", "visit_start_date"),
  },
  device: {
    table: "device_exposure",
    concept: "device_concept_id",
    sourceConcept: "device_source_concept_id",
    start: "device_exposure_start_date",
    id: "device_exposure_id",
    visit: "visit_occurrence_id",
    end: endOr("device_exposure_end_date", "device_exposure_start_date"),
  },
  measurement: {
    table: "measurement",
    concept: "measurement_concept_id",
    sourceConcept: "measurement_source_concept_id",
    start: "measurement_date",
    id: "measurement_id",
    visit: "visit_occurrence_id",
    end: dayAfter("measurement_date"),
    hasValue: true,
  },
  observation: {
    table: "observation",
    concept: "observation_concept_id",
    sourceConcept: "observation_source_concept_id",
    start: "observation_date",
    id: "observation_id",
    visit: "visit_occurrence_id",
    end: dayAfter("observation_date"),
    hasValue: true,
  },
  death: {
    table: "death",
    concept: "cause_concept_id",
    sourceConcept: "cause_source_concept_id",
    start: "death_date",
    end: dayAfter("death_date"),
  },
  conditionEra: {
    table: "condition_era",
    concept: "condition_concept_id",
    start: "condition_era_start_date",
    id: "condition_era_id",
    end: (x) => `${x}.condition_era_end_date`,
    eraCount: "condition_occurrence_count",
  },
  drugEra: {
    table: "drug_era",
    concept: "drug_concept_id",
    start: "drug_era_start_date",
    id: "drug_era_id",
    end: (x) => `${x}.drug_era_end_date`,
    eraCount: "drug_exposure_count",
  },
  imaging: {
    table: "image_occurrence",
    concept: "modality_concept_id",
    start: "image_occurrence_date",
    id: "image_occurrence_id",
    end: dayAfter("image_occurrence_date"),
  },
};

const PROCEDURE = {
  table: "procedure_occurrence",
  concept: "procedure_concept_id",
  sourceConcept: "procedure_source_concept_id",
  start: "procedure_date",
  id: "procedure_occurrence_id",
  visit: "visit_occurrence_id",
} as const;

export function eventSource(type: EventType, cdmVersion: CdmVersion): EventSource {
  if (type !== "procedure") return COMMON[type];
  // procedure_end_date arrived with CDM 5.4.
  return cdmVersion === "5.4"
    ? { ...PROCEDURE, end: endOr("procedure_end_date", "procedure_date") }
    : { ...PROCEDURE, end: dayAfter("procedure_date") };
}
