import { CONCEPT } from "@/protocol/omop/concepts";
import { REFERENCE_DAY, type EventWriter } from "./events";
import { ageOn, clampToObservation, type Patient } from "./patient";
import type { SiteProfile } from "./profiles";
import { sigmoid } from "./random";

/**
 * The two disease pathways the demo's learning tasks use. The signal is real but imperfect:
 * stroke lesions vary in size and some are faint; prostate cancer follows a noisy logistic model of
 * log PSA and age, so a model can learn it (pooled AUC well above 0.75) but never perfectly.
 */

const imageSeed = (patient: Patient) => Math.floor(patient.rng.next() * 2 ** 32);

/** A drug course cut at the end of observation (and skipped past it) so exposures stay in observed time. */
function prescribe(
  patient: Patient,
  writer: EventWriter,
  drug: number,
  start: number,
  days: number,
  visitId: number,
  source: string,
): void {
  if (start > patient.obsEnd) return;
  writer.drug(patient.id, drug, start, Math.min(days, patient.obsEnd - start + 1), visitId, source);
}

/** Ischaemic stroke admissions with a CT head (lesion visible), plus CT heads for other reasons (no lesion). */
export function strokePathway(patient: Patient, profile: SiteProfile, writer: EventWriter): void {
  const { rng, id } = patient;
  const age = ageOn(patient, REFERENCE_DAY);
  const logit =
    -4.6 +
    profile.strokeShift +
    0.065 * (age - 60) +
    0.8 * (patient.hasHypertension ? 1 : 0) +
    1.1 * (patient.hasAtrialFibrillation ? 1 : 0) +
    0.4 * (patient.hasDiabetes ? 1 : 0);
  const canHaveStroke = patient.obsEnd - patient.obsStart > 120;
  if (canHaveStroke && rng.bernoulli(sigmoid(logit))) {
    const day = rng.int(patient.obsStart + 90, patient.obsEnd - 14);
    // A scan from before the stroke is a true negative for the same person: the label is per scan.
    if (day - 120 > patient.obsStart && rng.bernoulli(0.12)) {
      const earlier = rng.int(patient.obsStart, day - 120);
      const erVisit = writer.visit(id, CONCEPT.emergencyVisit, earlier, earlier);
      writer.imagingStudy(id, "CT", CONCEPT.ctHead, earlier, erVisit, false, imageSeed(patient));
    }
    const erVisit = writer.visit(id, CONCEPT.emergencyVisit, day, day);
    const admission = writer.visit(
      id,
      CONCEPT.inpatientVisit,
      day,
      clampToObservation(patient, day + rng.int(2, 14)),
      erVisit,
    );
    writer.condition(id, CONCEPT.cerebralInfarction, day, admission, "I63.9");
    writer.imagingStudy(id, "CT", CONCEPT.ctHead, day, erVisit, true, imageSeed(patient));
    prescribe(patient, writer, CONCEPT.aspirin, day + 1, 14, admission, "Aspirin 300mg");
    if (rng.bernoulli(0.7))
      prescribe(patient, writer, CONCEPT.clopidogrel, day + 15, 90, admission, "Clopidogrel 75mg tablets");
    if (rng.bernoulli(0.8))
      prescribe(patient, writer, CONCEPT.atorvastatin, day + 1, 180, admission, "Atorvastatin 80mg tablets");
    return;
  }
  if (rng.bernoulli(profile.headCtRate * (age >= 60 ? 1 : 0.4))) {
    const day = rng.int(patient.obsStart, patient.obsEnd);
    const erVisit = writer.visit(id, CONCEPT.emergencyVisit, day, day);
    writer.imagingStudy(id, "CT", CONCEPT.ctHead, day, erVisit, false, imageSeed(patient));
  }
}

/** Men 40+ with PSA tests; cancer risk is logistic in log PSA and age; work-up by MRI and biopsy. */
export function prostatePathway(patient: Patient, profile: SiteProfile, writer: EventWriter): void {
  const { rng, id } = patient;
  if (!patient.isMale || ageOn(patient, REFERENCE_DAY) < 40) return;
  const isTested = rng.bernoulli(profile.psaTestingRate * (ageOn(patient, REFERENCE_DAY) >= 50 ? 1 : 0.4));
  if (!isTested || patient.obsEnd - patient.obsStart < 400) return;
  const indexDay = rng.int(patient.obsStart + 300, patient.obsEnd - 90);
  const age = ageOn(patient, indexDay);
  if (age < 40) return;
  // True PSA level rises with age (benign growth); cancer probability follows from it with noise.
  const logPsa = Math.log(0.9) + 0.03 * (age - 55) + rng.normal(0, 0.8);
  const hasCancer = rng.bernoulli(
    sigmoid(-3.1 + profile.prostateShift + 1.5 * logPsa + 0.035 * (age - 65) + rng.normal(0, 0.6)),
  );

  const tests = rng.int(1, 3);
  for (let k = tests - 1; k >= 0; k--) {
    const day = clampToObservation(patient, indexDay - k * rng.int(180, 400));
    const visitId = writer.visit(id, CONCEPT.outpatientVisit, day, day);
    // Earlier tests sit a little lower (PSA drifts up), each with assay and biological variation.
    const value = Math.exp(logPsa - 0.08 * k + rng.normal(0, 0.15));
    writer.measurement(id, CONCEPT.psa, day, visitId, value, CONCEPT.nanogramPerMillilitre, [0, 4]);
  }
  const psa = Math.exp(logPsa);
  const isWorkedUp = hasCancer || (psa > 3 && rng.bernoulli(0.5));
  if (!isWorkedUp) return;
  const mriDay = clampToObservation(patient, indexDay + rng.int(7, 30));
  if (hasCancer ? psa > 3 || rng.bernoulli(0.5) : true) {
    const mriVisit = writer.visit(id, CONCEPT.outpatientVisit, mriDay, mriDay);
    // About 15% of cancers are invisible on MRI, as in practice.
    writer.imagingStudy(
      id,
      "MR",
      CONCEPT.magneticResonanceImaging,
      mriDay,
      mriVisit,
      hasCancer && rng.bernoulli(0.85),
      imageSeed(patient),
    );
  }
  if (!hasCancer && !rng.bernoulli(0.6)) return;
  const biopsyDay = clampToObservation(patient, mriDay + rng.int(14, 40));
  const biopsyVisit = writer.visit(id, CONCEPT.outpatientVisit, biopsyDay, biopsyDay);
  writer.procedure(id, CONCEPT.prostateBiopsy, biopsyDay, biopsyVisit, "Transperineal prostate biopsy");
  if (!hasCancer) return;
  const diagnosis = rng.bernoulli(0.75) ? CONCEPT.primaryMalignantNeoplasmOfProstate : CONCEPT.malignantTumorOfProstate;
  writer.condition(id, diagnosis, biopsyDay, biopsyVisit, "C61");
  if (rng.bernoulli(0.4))
    prescribe(patient, writer, CONCEPT.bicalutamide, biopsyDay + 14, 90, biopsyVisit, "Bicalutamide 50mg tablets");
}
