import { CONCEPT as C } from "@/protocol/omop/concepts";

/**
 * The hand-designed patients of the cohort fixture. Every count that workers/cohort tests assert
 * can be checked against this table by hand. Dates that sit on a window boundary are written as
 * offsets from the index date (`at(index, days)`), so the boundary is visible.
 *
 * Hierarchy (from the curated vocabulary): Cerebrovascular accident (CVA) > Cerebral infarction
 * (CI); Malignant neoplastic disease (MND) > Malignant tumor of prostate (MTP) > Primary malignant
 * neoplasm of prostate (PMNP); Computed tomography (CT) > CT of head.
 *
 * Stroke group, entry "CVA incl. descendants" (index = first CVA/CI; age = index year - birth year):
 *   id sex  born  index       age  other events (days from index)
 *    1 M    1950  2020-03-01  70   AF -365, aspirin +30, CT head proc +1, CT image +1, inpatient 0
 *    2 F    1960  2020-05-10  60   (CI) AF -1, warfarin +5, inpatient 0
 *    3 M    1945  2019-01-15  74   (CI; also CVA 2021-06-01 -> index without descendants, age 76) aspirin +31, inpatient 0
 *    4 F    1980  2020-01-01  40   AF -366, CT proc +2, CT image +2, outpatient 0
 *    5 O    2005  2020-07-07  15   warfarin -100 (gender concept 8551: "other")
 *    6 M    1930  2022-02-02  92   inpatient 0, AF +10
 *    7 F    1955  2020-09-09  65   (CI) aspirin 0, AF -400, warfarin +60
 *    8 M    1970  2020-04-04  50   AF 0, aspirin -10
 *    9 F    2015  2020-12-12   5
 * Prostate group, entry "MND incl. descendants":
 *   10 M   1950  2021-01-10  71   (PMNP) PSA 12.5 ng/mL -10, biopsy -5, bicalutamide +20, MR image +3
 *   11 M   1948  2020-06-01  72   (MTP) PSA 3.0 ng/mL -30, biopsy -1, MR image +1
 *   12 M   1962  2019-11-11  57   (PMNP) PSA 25 in unit 8748 (not ng/mL) -7, bicalutamide +200
 *   13 M   1940  2020-02-02  80   (MND) PSA 4.0 ng/mL -3, biopsy -400
 *   14 M   1955  2020-08-08  65   (PMNP) CT image +14
 *   15 F   1970  2021-03-03  51   (MND)
 * PSA only: 16 M 1958: PSA 30 ng/mL 2018-01-01 and 20 ng/mL 2020-01-01; 17 M 1966: PSA 20.01 ng/mL
 *   2020-02-02; 18 M 1972: PSA with no value, unit ng/mL, 2020-03-03.
 * Others: 19 F 1990 emergency visit 2020-10-10; 20 M 1985 image of modality concept "CT" (a
 *   DICOM-style concept, classified by name) 2021-05-05; 21 F 1975 image "Digital radiography" (XR)
 *   2021-06-06; 22 M 1985 only an unmapped condition (concept 0); 23 F 2000 no events; person 99
 *   has a CVA but no person row, so is in no cohort.
 */
type Sex = "M" | "F" | "O";
type CodedType = "condition" | "procedure" | "drug" | "visit";
export type FixtureEvent =
  | { [T in CodedType]: { type: T; concept: number; date: string } }[CodedType]
  | { type: "measurement"; concept: number; date: string; value: number | null; unit: number | null }
  | { type: "image"; modality: number; date: string };
type FixturePerson = { id: number; sex: Sex | null; born: number; events: FixtureEvent[] };

/** Fixture-only modality concepts, named as a DICOM vocabulary would name them. */
export const DICOM_CT = 2_000_000_001;
export const DICOM_DX = 2_000_000_002;
export const MICROGRAM_PER_LITRE = 8748;

function at(isoDate: string, days: number): string {
  const date = new Date(`${isoDate}T00:00:00Z`);
  date.setUTCDate(date.getUTCDate() + days);
  return date.toISOString().slice(0, 10);
}

const cond = (concept: number, date: string): FixtureEvent => ({ type: "condition", concept, date });
const proc = (concept: number, date: string): FixtureEvent => ({ type: "procedure", concept, date });
const drug = (concept: number, date: string): FixtureEvent => ({ type: "drug", concept, date });
const visit = (concept: number, date: string): FixtureEvent => ({ type: "visit", concept, date });
const image = (modality: number, date: string): FixtureEvent => ({ type: "image", modality, date });
const psa = (date: string, value: number | null, unit: number | null = C.nanogramPerMillilitre): FixtureEvent => ({
  type: "measurement",
  concept: C.psa,
  date,
  value,
  unit,
});

const I = {
  p1: "2020-03-01",
  p2: "2020-05-10",
  p3: "2019-01-15",
  p4: "2020-01-01",
  p5: "2020-07-07",
  p6: "2022-02-02",
  p7: "2020-09-09",
  p8: "2020-04-04",
  p10: "2021-01-10",
  p11: "2020-06-01",
  p12: "2019-11-11",
  p13: "2020-02-02",
  p14: "2020-08-08",
};

export const FIXTURE_PERSONS: FixturePerson[] = [
  {
    id: 1,
    sex: "M",
    born: 1950,
    events: [
      cond(C.cerebrovascularAccident, I.p1),
      cond(C.atrialFibrillation, at(I.p1, -365)),
      drug(C.aspirin, at(I.p1, 30)),
      proc(C.ctHead, at(I.p1, 1)),
      image(C.computedTomography, at(I.p1, 1)),
      visit(C.inpatientVisit, I.p1),
    ],
  },
  {
    id: 2,
    sex: "F",
    born: 1960,
    events: [
      cond(C.cerebralInfarction, I.p2),
      cond(C.atrialFibrillation, at(I.p2, -1)),
      drug(C.warfarin, at(I.p2, 5)),
      visit(C.inpatientVisit, I.p2),
    ],
  },
  {
    id: 3,
    sex: "M",
    born: 1945,
    events: [
      cond(C.cerebralInfarction, I.p3),
      cond(C.cerebrovascularAccident, "2021-06-01"),
      drug(C.aspirin, at(I.p3, 31)),
      visit(C.inpatientVisit, I.p3),
    ],
  },
  {
    id: 4,
    sex: "F",
    born: 1980,
    events: [
      cond(C.cerebrovascularAccident, I.p4),
      cond(C.atrialFibrillation, at(I.p4, -366)),
      proc(C.computedTomography, at(I.p4, 2)),
      image(C.computedTomography, at(I.p4, 2)),
      visit(C.outpatientVisit, I.p4),
    ],
  },
  { id: 5, sex: "O", born: 2005, events: [cond(C.cerebrovascularAccident, I.p5), drug(C.warfarin, at(I.p5, -100))] },
  {
    id: 6,
    sex: "M",
    born: 1930,
    events: [
      cond(C.cerebrovascularAccident, I.p6),
      visit(C.inpatientVisit, I.p6),
      cond(C.atrialFibrillation, at(I.p6, 10)),
    ],
  },
  {
    id: 7,
    sex: "F",
    born: 1955,
    events: [
      cond(C.cerebralInfarction, I.p7),
      drug(C.aspirin, I.p7),
      cond(C.atrialFibrillation, at(I.p7, -400)),
      drug(C.warfarin, at(I.p7, 60)),
    ],
  },
  {
    id: 8,
    sex: "M",
    born: 1970,
    events: [cond(C.cerebrovascularAccident, I.p8), cond(C.atrialFibrillation, I.p8), drug(C.aspirin, at(I.p8, -10))],
  },
  { id: 9, sex: "F", born: 2015, events: [cond(C.cerebrovascularAccident, "2020-12-12")] },
  {
    id: 10,
    sex: "M",
    born: 1950,
    events: [
      cond(C.primaryMalignantNeoplasmOfProstate, I.p10),
      psa(at(I.p10, -10), 12.5),
      proc(C.prostateBiopsy, at(I.p10, -5)),
      drug(C.bicalutamide, at(I.p10, 20)),
      image(C.magneticResonanceImaging, at(I.p10, 3)),
    ],
  },
  {
    id: 11,
    sex: "M",
    born: 1948,
    events: [
      cond(C.malignantTumorOfProstate, I.p11),
      psa(at(I.p11, -30), 3.0),
      proc(C.prostateBiopsy, at(I.p11, -1)),
      image(C.magneticResonanceImaging, at(I.p11, 1)),
    ],
  },
  {
    id: 12,
    sex: "M",
    born: 1962,
    events: [
      cond(C.primaryMalignantNeoplasmOfProstate, I.p12),
      psa(at(I.p12, -7), 25, MICROGRAM_PER_LITRE),
      drug(C.bicalutamide, at(I.p12, 200)),
    ],
  },
  {
    id: 13,
    sex: "M",
    born: 1940,
    events: [
      cond(C.malignantNeoplasticDisease, I.p13),
      psa(at(I.p13, -3), 4.0),
      proc(C.prostateBiopsy, at(I.p13, -400)),
    ],
  },
  {
    id: 14,
    sex: "M",
    born: 1955,
    events: [cond(C.primaryMalignantNeoplasmOfProstate, I.p14), image(C.computedTomography, at(I.p14, 14))],
  },
  { id: 15, sex: "F", born: 1970, events: [cond(C.malignantNeoplasticDisease, "2021-03-03")] },
  { id: 16, sex: "M", born: 1958, events: [psa("2018-01-01", 30), psa("2020-01-01", 20)] },
  { id: 17, sex: "M", born: 1966, events: [psa("2020-02-02", 20.01)] },
  { id: 18, sex: "M", born: 1972, events: [psa("2020-03-03", null)] },
  { id: 19, sex: "F", born: 1990, events: [visit(C.emergencyVisit, "2020-10-10")] },
  { id: 20, sex: "M", born: 1985, events: [image(DICOM_CT, "2021-05-05")] },
  { id: 21, sex: "F", born: 1975, events: [image(DICOM_DX, "2021-06-06")] },
  { id: 22, sex: "M", born: 1985, events: [cond(0, "2021-01-01")] },
  { id: 23, sex: "F", born: 2000, events: [] },
  { id: 99, sex: null, born: 1950, events: [cond(C.cerebrovascularAccident, "2020-01-01")] },
];
