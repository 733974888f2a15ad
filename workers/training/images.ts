import type { SqlBuilder } from "../cohort/sql-params";
import { ImageProblemTally } from "../imaging/image-problems";
import { loadVolume, type SeriesRetriever } from "../imaging/image-source";
import { mapConcurrently } from "../imaging/concurrency";
import { preprocessVolume } from "../imaging/preprocess";
import type { Logger } from "../log";
import { TaskAbortedError } from "../site-db";
import type { ModelPackage, Split } from "@/protocol/training";
import { splitExamples, type Dataset } from "./examples";
import { splitOf } from "./split";
import { outcomeSql } from "./tabular";

/**
 * Image examples: one per image_occurrence (MI-CDM) of a cohort member in the model's modality,
 * read from `local_path` under the site's data folder, or by its study and series UIDs from the
 * PACS. A scan is positive when its person has an outcome condition starting on or before the scan
 * date. Its split follows its person's.
 */
export type ImageRow = {
  person_id: number;
  local_path: string | null;
  image_study_uid: string | null;
  image_series_uid: string | null;
  label: boolean;
};
type ImageInput = Extract<ModelPackage["input"], { kind: "image" }>;

export function imageSelect(
  builder: SqlBuilder,
  members: string,
  input: ImageInput,
  outcome: ModelPackage["outcome"],
): string {
  const modalityIds = builder.bind(builder.options.modalityConceptIds[input.modality] ?? [], "bigint[]");
  return `SELECT m.person_id, i.local_path, i.image_study_uid, i.image_series_uid, ${outcomeSql(builder, outcome, "i.image_occurrence_date", true)} AS label
  FROM ${members} m JOIN ${builder.table("image_occurrence")} i ON i.person_id = m.person_id
 WHERE i.modality_concept_id = ANY(${modalityIds})
 ORDER BY i.image_occurrence_id`;
}

export type ImageLoadOptions = {
  dataDir: string;
  log: Logger;
  signal: AbortSignal;
  /** Evaluation needs only the test split's scans: the other splits' files are not read at all. */
  isTestOnly: boolean;
  onProgress: (fraction: number) => Promise<void>;
  /** The Trust's PACS over DICOMweb, for rows without a local path (workers/imaging/dicomweb/). */
  pacs?: SeriesRetriever;
  /** Images read at once: PACS retrievals overlap their network waits. */
  concurrency?: number;
};

/**
 * Reads every referenced image (DICOM file or series, NIfTI, PNG, or a PACS series) and turns it
 * into the model's input with the spec's preprocessing (workers/imaging/preprocess.ts). An image
 * that is missing or unreadable is left out and counted by reason: the worker logs how many and
 * where they were looked for (the data folder or the PACS), never a path or a UID, and the dataset
 * carries the count so that a task refuses as "images unavailable", not as a small cohort.
 */
export async function loadImages(
  rows: readonly ImageRow[],
  input: ImageInput,
  split: Split,
  options: ImageLoadOptions,
): Promise<Dataset> {
  const size = input.height * input.width * input.channels;
  const wanted = rows
    .map((row) => ({ row, which: splitOf(split, row.person_id) }))
    .filter(({ which }) => !options.isTestOnly || which === "test");
  const problems = new ImageProblemTally();
  const source = {
    dataDir: options.dataDir,
    niftiUnits: input.modality === "CT" ? ("hounsfield" as const) : ("scanner" as const),
    pacs: options.pacs,
    signal: options.signal,
  };
  let done = 0;
  const inputs = await mapConcurrently(wanted, options.concurrency ?? 2, options.signal, async ({ row }) => {
    try {
      const reference = { localPath: row.local_path, studyUid: row.image_study_uid, seriesUid: row.image_series_uid };
      return preprocessVolume(await loadVolume(reference, source), input);
    } catch (error) {
      problems.add(error);
      return null;
    } finally {
      if (++done % 200 === 0) await options.onProgress(done / wanted.length);
    }
  });
  // An aborted task stops here: the images it did not read are not missing.
  if (options.signal.aborted) throw new TaskAbortedError("task aborted while reading images");
  const examples = wanted.flatMap(({ row, which }, i) =>
    inputs[i] ? [{ x: inputs[i], y: row.label ? 1 : 0, split: which }] : [],
  );
  if (problems.total > 0)
    options.log.warn("Referenced images were missing or unreadable; they were left out", {
      ...problems.summary(),
      where: options.pacs ? `the image folder ${options.dataDir} and the PACS` : `the image folder ${options.dataDir}`,
    });
  return {
    exampleShape: [input.height, input.width, input.channels],
    ...splitExamples(examples, size),
    unreadableImages: problems.total,
  };
}
