import { CONCEPT } from "@/protocol/omop/concepts";
import { EventWriter, isoDate, REFERENCE_DAY, type ImageStore } from "./events";
import { ageOn, type Patient } from "./patient";
import { prostatePathway, strokePathway } from "./pathways";
import type { SiteProfile } from "./profiles";
import { createRng, hashSeed, sigmoid, type Rng } from "./random";

/** Synthetic patients: demographics, observation period, routine primary-care style contact and comorbidities. */

const RACES = [CONCEPT.white, CONCEPT.black, CONCEPT.asian] as const;
const RACE_SOURCE: Record<(typeof RACES)[number], string> = {
  [CONCEPT.white]: "White",
  [CONCEPT.black]: "Black",
  [CONCEPT.asian]: "Asian",
};

function pickWeighted<T>(rng: Rng, items: readonly T[], weights: readonly number[]): T {
  const total = weights.reduce((a, b) => a + b, 0);
  let r = rng.next() * total;
  for (let i = 0; i < items.length; i++) {
    r -= weights[i] ?? 0;
    if (r < 0) return items[i] as T;
  }
  return items[items.length - 1] as T;
}

function sampleAge(rng: Rng, profile: SiteProfile): number {
  const age = rng.bernoulli(profile.olderFraction) ? rng.normal(71, 10) : rng.normal(38, 12);
  return Math.min(99, Math.max(18, age));
}

function routineCare(patient: Patient, writer: EventWriter): void {
  const { rng, id } = patient;
  const age = ageOn(patient, REFERENCE_DAY);
  const visits = 1 + rng.int(0, 3) + (age > 65 ? 2 : 0);
  const days = Array.from({ length: visits }, () => rng.int(patient.obsStart, patient.obsEnd)).sort((a, b) => a - b);
  days.forEach((day, index) => {
    const visitId = writer.visit(id, CONCEPT.outpatientVisit, day, day);
    const ageThen = ageOn(patient, day);
    const htn = patient.hasHypertension ? 1 : 0;
    writer.measurement(
      id,
      CONCEPT.systolicBp,
      day,
      visitId,
      118 + 0.45 * (ageThen - 40) + 14 * htn + rng.normal(0, 11),
      CONCEPT.millimetreOfMercury,
      [90, 140],
    );
    writer.measurement(
      id,
      CONCEPT.diastolicBp,
      day,
      visitId,
      76 + 0.1 * (ageThen - 40) + 7 * htn + rng.normal(0, 8),
      CONCEPT.millimetreOfMercury,
      [60, 90],
    );
    if (rng.bernoulli(0.4)) {
      writer.measurement(
        id,
        CONCEPT.bmi,
        day,
        visitId,
        27 + 2 * (patient.hasDiabetes ? 1 : 0) + rng.normal(0, 4.5),
        CONCEPT.kilogramPerSquareMetre,
        [18.5, 25],
      );
    }
    if (rng.bernoulli(0.5)) {
      const hb = patient.isMale ? rng.normal(14.8, 1.2) : rng.normal(13.4, 1.1);
      writer.measurement(
        id,
        CONCEPT.haemoglobin,
        day,
        visitId,
        hb,
        CONCEPT.gramPerDecilitre,
        patient.isMale ? [13, 17] : [12, 15.5],
      );
    }
    if (rng.bernoulli(0.5)) {
      const base = patient.isMale ? 1.0 : 0.8;
      const creatinine = Math.max(
        0.4,
        base + 0.006 * (ageThen - 50) + 0.25 * (patient.hasDiabetes ? 1 : 0) + rng.normal(0, 0.18),
      );
      writer.measurement(
        id,
        CONCEPT.creatinine,
        day,
        visitId,
        creatinine,
        CONCEPT.milligramPerDecilitre,
        patient.isMale ? [0.7, 1.3] : [0.5, 1.1],
      );
    }
    // Long-term conditions are coded at the first contact and treated from then on.
    if (index !== 0) return;
    const courseDays = Math.max(1, Math.min(365, patient.obsEnd - day + 1));
    if (patient.hasHypertension) writer.condition(id, CONCEPT.essentialHypertension, day, visitId, "I10");
    if (patient.hasDiabetes) {
      writer.condition(id, CONCEPT.type2Diabetes, day, visitId, "E11.9");
      writer.drug(id, CONCEPT.metformin, day, courseDays, visitId, "Metformin 500mg tablets");
    }
    if (patient.hasAtrialFibrillation) {
      writer.condition(id, CONCEPT.atrialFibrillation, day, visitId, "I48.9");
      const anticoagulant = rng.bernoulli(0.7) ? CONCEPT.apixaban : CONCEPT.warfarin;
      writer.drug(
        id,
        anticoagulant,
        day,
        courseDays,
        visitId,
        anticoagulant === CONCEPT.apixaban ? "Apixaban 5mg tablets" : "Warfarin 1mg tablets",
      );
    }
    if (ageThen > 55 && rng.bernoulli(0.3))
      writer.drug(id, CONCEPT.atorvastatin, day, courseDays, visitId, "Atorvastatin 20mg tablets");
  });
}

export type PopulationOptions = {
  profile: SiteProfile;
  seed: number;
  persons: number;
  imageStore?: ImageStore;
  onPerson?: (done: number) => void;
};

/** One person's whole record; ids and draws depend only on (seed, site, person number). */
function synthesizePerson(profile: SiteProfile, seed: number, id: number, writer: EventWriter): void {
  const rng = createRng(hashSeed(seed, profile.code, "person", id));
  const age = sampleAge(rng, profile);
  const birthDay = Math.round(REFERENCE_DAY - age * 365.25);
  const isMale = rng.bernoulli(profile.maleFraction);
  const obsEnd = REFERENCE_DAY - rng.int(0, 120);
  const obsStart = Math.min(
    obsEnd - 30,
    Math.max(birthDay + Math.round(18 * 365.25), obsEnd - rng.int(3 * 365, 12 * 365)),
  );
  const patient: Patient = {
    id,
    rng,
    birthDay,
    isMale,
    obsStart,
    obsEnd,
    hasHypertension: rng.bernoulli(sigmoid(-4 + 0.07 * (age - 20))),
    hasDiabetes: rng.bernoulli(sigmoid(-4.5 + 0.05 * (age - 20))),
    hasAtrialFibrillation: rng.bernoulli(sigmoid(-7 + 0.07 * (age - 20))),
  };
  const race = pickWeighted(rng, RACES, profile.raceWeights);
  const birth = isoDate(birthDay);
  writer.push("person", {
    person_id: id,
    gender_concept_id: isMale ? CONCEPT.male : CONCEPT.female,
    year_of_birth: Number(birth.slice(0, 4)),
    month_of_birth: Number(birth.slice(5, 7)),
    day_of_birth: Number(birth.slice(8, 10)),
    birth_datetime: `${birth} 00:00:00`,
    race_concept_id: race,
    ethnicity_concept_id: CONCEPT.notHispanic,
    person_source_value: `${profile.code}-SYN-${String(id).padStart(7, "0")}`,
    gender_source_value: isMale ? "M" : "F",
    gender_source_concept_id: 0,
    race_source_value: RACE_SOURCE[race],
    race_source_concept_id: 0,
    ethnicity_source_concept_id: 0,
  });
  writer.push("observation_period", {
    observation_period_id: id,
    person_id: id,
    observation_period_start_date: isoDate(obsStart),
    observation_period_end_date: isoDate(obsEnd),
    period_type_concept_id: CONCEPT.ehr,
  });
  routineCare(patient, writer);
  strokePathway(patient, profile, writer);
  prostatePathway(patient, profile, writer);
}

/**
 * Builds every event row for the site in memory (tests on small populations).
 *
 * @internal
 */
export function synthesizePopulation({ profile, seed, persons, imageStore, onPerson }: PopulationOptions): EventWriter {
  const writer = new EventWriter(`${profile.code}:${seed}`, imageStore);
  for (let id = 1; id <= persons; id++) {
    synthesizePerson(profile, seed, id, writer);
    onPerson?.(id);
  }
  return writer;
}

/**
 * The same rows as synthesizePopulation, handed over `batchSize` persons at a time and cleared after
 * each `flush`, so memory holds one batch of rows (plus the small image list) whatever the site's size.
 */
export async function streamPopulation(
  { profile, seed, persons, imageStore, onPerson }: PopulationOptions,
  batchSize: number,
  flush: (writer: EventWriter) => Promise<void>,
): Promise<EventWriter> {
  const writer = new EventWriter(`${profile.code}:${seed}`, imageStore);
  for (let first = 1; first <= persons; first += batchSize) {
    const last = Math.min(persons, first + batchSize - 1);
    for (let id = first; id <= last; id++) {
      synthesizePerson(profile, seed, id, writer);
      onPerson?.(id);
    }
    await flush(writer);
    writer.clearRows();
  }
  return writer;
}
