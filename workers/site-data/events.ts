import { CONCEPT } from "@/protocol/omop/concepts";
import { dicomUid } from "./random";
import { TableBuffer, type Value } from "./writer";

/** Row builders for the clinical event tables, with id sequences, so pathways read like a care story. */

const MS_PER_DAY = 86_400_000;
/** Data are generated as of this fixed day, never "today", so output does not drift with the clock. */
export const REFERENCE_DAY = Date.UTC(2024, 11, 31) / MS_PER_DAY;

export function isoDate(day: number): string {
  return new Date(day * MS_PER_DAY).toISOString().slice(0, 10);
}

export type Modality = "CT" | "MR";

export type ImageTask = {
  imageOccurrenceId: number;
  modality: Modality;
  hasLesion: boolean;
  /** Seed for the image's own random stream, so images render independently of each other. */
  seed: number;
  /** Where the worker finds it: a PNG file, a DICOM series folder, or null when it is on the PACS. */
  localPath: string | null;
  personId: number;
  studyUid: string;
  seriesUid: string;
  /** The study date, YYYY-MM-DD. */
  date: string;
};

/** How the site's scans are stored: 8-bit PNG slices, DICOM series folders, or DICOM series on a PACS. */
export type ImageStore = "png" | "dicom" | "pacs";

export const EVENT_TABLES = [
  "person",
  "observation_period",
  "visit_occurrence",
  "condition_occurrence",
  "procedure_occurrence",
  "measurement",
  "drug_exposure",
  "image_occurrence",
] as const;
export type EventTable = (typeof EVENT_TABLES)[number];

const MODALITY_CONCEPT: Record<Modality, number> = {
  CT: CONCEPT.computedTomography,
  MR: CONCEPT.magneticResonanceImaging,
};
const round = (value: number, digits: number) => Math.round(value * 10 ** digits) / 10 ** digits;

export class EventWriter {
  readonly tables: Record<EventTable, TableBuffer>;
  readonly images: ImageTask[] = [];
  private readonly ids: Record<EventTable, number>;

  constructor(
    private readonly uidScope: string,
    private readonly imageStore: ImageStore = "png",
  ) {
    this.tables = Object.fromEntries(EVENT_TABLES.map((t) => [t, new TableBuffer(t)])) as Record<
      EventTable,
      TableBuffer
    >;
    this.ids = Object.fromEntries(EVENT_TABLES.map((t) => [t, 0])) as Record<EventTable, number>;
  }

  private nextId(table: EventTable): number {
    return ++this.ids[table];
  }

  /** Empties the row buffers after they were loaded; id sequences and the image list carry on. */
  clearRows(): void {
    for (const buffer of Object.values(this.tables)) buffer.clear();
  }

  push(table: EventTable, values: Readonly<Record<string, Value | undefined>>): void {
    this.tables[table].push(values);
  }

  visit(personId: number, conceptId: number, start: number, end: number, precedingVisitId?: number): number {
    const id = this.nextId("visit_occurrence");
    this.push("visit_occurrence", {
      visit_occurrence_id: id,
      person_id: personId,
      visit_concept_id: conceptId,
      visit_start_date: isoDate(start),
      visit_end_date: isoDate(end),
      visit_type_concept_id: CONCEPT.ehr,
      preceding_visit_occurrence_id: precedingVisitId,
    });
    return id;
  }

  condition(personId: number, conceptId: number, day: number, visitId: number | undefined, sourceValue: string): void {
    this.push("condition_occurrence", {
      condition_occurrence_id: this.nextId("condition_occurrence"),
      person_id: personId,
      condition_concept_id: conceptId,
      condition_start_date: isoDate(day),
      condition_type_concept_id: CONCEPT.ehr,
      visit_occurrence_id: visitId,
      condition_source_value: sourceValue,
      condition_source_concept_id: 0,
    });
  }

  procedure(
    personId: number,
    conceptId: number,
    day: number,
    visitId: number | undefined,
    sourceValue: string,
  ): number {
    const id = this.nextId("procedure_occurrence");
    this.push("procedure_occurrence", {
      procedure_occurrence_id: id,
      person_id: personId,
      procedure_concept_id: conceptId,
      procedure_date: isoDate(day),
      procedure_type_concept_id: CONCEPT.ehr,
      visit_occurrence_id: visitId,
      procedure_source_value: sourceValue,
      procedure_source_concept_id: 0,
    });
    return id;
  }

  measurement(
    personId: number,
    conceptId: number,
    day: number,
    visitId: number,
    value: number,
    unitConceptId: number,
    range: [number, number],
  ): void {
    this.push("measurement", {
      measurement_id: this.nextId("measurement"),
      person_id: personId,
      measurement_concept_id: conceptId,
      measurement_date: isoDate(day),
      measurement_type_concept_id: CONCEPT.ehr,
      value_as_number: round(value, 2),
      unit_concept_id: unitConceptId,
      range_low: range[0],
      range_high: range[1],
      visit_occurrence_id: visitId,
      measurement_source_concept_id: 0,
    });
  }

  drug(
    personId: number,
    conceptId: number,
    start: number,
    days: number,
    visitId: number | undefined,
    sourceValue: string,
  ): void {
    this.push("drug_exposure", {
      drug_exposure_id: this.nextId("drug_exposure"),
      person_id: personId,
      drug_concept_id: conceptId,
      drug_exposure_start_date: isoDate(start),
      drug_exposure_end_date: isoDate(start + days - 1),
      drug_type_concept_id: CONCEPT.ehr,
      days_supply: days,
      quantity: days,
      visit_occurrence_id: visitId,
      drug_source_value: sourceValue,
      drug_source_concept_id: 0,
    });
  }

  /** One single-image series: the procedure, its image_occurrence row, and a task to render the file. */
  imagingStudy(
    personId: number,
    modality: Modality,
    procedureConceptId: number,
    day: number,
    visitId: number,
    hasLesion: boolean,
    seed: number,
  ): void {
    const procedureId = this.procedure(
      personId,
      procedureConceptId,
      day,
      visitId,
      modality === "CT" ? "CT head" : "MRI prostate",
    );
    const imageOccurrenceId = this.nextId("image_occurrence");
    const studyUid = dicomUid(this.uidScope, "study", imageOccurrenceId);
    const seriesUid = dicomUid(this.uidScope, "series", imageOccurrenceId);
    const folder = `images/${modality}/${seriesUid}`;
    const localPath = this.imageStore === "png" ? `${folder}.png` : this.imageStore === "dicom" ? folder : null;
    this.push("image_occurrence", {
      image_occurrence_id: imageOccurrenceId,
      person_id: personId,
      procedure_occurrence_id: procedureId,
      visit_occurrence_id: visitId,
      local_path: localPath,
      image_occurrence_date: isoDate(day),
      image_study_uid: studyUid,
      image_series_uid: seriesUid,
      modality_concept_id: MODALITY_CONCEPT[modality],
    });
    this.images.push({
      imageOccurrenceId,
      modality,
      hasLesion,
      seed,
      localPath,
      personId,
      studyUid,
      seriesUid,
      date: isoDate(day),
    });
  }
}
