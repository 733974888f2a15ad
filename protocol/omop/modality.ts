import { MODALITIES } from "../cohort-definition";
import { CONCEPT } from "./concepts";

/**
 * The one mapping from an image's `modality_concept_id` to a modality code, shared by the site
 * inventory (images per modality) and cohort definitions (imaging criteria), so a CT counted by
 * one is a CT to the other. The generator writes the SNOMED procedure concepts below; other
 * vocabularies (e.g. DICOM modality codes) are recognised by their concept name.
 */
export type ModalityCode = (typeof MODALITIES)[number] | "OTHER";
export const STANDARD_MODALITIES = MODALITIES;

const MODALITY_BY_CONCEPT_ID: Record<number, ModalityCode> = {
  [CONCEPT.computedTomography]: "CT",
  [CONCEPT.magneticResonanceImaging]: "MR",
};
const MODALITY_BY_NAME: [RegExp, ModalityCode][] = [
  [/^CT$|computed tomograph/i, "CT"],
  [/^MRI?$|magnetic resonance/i, "MR"],
  [/^(XR|DX|CR|RG)$|x-?ray|radiograph/i, "XR"],
  [/^US$|ultraso/i, "US"],
];

export function modalityCode(conceptId: number, conceptName: string | null): ModalityCode {
  const known = MODALITY_BY_CONCEPT_ID[conceptId];
  if (known) return known;
  const name = (conceptName ?? "").trim();
  return MODALITY_BY_NAME.find(([pattern]) => pattern.test(name))?.[1] ?? "OTHER";
}
