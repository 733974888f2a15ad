/**
 * The curated OMOP vocabulary subset every synthetic site database ships with (table `concept`),
 * and the hierarchy that becomes `concept_ancestor`. Ids, names and codes are the real OHDSI
 * standard concepts (SNOMED, LOINC, RxNorm, UCUM, ...) so cohort definitions written against this
 * subset also run on a real Trust's OMOP CDM. The hub's concept search reuses this same list.
 */

export type ConceptDomain =
  | "Condition"
  | "Procedure"
  | "Measurement"
  | "Drug"
  | "Gender"
  | "Race"
  | "Ethnicity"
  | "Visit"
  | "Unit"
  | "Type Concept";

export type CuratedConcept = {
  id: number;
  name: string;
  domain: ConceptDomain;
  vocabulary: string;
  conceptClass: string;
  code: string;
  standard: boolean;
  /** Direct parents (ids in this list); `concept_ancestor` is their transitive closure. */
  parents: readonly number[];
};

/** The ids the generator writes, by meaning, so no magic numbers appear elsewhere. */
export const CONCEPT = {
  male: 8507,
  female: 8532,
  white: 8527,
  black: 8516,
  asian: 8515,
  notHispanic: 38003564,
  inpatientVisit: 9201,
  outpatientVisit: 9202,
  emergencyVisit: 9203,
  ehr: 32817,
  cerebrovascularAccident: 381316,
  cerebralInfarction: 443454,
  malignantNeoplasticDisease: 443392,
  malignantTumorOfProstate: 4163261,
  primaryMalignantNeoplasmOfProstate: 200962,
  hypertensiveDisorder: 316866,
  essentialHypertension: 320128,
  diabetesMellitus: 201820,
  type2Diabetes: 201826,
  atrialFibrillation: 313217,
  computedTomography: 4300757,
  ctHead: 4125350,
  magneticResonanceImaging: 4013636,
  prostateBiopsy: 4278515,
  psa: 3013603,
  haemoglobin: 3000963,
  creatinine: 3016723,
  systolicBp: 3004249,
  diastolicBp: 3012888,
  bmi: 3038553,
  aspirin: 1112807,
  clopidogrel: 1322184,
  atorvastatin: 1545958,
  metformin: 1503297,
  bicalutamide: 1344381,
  warfarin: 1310149,
  apixaban: 43013024,
  nanogramPerMillilitre: 8842,
  gramPerDecilitre: 8713,
  milligramPerDecilitre: 8840,
  millimetreOfMercury: 8876,
  kilogramPerSquareMetre: 9531,
} as const;

type Row = Omit<CuratedConcept, "parents" | "standard"> & { parents?: readonly number[]; standard?: boolean };

function concept(row: Row): CuratedConcept {
  return { ...row, standard: row.standard ?? true, parents: row.parents ?? [] };
}

const snomedCondition = (id: number, name: string, code: string, parents?: number[]) =>
  concept({ id, name, domain: "Condition", vocabulary: "SNOMED", conceptClass: "Clinical Finding", code, parents });
const snomedProcedure = (id: number, name: string, code: string, parents?: number[]) =>
  concept({ id, name, domain: "Procedure", vocabulary: "SNOMED", conceptClass: "Procedure", code, parents });
const loinc = (id: number, name: string, code: string, conceptClass = "Lab Test") =>
  concept({ id, name, domain: "Measurement", vocabulary: "LOINC", conceptClass, code });
const ingredient = (id: number, name: string, code: string) =>
  concept({ id, name, domain: "Drug", vocabulary: "RxNorm", conceptClass: "Ingredient", code });
const unit = (id: number, name: string, code: string) =>
  concept({ id, name, domain: "Unit", vocabulary: "UCUM", conceptClass: "Unit", code });

const C = CONCEPT;

export const CONCEPTS: readonly CuratedConcept[] = [
  concept({ id: C.male, name: "MALE", domain: "Gender", vocabulary: "Gender", conceptClass: "Gender", code: "M" }),
  concept({ id: C.female, name: "FEMALE", domain: "Gender", vocabulary: "Gender", conceptClass: "Gender", code: "F" }),
  concept({ id: C.white, name: "White", domain: "Race", vocabulary: "Race", conceptClass: "Race", code: "5" }),
  concept({
    id: C.black,
    name: "Black or African American",
    domain: "Race",
    vocabulary: "Race",
    conceptClass: "Race",
    code: "3",
  }),
  concept({ id: C.asian, name: "Asian", domain: "Race", vocabulary: "Race", conceptClass: "Race", code: "2" }),
  concept({
    id: C.notHispanic,
    name: "Not Hispanic or Latino",
    domain: "Ethnicity",
    vocabulary: "Ethnicity",
    conceptClass: "Ethnicity",
    code: "Not Hispanic",
  }),
  concept({
    id: C.inpatientVisit,
    name: "Inpatient Visit",
    domain: "Visit",
    vocabulary: "Visit",
    conceptClass: "Visit",
    code: "IP",
  }),
  concept({
    id: C.outpatientVisit,
    name: "Outpatient Visit",
    domain: "Visit",
    vocabulary: "Visit",
    conceptClass: "Visit",
    code: "OP",
  }),
  concept({
    id: C.emergencyVisit,
    name: "Emergency Room Visit",
    domain: "Visit",
    vocabulary: "Visit",
    conceptClass: "Visit",
    code: "ER",
  }),
  concept({
    id: C.ehr,
    name: "EHR",
    domain: "Type Concept",
    vocabulary: "Type Concept",
    conceptClass: "Type Concept",
    code: "OMOP4976890",
  }),

  snomedCondition(C.cerebrovascularAccident, "Cerebrovascular accident", "230690007"),
  snomedCondition(C.cerebralInfarction, "Cerebral infarction", "432504007", [C.cerebrovascularAccident]),
  snomedCondition(C.malignantNeoplasticDisease, "Malignant neoplastic disease", "363346000"),
  snomedCondition(C.malignantTumorOfProstate, "Malignant tumor of prostate", "399068003", [
    C.malignantNeoplasticDisease,
  ]),
  snomedCondition(C.primaryMalignantNeoplasmOfProstate, "Primary malignant neoplasm of prostate", "93974005", [
    C.malignantTumorOfProstate,
  ]),
  snomedCondition(C.hypertensiveDisorder, "Hypertensive disorder", "38341003"),
  snomedCondition(C.essentialHypertension, "Essential hypertension", "59621000", [C.hypertensiveDisorder]),
  snomedCondition(C.diabetesMellitus, "Diabetes mellitus", "73211009"),
  snomedCondition(C.type2Diabetes, "Type 2 diabetes mellitus", "44054006", [C.diabetesMellitus]),
  snomedCondition(C.atrialFibrillation, "Atrial fibrillation", "49436004"),

  snomedProcedure(C.computedTomography, "Computed tomography", "77477000"),
  snomedProcedure(C.ctHead, "Computed tomography of head", "303653007", [C.computedTomography]),
  snomedProcedure(C.magneticResonanceImaging, "Magnetic resonance imaging", "113091000"),
  snomedProcedure(C.prostateBiopsy, "Biopsy of prostate", "65575008"),

  loinc(C.psa, "Prostate specific Ag [Mass/volume] in Serum or Plasma", "2857-1"),
  loinc(C.haemoglobin, "Hemoglobin [Mass/volume] in Blood", "718-7"),
  loinc(C.creatinine, "Creatinine [Mass/volume] in Serum or Plasma", "2160-0"),
  loinc(C.systolicBp, "Systolic blood pressure", "8480-6", "Clinical Observation"),
  loinc(C.diastolicBp, "Diastolic blood pressure", "8462-4", "Clinical Observation"),
  loinc(C.bmi, "Body mass index (BMI) [Ratio]", "39156-5", "Clinical Observation"),

  ingredient(C.aspirin, "aspirin", "1191"),
  ingredient(C.clopidogrel, "clopidogrel", "32968"),
  ingredient(C.atorvastatin, "atorvastatin", "83367"),
  ingredient(C.metformin, "metformin", "6809"),
  ingredient(C.bicalutamide, "bicalutamide", "83008"),
  ingredient(C.warfarin, "warfarin", "11289"),
  ingredient(C.apixaban, "apixaban", "1364430"),

  unit(C.nanogramPerMillilitre, "nanogram per milliliter", "ng/mL"),
  unit(C.gramPerDecilitre, "gram per deciliter", "g/dL"),
  unit(C.milligramPerDecilitre, "milligram per deciliter", "mg/dL"),
  unit(C.millimetreOfMercury, "millimeter mercury column", "mm[Hg]"),
  unit(C.kilogramPerSquareMetre, "kilogram per square meter", "kg/m2"),
];

export type ConceptAncestor = { ancestor: number; descendant: number; minLevels: number; maxLevels: number };

/**
 * Transitive closure of `parents`, including each standard concept as its own ancestor at level 0
 * as the OHDSI vocabulary does, so "include descendants" is one join with no special case.
 */
export function buildConceptAncestors(concepts: readonly CuratedConcept[]): ConceptAncestor[] {
  const byId = new Map(concepts.map((c) => [c.id, c]));
  const rows: ConceptAncestor[] = [];
  for (const start of concepts) {
    if (!start.standard) continue;
    const levels = new Map<number, { min: number; max: number }>([[start.id, { min: 0, max: 0 }]]);
    // Walk every upward path; the hierarchy is tiny, so path enumeration is cheap and gives max levels.
    const stack: { id: number; depth: number }[] = [{ id: start.id, depth: 0 }];
    while (stack.length > 0) {
      const { id, depth } = stack.pop() as { id: number; depth: number };
      for (const parent of byId.get(id)?.parents ?? []) {
        if (!byId.has(parent)) throw new Error(`concept ${id} names unknown parent ${parent}`);
        if (depth + 1 > concepts.length) throw new Error(`cycle in concept hierarchy at ${parent}`);
        const seen = levels.get(parent);
        levels.set(parent, {
          min: Math.min(seen?.min ?? Infinity, depth + 1),
          max: Math.max(seen?.max ?? 0, depth + 1),
        });
        stack.push({ id: parent, depth: depth + 1 });
      }
    }
    for (const [ancestor, { min, max }] of levels)
      rows.push({ ancestor, descendant: start.id, minLevels: min, maxLevels: max });
  }
  return rows;
}
