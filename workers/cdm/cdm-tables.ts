import type { TableDef } from "../site-data/ddl";
import { TABLES } from "../site-data/ddl";
import type { CdmVersion } from "./event-sources";

/**
 * The OMOP CDM tables the worker reads, as CDM 5.3 and 5.4 define them (checked column by column
 * against the OHDSI specification in cdm-spec.test.ts). 5.4 is the generator's DDL; 5.3 differs
 * in the columns below and nowhere else among these tables. The MI-CDM imaging tables are an
 * extension that either version may lack.
 */
type Change = {
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
  procedure_occurrence: { drop: ["procedure_end_date", "procedure_end_datetime"] },
  measurement: { drop: ["unit_source_concept_id", "measurement_event_id", "meas_event_field_concept_id"] },
  observation: { drop: ["value_source_value", "observation_event_id", "obs_event_field_concept_id"] },
  device_exposure: {
    drop: ["production_id", "unit_concept_id", "unit_source_value", "unit_source_concept_id"],
    set: ["unique_device_id varchar(50)"],
  },
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
};

export function cdmTables(version: CdmVersion, options: { withImaging: boolean }): TableDef[] {
  const tables = TABLES.filter((t) => options.withImaging || t.name !== "image_occurrence");
  if (version === "5.4") return [...tables];
  return tables.map((def) => {
    const change = TO_5_3[def.name];
    if (!change) return def;
    const columns = def.columns
      .filter((c) => !change.drop?.includes(c.name))
      .map((c) => ({ ...c, name: change.rename?.[c.name] ?? c.name }))
      .map((c) => {
        const set = change.set?.find((s) => s.split(" ")[0] === c.name);
        if (!set) return c;
        const type = set.split(" ")[1]!;
        return { name: c.name, type: type.replace(/!$/, ""), notNull: type.endsWith("!") };
      });
    return { ...def, columns };
  });
}
