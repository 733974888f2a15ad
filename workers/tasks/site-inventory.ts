import type { TaskHandler } from "./base";
import { modalityCode, STANDARD_MODALITIES } from "@/protocol/omop/modality";
import { inspectSiteSchema } from "../cdm/site-schema";

/**
 * What the site holds: its CDM version, persons, observation years, whether it has the MI-CDM
 * imaging tables and images per modality, and the most common conditions, as exact figures for the
 * release gate, which suppresses and rounds them. A database without the imaging tables (the
 * official OHDSI DDL has none) reports imaging as not available instead of failing.
 */
const TOP_CONDITIONS = 10;
const STATEMENT_TIMEOUT_MS = 60_000;

type CountRow = { n: number };
type ConceptCountRow = { concept_id: number; name: string | null; n: number };

export const siteInventoryTask: TaskHandler<"site_inventory"> = {
  kind: "site_inventory",
  async run(payload, ctx) {
    const t = ctx.siteDb.table;
    const counts = await ctx.siteDb.readOnly(
      async (query) => {
        const schema = await inspectSiteSchema(query, t);
        const [persons] = await query<CountRow>(`SELECT count(*)::int AS n FROM ${t("person")}`);
        await ctx.progress(25, "counting_persons");
        // Whole years of observation across all periods: date - date is a day count.
        const [years] = await query<CountRow>(
          `SELECT coalesce(floor(sum(observation_period_end_date - observation_period_start_date) / 365.25), 0)::int AS n FROM ${t("observation_period")}`,
        );
        await ctx.progress(50, "summing_observation");
        const images = schema.isImagingAvailable
          ? await query<ConceptCountRow>(
              `SELECT io.modality_concept_id AS concept_id, c.concept_name AS name, count(*)::int AS n
                 FROM ${t("image_occurrence")} io LEFT JOIN ${t("concept")} c ON c.concept_id = io.modality_concept_id
                GROUP BY io.modality_concept_id, c.concept_name`,
            )
          : [];
        await ctx.progress(75, "counting_images");
        // Concept 0 means "no matching concept" in OMOP: not a condition worth listing.
        const conditions = await query<ConceptCountRow>(
          `SELECT co.condition_concept_id AS concept_id, c.concept_name AS name, count(DISTINCT co.person_id)::int AS n
             FROM ${t("condition_occurrence")} co LEFT JOIN ${t("concept")} c ON c.concept_id = co.condition_concept_id
            WHERE co.condition_concept_id <> 0
            GROUP BY co.condition_concept_id, c.concept_name
            ORDER BY n DESC, co.condition_concept_id ASC
            LIMIT $1`,
          [TOP_CONDITIONS],
        );
        return { schema, persons: persons?.n ?? 0, years: years?.n ?? 0, images, conditions };
      },
      { statementTimeoutMs: STATEMENT_TIMEOUT_MS, signal: ctx.signal },
    );
    // Sum per modality before release, so two concepts for "CT" are judged as one cell.
    const perModality = new Map<string, number>(
      counts.schema.isImagingAvailable ? STANDARD_MODALITIES.map((m) => [m, 0]) : [],
    );
    for (const row of counts.images) {
      const code = modalityCode(row.concept_id, row.name);
      perModality.set(code, (perModality.get(code) ?? 0) + row.n);
    }
    return {
      cdmVersion: counts.schema.cdmVersion,
      imagingAvailable: counts.schema.isImagingAvailable,
      persons: counts.persons,
      observationYears: counts.years,
      imagesByModality: Object.fromEntries(perModality),
      topConditions: counts.conditions.map((c) => ({
        conceptId: c.concept_id,
        name: (c.name ?? `Concept ${c.concept_id}`).slice(0, 255),
        persons: c.n,
      })),
    };
  },
};
