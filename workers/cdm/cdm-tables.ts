import type { CdmVersion } from "./event-sources";
import { table, type TableDef } from "./table-def";
import { CLINICAL_TABLES } from "./tables/clinical";
import { DERIVED_TABLES } from "./tables/derived";
import { ECONOMICS_TABLES } from "./tables/economics";
import { HEALTH_SYSTEM_TABLES } from "./tables/health-system";
import { METADATA_TABLES } from "./tables/metadata";
import { VOCABULARY_TABLES } from "./tables/vocabulary";

/**
 * Every table of OMOP CDM 5.3 and 5.4 (checked column by column against the OHDSI specification in
 * cdm-versions.test.ts). The definitions in tables/ are 5.4; 5.3 differs in the changes below and
 * nowhere else. The MI-CDM imaging tables are an extension either version may lack (site-data/ddl.ts).
 */
export const CDM_54_TABLES: readonly TableDef[] = [
  ...CLINICAL_TABLES,
  ...HEALTH_SYSTEM_TABLES,
  ...ECONOMICS_TABLES,
  ...DERIVED_TABLES,
  ...METADATA_TABLES,
  ...VOCABULARY_TABLES,
];

type Change = {
  /** The table is new in 5.4. */
  absent?: true;
  drop?: string[];
  rename?: Record<string, string>;
  /** Columns 5.3 has and 5.4 does not, or has with another type or nullability: "name type" or "name type!". */
  set?: string[];
};

const TO_5_3: Record<string, Change> = {
  visit_occurrence: {
    rename: {
      admitted_from_concept_id: "admitting_source_concept_id",
      admitted_from_source_value: "admitting_source_value",
      discharged_to_concept_id: "discharge_to_concept_id",
      discharged_to_source_value: "discharge_to_source_value",
    },
  },
  visit_detail: {
    rename: {
      admitted_from_concept_id: "admitting_source_concept_id",
      admitted_from_source_value: "admitting_source_value",
      discharged_to_concept_id: "discharge_to_concept_id",
      discharged_to_source_value: "discharge_to_source_value",
      parent_visit_detail_id: "visit_detail_parent_id",
    },
  },
  procedure_occurrence: { drop: ["procedure_end_date", "procedure_end_datetime"] },
  measurement: { drop: ["unit_source_concept_id", "measurement_event_id", "meas_event_field_concept_id"] },
  observation: { drop: ["value_source_value", "observation_event_id", "obs_event_field_concept_id"] },
  note: { drop: ["note_event_id", "note_event_field_concept_id"] },
  device_exposure: {
    drop: ["production_id", "unit_concept_id", "unit_source_value", "unit_source_concept_id"],
    set: ["unique_device_id varchar(50)"],
  },
  location: { drop: ["country_concept_id", "country_source_value", "latitude", "longitude"] },
  episode: { absent: true },
  episode_event: { absent: true },
  cohort: { absent: true },
  metadata: { drop: ["metadata_id", "value_as_number"] },
  cdm_source: {
    drop: ["cdm_version_concept_id"],
    set: [
      "cdm_source_abbreviation varchar(25)",
      "cdm_holder varchar(255)",
      "source_release_date date",
      "cdm_release_date date",
      "vocabulary_version varchar(20)",
    ],
  },
  vocabulary: { set: ["vocabulary_reference varchar(255)!"] },
};

/** Removed in 5.4. */
const ONLY_5_3: readonly TableDef[] = [
  table(
    "attribute_definition",
    `attribute_definition_id integer!, attribute_name varchar(255)!, attribute_description text,
     attribute_type_concept_id integer!, attribute_syntax text`,
  ),
];

function to53(def: TableDef, change: Change): TableDef {
  const columns = def.columns
    .filter((c) => !change.drop?.includes(c.name))
    .map((c) => ({ ...c, name: change.rename?.[c.name] ?? c.name }))
    .map((c) => {
      const set = change.set?.find((s) => s.split(" ")[0] === c.name);
      if (!set) return c;
      const type = set.split(" ")[1]!;
      return { name: c.name, type: type.replace(/!$/, ""), notNull: type.endsWith("!") };
    });
  // A primary key on a column 5.3 does not have is left out with it.
  const primaryKey = def.primaryKey && columns.some((c) => c.name === def.primaryKey) ? def.primaryKey : undefined;
  const indexes = def.indexes?.filter((column) => columns.some((c) => c.name === column));
  return { name: def.name, columns, ...(primaryKey && { primaryKey }), ...(indexes && { indexes }) };
}

/** The tables of a CDM version, in the OHDSI DDL's column order. */
export function cdmTables(version: CdmVersion): TableDef[] {
  if (version === "5.4") return [...CDM_54_TABLES];
  return [
    ...CDM_54_TABLES.filter((def) => !TO_5_3[def.name]?.absent).map((def) => {
      const change = TO_5_3[def.name];
      return change ? to53(def, change) : def;
    }),
    ...ONLY_5_3,
  ];
}

/**
 * Where a 5.3 column's value is in the 5.4 table of the same name (a renamed column), or the same name.
 *
 * @internal
 */
export function columnIn54(tableName: string, column53: string): string {
  const renamed = Object.entries(TO_5_3[tableName]?.rename ?? {}).find(([, name53]) => name53 === column53);
  return renamed?.[0] ?? column53;
}
