import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { CONCEPT } from "@/protocol/omop/concepts";
import { useTestDatabase } from "@/server/lib/test-support/test-db";
import { searchConcepts } from "./concept-search";
import { ZConceptSearchInput } from "./vocabulary.schema";
import { loadDemoVocabulary } from "./demo-vocabulary";

const testDb = useTestDatabase();
const folder = await mkdtemp(join(tmpdir(), "flip-demo-vocab-"));
afterAll(() => rm(folder, { recursive: true, force: true }));

const search = (query: string) => searchConcepts(testDb.db(), ZConceptSearchInput.parse({ query }));

describe("loadDemoVocabulary", () => {
  it("loads the demo's curated concepts with their hierarchy beside the real Eunomia rows, once", async () => {
    const first = await loadDemoVocabulary(testDb.url(), folder);
    expect(first.status).toBe("loaded");

    const [stroke] = await search("cerebrovascular accident");
    expect(stroke).toMatchObject({ id: CONCEPT.cerebrovascularAccident, descendants: 1 });
    expect((await search("44054006"))[0]).toMatchObject({ id: CONCEPT.type2Diabetes, vocabulary: "SNOMED" });
    expect((await search("traumatic brain injury"))[0]).toMatchObject({ id: 4132546 });
    // The searches the e2e journeys type into the picker: a typo beside a half-typed word, and whole names.
    expect((await search("cerebrovasculr acc")).map((c) => c.name)).toContain("Cerebrovascular accident");
    for (const name of ["Cerebral infarction", "Atrial fibrillation", "Essential hypertension"])
      expect((await search(name)).map((c) => c.name)).toContain(name);

    expect((await loadDemoVocabulary(testDb.url(), folder)).status).toBe("unchanged");
  });
});
