import { mkdir, readFile, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { buildConceptAncestors, CONCEPTS } from "@/protocol/omop/concepts";
import { ATHENA_FILES } from "./load/athena-files";
import { EUNOMIA_FIXTURE } from "./fixtures/eunomia";
import { loadVocabulary, type LoadResult } from "./load/load-vocabulary";
import type { LoadProgress } from "./load/progress-bar";

const VERSION = "FLIP demo subset: curated demo concepts + Eunomia Synthea27Nj (v5.0 09-APR-22)";
const VALID = ["19700101", "20991231"] as const;

/**
 * The vocabulary the demo ships, offline: the curated concepts its synthetic Trusts use (with their
 * hierarchy) and the real Eunomia rows, written in Athena's layout to `folder` and loaded through
 * `vocab:load`'s loader. Files are rewritten only when their content changes, so a demo restart
 * finds the same download live and loads nothing.
 */
export async function loadDemoVocabulary(
  databaseUrl: string,
  folder: string,
  onProgress?: (event: LoadProgress) => void,
): Promise<LoadResult> {
  await mkdir(folder, { recursive: true });
  const files = await demoFiles();
  for (const spec of ATHENA_FILES) {
    const path = join(folder, spec.file);
    const content = [spec.columns.map((c) => c.name).join("\t"), ...files[spec.file]!, ""].join("\n");
    if ((await readFile(path, "utf8").catch(() => "")) !== content) await writeFile(path, content);
  }
  return loadVocabulary(databaseUrl, { folder, onProgress });
}

async function demoFiles(): Promise<Record<string, string[]>> {
  const eunomia = async (file: string) =>
    (await readFile(join(EUNOMIA_FIXTURE, file), "utf8")).split("\n").slice(1).filter(Boolean);
  const curatedIds = new Set(CONCEPTS.map((c) => String(c.id)));
  const concepts = [
    ...CONCEPTS.map((c) =>
      [c.id, c.name, c.domain, c.vocabulary, c.conceptClass, c.standard ? "S" : "", c.code, ...VALID, ""].join("\t"),
    ),
    ...(await eunomia("CONCEPT.csv")).filter((line) => !curatedIds.has(line.split("\t")[0]!)),
  ];
  const ancestorKeys = new Set<string>();
  const ancestors = [
    ...buildConceptAncestors(CONCEPTS).map((a) => [a.ancestor, a.descendant, a.minLevels, a.maxLevels].join("\t")),
    ...(await eunomia("CONCEPT_ANCESTOR.csv")),
  ].filter((line) => {
    const key = line.split("\t").slice(0, 2).join(":");
    return !ancestorKeys.has(key) && !!ancestorKeys.add(key);
  });
  return {
    "VOCABULARY.csv": [["None", "OMOP Standardized Vocabularies", "FLIP demo", VERSION, "0"].join("\t")],
    "DOMAIN.csv": await eunomia("DOMAIN.csv"),
    "CONCEPT_CLASS.csv": await eunomia("CONCEPT_CLASS.csv"),
    "RELATIONSHIP.csv": await eunomia("RELATIONSHIP.csv"),
    "CONCEPT.csv": concepts,
    "CONCEPT_SYNONYM.csv": await eunomia("CONCEPT_SYNONYM.csv"),
    "CONCEPT_RELATIONSHIP.csv": await eunomia("CONCEPT_RELATIONSHIP.csv"),
    "CONCEPT_ANCESTOR.csv": ancestors,
  };
}
