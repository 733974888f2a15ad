import { cp, mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { callerAs, makeUser, viewerOf } from "@/server/lib/test-support/fixtures";
import { useTestDatabase } from "@/server/lib/test-support/test-db";
import { EUNOMIA_FIXTURE } from "./fixtures/eunomia";
import { loadVocabulary } from "./load/load-vocabulary";

const testDb = useTestDatabase();
let folder: string;
let caller: ReturnType<typeof callerAs>;

// The real Eunomia rows, plus two real SNOMED CT synonyms of 44054006 (the fixture ships none).
beforeAll(async () => {
  folder = await mkdtemp(join(tmpdir(), "flip-vocab-search-"));
  await cp(EUNOMIA_FIXTURE, folder, { recursive: true });
  await writeFile(
    join(folder, "CONCEPT_SYNONYM.csv"),
    "concept_id\tconcept_synonym_name\tlanguage_concept_id\n201826\tType II diabetes mellitus\t4180186\n201826\tNon-insulin dependent diabetes mellitus\t4180186\n",
  );
  await loadVocabulary(testDb.url(), { folder });
  const user = await makeUser(testDb.db(), [{ role: "researcher" }]);
  caller = callerAs(testDb.db(), await viewerOf(testDb.db(), user.id));
});
afterAll(() => rm(folder, { recursive: true, force: true }));

const names = (rows: { name: string }[]) => rows.map((r) => r.name);

describe("vocabulary.search on real OMOP rows", () => {
  it("finds a SNOMED code and a concept id exactly, with code, vocabulary, domain and standard flag", async () => {
    const [byCode] = await caller.vocabulary.search({ query: "44054006" });
    expect(byCode).toMatchObject({
      id: 201826,
      name: "Type 2 diabetes mellitus",
      code: "44054006",
      vocabulary: "SNOMED",
      domain: "Condition",
      standard: "S",
      invalidReason: null,
    });
    expect((await caller.vocabulary.search({ query: "201826" }))[0]!.id).toBe(201826);
  });

  it("matches words in any order, as prefixes, and ranks the shortest standard name first", async () => {
    expect(names(await caller.vocabulary.search({ query: "mellitus type 2" }))[0]).toBe("Type 2 diabetes mellitus");
    expect(names(await caller.vocabulary.search({ query: "diab mell", domain: "Condition" }))).toContain(
      "Type 2 diabetes mellitus",
    );
  });

  it("forgives a small typo", async () => {
    expect(names(await caller.vocabulary.search({ query: "diabetis melitus" }))).toContain("Type 2 diabetes mellitus");
  });

  it("finds a half-typed last word, and a typo beside a word typed only in part", async () => {
    expect(names(await caller.vocabulary.search({ query: "type 2 diabetes mel" }))).toContain(
      "Type 2 diabetes mellitus",
    );
    expect(names(await caller.vocabulary.search({ query: "mellitus typ" }))).toContain("Type 2 diabetes mellitus");
    expect(names(await caller.vocabulary.search({ query: "diab melitus" }))).toContain("Type 2 diabetes mellitus");
  });

  it("gives the same answer to the same search", async () => {
    const first = await caller.vocabulary.search({ query: "dis", validity: "any" });
    expect(first.length).toBeGreaterThan(0);
    expect(await caller.vocabulary.search({ query: "dis", validity: "any" })).toEqual(first);
  });

  it("finds a concept by its synonym and says which synonym matched", async () => {
    const [hit] = await caller.vocabulary.search({ query: "non-insulin dependent" });
    expect(hit).toMatchObject({ id: 201826, matchedSynonym: "non-insulin dependent diabetes mellitus" });
  });

  it("shows what a non-standard code maps to, and filters by kind, validity, domain and vocabulary", async () => {
    const query = { query: "brain damage traumatic" };
    expect((await caller.vocabulary.search(query)).map((c) => c.id)).not.toContain(4166590);
    const [source] = await caller.vocabulary.search({ ...query, validity: "any" });
    expect(source).toMatchObject({ id: 4166590, standard: null, invalidReason: "U" });
    expect(source!.mapsTo.map((m) => m.standard)).toEqual(source!.mapsTo.map(() => "S"));
    expect(source!.mapsTo.length).toBeGreaterThan(0);

    const standardOnly = await caller.vocabulary.search({ query: "diabetes", standard: ["standard"] });
    expect(standardOnly.length).toBeGreaterThan(0);
    expect(new Set(standardOnly.map((c) => c.standard))).toEqual(new Set(["S"]));
    const loinc = await caller.vocabulary.search({ query: "glucose", vocabularies: ["LOINC"] });
    expect(loinc.length).toBeGreaterThan(0);
    expect(new Set(loinc.map((c) => c.vocabulary))).toEqual(new Set(["LOINC"]));
    expect(await caller.vocabulary.search({ query: "44054006", domain: "Drug" })).toEqual([]);
  });

  it("refuses a search longer than 100 characters with a message a person can act on", async () => {
    await expect(caller.vocabulary.search({ query: "x".repeat(101) })).rejects.toThrow(
      "Keep the search under 100 characters",
    );
  });
});

describe("vocabulary.concept: the hierarchy", () => {
  it("gives parents, children and descendants from concept_ancestor", async () => {
    const root = await caller.vocabulary.concept({ conceptId: 4203722 });
    expect(root.concept).toMatchObject({ name: "Patient encounter procedure", code: "308335008" });
    expect(root.concept.descendants).toBe(root.descendants.length);
    expect(names(root.children)).toContain("Encounter for problem");
    const child = await caller.vocabulary.concept({ conceptId: 4085798 });
    expect(names(child.parents)).toContain("Patient encounter procedure");
  });

  it("gives a standard concept's synonyms, and a source code's standard concept", async () => {
    const t2dm = await caller.vocabulary.concept({ conceptId: 201826 });
    expect(t2dm.synonyms).toEqual(["Non-insulin dependent diabetes mellitus", "Type II diabetes mellitus"]);
    const source = await caller.vocabulary.concept({ conceptId: 4166590 });
    expect(source.mapsTo.length).toBeGreaterThan(0);
    const target = await caller.vocabulary.concept({ conceptId: source.mapsTo[0]!.id });
    expect(target.mappedFrom.map((c) => c.id)).toContain(4166590);
  });

  it("says a concept is not in the vocabulary", async () => {
    await expect(caller.vocabulary.concept({ conceptId: 999_999_999 })).rejects.toThrow(
      "Concept 999999999 is not in the hub's vocabulary.",
    );
  });

  it("describes the release and what it holds", async () => {
    const about = await caller.vocabulary.about();
    expect(about.version).toBe("v5.0 09-APR-22*");
    expect(about.vocabularies).toEqual(expect.arrayContaining(["LOINC", "RxNorm", "SNOMED", "UCUM"]));
    expect(about.domains).toEqual(expect.arrayContaining(["Condition", "Drug", "Measurement"]));
  });
});
