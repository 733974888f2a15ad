import type { Rng } from "./random";

/** One synthetic patient while their record is being written: fixed traits plus their own random stream. */

export type Patient = {
  id: number;
  rng: Rng;
  birthDay: number;
  isMale: boolean;
  obsStart: number;
  obsEnd: number;
  hasHypertension: boolean;
  hasDiabetes: boolean;
  hasAtrialFibrillation: boolean;
};

export function ageOn(patient: Patient, day: number): number {
  return (day - patient.birthDay) / 365.25;
}

/** Days for an event, clipped into the observation period so every event is observable. */
export function clampToObservation(patient: Patient, day: number): number {
  return Math.min(Math.max(Math.round(day), patient.obsStart), patient.obsEnd);
}
