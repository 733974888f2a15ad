import { queryCohortMembers } from "../cohort/run-cohort";
import type { CohortDefinition } from "@/protocol/cohort-definition";
import type { ModelPackage, Split } from "@/protocol/training";
import type { TaskContext } from "../tasks/base";
import type { Dataset } from "./examples";
import { imageSelect, loadImages, type ImageRow } from "./images";
import { encodeTabular, tabularSelect, type TabularRow } from "./tabular";

/**
 * Builds a task's dataset from the site's OMOP database (one read-only statement: the cohort and
 * its features or image list in one snapshot) and, for image models, the site's image files.
 * Nothing here logs or reports a value from a row: only counts leave this module.
 */
const STATEMENT_TIMEOUT_MS = 120_000;

export type DatasetRequest = {
  cohort: CohortDefinition;
  model: Pick<ModelPackage, "input" | "outcome">;
  split: Split;
  /** The `evaluate` task scores only the test split; image files of the other splits are not read. */
  isTestOnly?: boolean;
};

export async function buildDataset(
  request: DatasetRequest,
  ctx: Pick<TaskContext, "siteDb" | "signal" | "dataDir" | "log" | "progress" | "imaging">,
  progressRange: [number, number],
): Promise<Dataset> {
  const { cohort, model, split } = request;
  const input = model.input;
  const dbOptions = { statementTimeoutMs: STATEMENT_TIMEOUT_MS, signal: ctx.signal };
  const table = ctx.siteDb.table;
  if (input.kind === "tabular") {
    const rows = await ctx.siteDb.readOnly(
      (query) =>
        queryCohortMembers<TabularRow>(query, cohort, { table }, (builder, members) =>
          tabularSelect(builder, members, input.features, model.outcome),
        ),
      dbOptions,
    );
    return encodeTabular(rows, input.features, split);
  }
  const rows = await ctx.siteDb.readOnly(
    (query) =>
      queryCohortMembers<ImageRow>(query, cohort, { table, withModalities: true }, (builder, members) =>
        imageSelect(builder, members, input, model.outcome),
      ),
    dbOptions,
  );
  const [from, to] = progressRange;
  const dataset = await loadImages(rows, input, split, {
    dataDir: ctx.dataDir,
    log: ctx.log,
    signal: ctx.signal,
    isTestOnly: request.isTestOnly ?? false,
    onProgress: (fraction) => ctx.progress(from + (to - from) * fraction, "reading_images"),
    pacs: ctx.imaging?.pacs,
    concurrency: ctx.imaging?.concurrency,
  });
  ctx.imaging?.health.record(dataset.unreadableImages ?? 0, rows.length);
  return dataset;
}
