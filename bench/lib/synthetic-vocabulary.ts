import { once } from "node:events";
import { createWriteStream } from "node:fs";
import { join } from "node:path";

/**
 * A synthetic OHDSI vocabulary in Athena's layout, shaped like the real one: names of 2-6 words drawn
 * with a Zipf law from a 3,000-word lexicon (so common words match hundreds of thousands of names),
 * 55% standard, 5% classification and 40% source codes that "Map to" a standard concept, 5% invalid,
 * a synonym for every fifth concept, and an 8-way hierarchy of the standard concepts whose
 * transitive closure is the ancestor table.
 */
export type SyntheticVocabulary = {
  lexicon: string[];
  concepts: number;
  code: (id: number) => string;
  name: (id: number) => string;
};

const BLOCK = 20; // per 20 ids: 11 standard, 1 classification, 8 source codes
const STANDARD_PER_BLOCK = 12;
const BRANCHING = 8;
const VOCABULARIES = ["SNOMED", "ICD10", "LOINC", "RxNorm", "OPCS4", "Read"] as const;
const DOMAINS = ["Condition", "Drug", "Measurement", "Procedure", "Observation"] as const;

function mix(n: number): number {
  let x = (n ^ 0x9e3779b9) >>> 0;
  x = Math.imul(x ^ (x >>> 16), 0x85ebca6b) >>> 0;
  x = Math.imul(x ^ (x >>> 13), 0xc2b2ae35) >>> 0;
  return (x ^ (x >>> 16)) >>> 0;
}

function buildLexicon(size: number): string[] {
  const onsets = [
    "b",
    "c",
    "d",
    "f",
    "g",
    "h",
    "l",
    "m",
    "n",
    "p",
    "r",
    "s",
    "t",
    "v",
    "tr",
    "pl",
    "st",
    "cr",
    "ph",
    "th",
  ];
  const vowels = ["a", "e", "i", "o", "u", "ae", "io", "y"];
  const codas = ["", "n", "s", "l", "r", "x", "m", "t", "c"];
  const words = new Set<string>();
  for (let i = 0; words.size < size; i++) {
    const syllables = 2 + (mix(i) % 3);
    let word = "";
    for (let s = 0; s < syllables; s++) {
      const h = mix(i * 7 + s);
      word += onsets[h % onsets.length]! + vowels[(h >>> 8) % vowels.length]! + codas[(h >>> 16) % codas.length]!;
    }
    words.add(word);
  }
  return [...words];
}

function zipfSampler(size: number) {
  const cumulative = new Float64Array(size);
  let total = 0;
  for (let r = 0; r < size; r++) cumulative[r] = total += 1 / (r + 1);
  return (u: number) => {
    const target = u * total;
    let lo = 0;
    let hi = size - 1;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (cumulative[mid]! < target) lo = mid + 1;
      else hi = mid;
    }
    return lo;
  };
}

const kindOf = (id: number) => {
  const slot = (id - 1) % BLOCK;
  return slot < 11 ? "S" : slot < STANDARD_PER_BLOCK ? "C" : "";
};
const standardIndex = (id: number) => Math.floor((id - 1) / BLOCK) * STANDARD_PER_BLOCK + ((id - 1) % BLOCK);
const standardId = (index: number) => Math.floor(index / STANDARD_PER_BLOCK) * BLOCK + (index % STANDARD_PER_BLOCK) + 1;

function codeOf(id: number): string {
  const vocabulary = VOCABULARIES[mix(id) % VOCABULARIES.length]!;
  if (vocabulary === "ICD10")
    return `${String.fromCharCode(65 + (id % 26))}${String(id % 100).padStart(2, "0")}.${id % 10}${Math.floor(id / 2600)}`;
  if (vocabulary === "LOINC") return `${id}-${id % 10}`;
  if (vocabulary === "OPCS4" || vocabulary === "Read") return `${String.fromCharCode(65 + (id % 26))}${id}`;
  return String(100000 + id);
}

class Writer {
  private readonly stream;
  private buffer = "";
  constructor(path: string, header: string) {
    this.stream = createWriteStream(path);
    this.buffer = header + "\n";
  }
  async row(fields: (string | number)[]) {
    this.buffer += fields.join("\t") + "\n";
    if (this.buffer.length > 1 << 20) await this.flush();
  }
  private async flush() {
    const ok = this.stream.write(this.buffer);
    this.buffer = "";
    if (!ok) await once(this.stream, "drain");
  }
  async close() {
    await this.flush();
    this.stream.end();
    await once(this.stream, "finish");
  }
}

/** The vocabulary `writeSyntheticVocabulary` writes for `concepts` concepts, without writing it. */
export function describeSyntheticVocabulary(concepts: number): SyntheticVocabulary {
  const lexicon = buildLexicon(3000);
  const pick = zipfSampler(lexicon.length);
  const name = (id: number) => {
    const count = 2 + (mix(id * 31) % 5);
    return Array.from({ length: count }, (_, w) => lexicon[pick(mix(id * 131 + w) / 2 ** 32)]!).join(" ");
  };
  return { lexicon, concepts, code: codeOf, name };
}

/** Writes the eight files for `concepts` concepts into `folder`, streaming (memory stays flat). */
export async function writeSyntheticVocabulary(folder: string, concepts: number): Promise<SyntheticVocabulary> {
  const vocabulary = describeSyntheticVocabulary(concepts);
  const nameOf = vocabulary.name;
  const standards = Math.floor(concepts / BLOCK) * STANDARD_PER_BLOCK + Math.min(concepts % BLOCK, STANDARD_PER_BLOCK);

  const small = async (file: string, header: string, rows: (string | number)[][]) => {
    const w = new Writer(join(folder, file), header);
    for (const r of rows) await w.row(r);
    await w.close();
  };
  await small(
    "VOCABULARY.csv",
    "vocabulary_id\tvocabulary_name\tvocabulary_reference\tvocabulary_version\tvocabulary_concept_id",
    [
      ["None", "OMOP Standardized Vocabularies", "bench", "bench synthetic", 0],
      ...VOCABULARIES.map((v, i) => [v, v, "bench", "bench", i + 1]),
    ],
  );
  await small(
    "DOMAIN.csv",
    "domain_id\tdomain_name\tdomain_concept_id",
    DOMAINS.map((d, i) => [d, d, i + 10]),
  );
  await small("CONCEPT_CLASS.csv", "concept_class_id\tconcept_class_name\tconcept_class_concept_id", []);
  await small(
    "RELATIONSHIP.csv",
    "relationship_id\trelationship_name\tis_hierarchical\tdefines_ancestry\treverse_relationship_id\trelationship_concept_id",
    [
      ["Maps to", "Maps to", "0", "0", "Mapped from", 44818977],
      ["Mapped from", "Mapped from", "0", "0", "Maps to", 44818976],
    ],
  );

  const concept = new Writer(
    join(folder, "CONCEPT.csv"),
    "concept_id\tconcept_name\tdomain_id\tvocabulary_id\tconcept_class_id\tstandard_concept\tconcept_code\tvalid_start_date\tvalid_end_date\tinvalid_reason",
  );
  const synonym = new Writer(
    join(folder, "CONCEPT_SYNONYM.csv"),
    "concept_id\tconcept_synonym_name\tlanguage_concept_id",
  );
  const relationship = new Writer(
    join(folder, "CONCEPT_RELATIONSHIP.csv"),
    "concept_id_1\tconcept_id_2\trelationship_id\tvalid_start_date\tvalid_end_date\tinvalid_reason",
  );
  const ancestor = new Writer(
    join(folder, "CONCEPT_ANCESTOR.csv"),
    "ancestor_concept_id\tdescendant_concept_id\tmin_levels_of_separation\tmax_levels_of_separation",
  );
  for (let id = 1; id <= concepts; id++) {
    const kind = kindOf(id);
    const isInvalid = mix(id * 17) % 20 === 0;
    const name = nameOf(id);
    await concept.row([
      id,
      name,
      DOMAINS[mix(id * 3) % DOMAINS.length]!,
      VOCABULARIES[mix(id) % VOCABULARIES.length]!,
      "Clinical Finding",
      kind,
      codeOf(id),
      "20020131",
      isInvalid ? "20200131" : "20991231",
      isInvalid ? "D" : "",
    ]);
    if (id % 5 === 0) await synonym.row([id, name.split(" ").reverse().join(" "), 4180186]);
    if (kind) {
      let index = standardIndex(id);
      await ancestor.row([id, id, 0, 0]);
      for (let level = 1; index > 0; level++) {
        index = Math.floor((index - 1) / BRANCHING);
        await ancestor.row([standardId(index), id, level, level]);
      }
    } else {
      const target = standardId(mix(id * 7) % standards);
      await relationship.row([id, target, "Maps to", "20020131", "20991231", ""]);
      await relationship.row([target, id, "Mapped from", "20020131", "20991231", ""]);
    }
  }
  await Promise.all([concept.close(), synonym.close(), relationship.close(), ancestor.close()]);
  return vocabulary;
}
