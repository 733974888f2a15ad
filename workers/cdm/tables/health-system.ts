import { table, type TableDef } from "../table-def";

/** Health system tables: where care is given and by whom. OMOP CDM 5.4 shapes (cdm-tables.ts derives 5.3). */
export const HEALTH_SYSTEM_TABLES: readonly TableDef[] = [
  table(
    "location",
    `location_id integer!, address_1 varchar(50), address_2 varchar(50), city varchar(50), state varchar(2), zip varchar(9),
     county varchar(20), location_source_value varchar(50), country_concept_id integer, country_source_value varchar(80),
     latitude numeric, longitude numeric`,
    { primaryKey: "location_id" },
  ),
  table(
    "care_site",
    `care_site_id integer!, care_site_name varchar(255), place_of_service_concept_id integer, location_id integer,
     care_site_source_value varchar(50), place_of_service_source_value varchar(50)`,
    { primaryKey: "care_site_id" },
  ),
  table(
    "provider",
    `provider_id integer!, provider_name varchar(255), npi varchar(20), dea varchar(20), specialty_concept_id integer,
     care_site_id integer, year_of_birth integer, gender_concept_id integer, provider_source_value varchar(50),
     specialty_source_value varchar(50), specialty_source_concept_id integer, gender_source_value varchar(50),
     gender_source_concept_id integer`,
    { primaryKey: "provider_id" },
  ),
];
