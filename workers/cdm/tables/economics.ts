import { table, type TableDef } from "../table-def";

/** Health economics tables: insurance periods and costs. OMOP CDM 5.4 shapes (cdm-tables.ts derives 5.3). */
export const ECONOMICS_TABLES: readonly TableDef[] = [
  table(
    "payer_plan_period",
    `payer_plan_period_id integer!, person_id integer!, payer_plan_period_start_date date!, payer_plan_period_end_date date!,
     payer_concept_id integer, payer_source_value varchar(50), payer_source_concept_id integer, plan_concept_id integer,
     plan_source_value varchar(50), plan_source_concept_id integer, sponsor_concept_id integer, sponsor_source_value varchar(50),
     sponsor_source_concept_id integer, family_source_value varchar(50), stop_reason_concept_id integer,
     stop_reason_source_value varchar(50), stop_reason_source_concept_id integer`,
    { primaryKey: "payer_plan_period_id", indexes: ["person_id"] },
  ),
  table(
    "cost",
    `cost_id integer!, cost_event_id integer!, cost_domain_id varchar(20)!, cost_type_concept_id integer!,
     currency_concept_id integer, total_charge numeric, total_cost numeric, total_paid numeric, paid_by_payer numeric,
     paid_by_patient numeric, paid_patient_copay numeric, paid_patient_coinsurance numeric, paid_patient_deductible numeric,
     paid_by_primary numeric, paid_ingredient_cost numeric, paid_dispensing_fee numeric, payer_plan_period_id integer,
     amount_allowed numeric, revenue_code_concept_id integer, revenue_code_source_value varchar(50), drg_concept_id integer,
     drg_source_value varchar(3)`,
    { primaryKey: "cost_id", indexes: ["cost_event_id"] },
  ),
];
