import { readFileSync } from "node:fs";
import path from "node:path";
import { expect, test } from "./support/test";
import { signInAndLand } from "./support/session";
import { createProject, saveBundle } from "./support/projects";

const fixture = (id: number) => path.resolve("protocol/circe/fixtures", `${id}.json`);

test("a researcher imports a phenotype from ATLAS, is told exactly what cannot be imported, and exports it back", async ({
  page,
}, testInfo) => {
  await signInAndLand(page, "researcher@demo.flip");
  await createProject(page, {
    title: `Stroke phenotype ${Date.now()}`,
    purpose: "Count people with a cerebral infarction, using the OHDSI phenotype.",
  });
  await page.getByRole("link", { name: "Edit bundle" }).click();

  // A published phenotype the portal cannot express is refused with the JSON path of the element.
  await page.getByRole("button", { name: "Import from ATLAS" }).click();
  const dialog = page.getByRole("dialog", { name: "Import an ATLAS cohort definition" });
  await dialog.getByLabel("JSON file").setInputFiles(fixture(1091));
  await dialog.getByRole("button", { name: "Import" }).click();
  await expect(dialog.getByRole("alert")).toContainText(
    "InclusionRules[0].expression.Groups[0].CriteriaList[1].Criteria.Measurement.RangeLow",
  );
  await expect(dialog.getByRole("alert")).toContainText("RangeLow in a Measurement criterion is not supported");
  await page.screenshot({ path: testInfo.outputPath("refused.png") });

  // Criteria nested in a rule's criterion come across, and the summary says what they are relative to.
  await dialog.getByLabel("JSON file").setInputFiles(fixture(1089));
  await dialog.getByRole("button", { name: "Import" }).click();
  await expect(dialog).toBeHidden();
  await expect(page.getByRole("main")).toContainText("counting days from that event and within its observation period");
  await page.screenshot({ path: testInfo.outputPath("nested.png"), fullPage: true });
  await page.getByRole("button", { name: "Import from ATLAS" }).click();

  // One it can: the cohort builder shows it, with what ATLAS settings the portal read differently.
  await dialog.getByLabel("JSON file").setInputFiles(fixture(609));
  await dialog.getByRole("button", { name: "Import" }).click();
  await expect(dialog).toBeHidden();
  const notice = page.getByRole("main").getByText("Imported from ATLAS. Save the bundle to keep it.");
  await expect(notice).toBeVisible();
  await expect(page.getByRole("main")).toContainText("EndStrategy");
  await expect(page.getByRole("list", { name: "Chosen concepts" })).toContainText("Cerebral infarction");

  // Another replaces it: age and sex at the entry event come across into the builder.
  await page.getByRole("button", { name: "Import from ATLAS" }).click();
  await dialog.getByLabel("JSON file").setInputFiles(fixture(1030));
  await dialog.getByRole("button", { name: "Import" }).click();
  await expect(dialog).toBeHidden();
  await expect(page.getByRole("list", { name: "Chosen concepts" })).toContainText("Malignant tumor of prostate");
  const person = page.getByRole("group", { name: "Age at the event (years)" });
  await expect(person.getByLabel("From")).toHaveValue("18");
  await expect(page.getByRole("checkbox", { name: "Male" }).first()).toBeChecked();
  await page.screenshot({ path: testInfo.outputPath("imported.png"), fullPage: true });
  await saveBundle(page);

  // Exported, it is Circe JSON that ATLAS opens: the same concept set, entry event, age and sex.
  await page.reload();
  const download = page.waitForEvent("download");
  await page.getByRole("button", { name: "Export for ATLAS" }).click();
  const file = await download;
  expect(file.suggestedFilename()).toBe("cohort-definition.atlas.json");
  const exported = JSON.parse(readFileSync((await file.path())!, "utf8")) as {
    ConceptSets: { expression: { items: { concept: { CONCEPT_ID: number }; includeDescendants: boolean }[] } }[];
    PrimaryCriteria: { CriteriaList: { ConditionOccurrence?: Record<string, unknown> }[] };
  };
  expect(exported.ConceptSets[0]!.expression.items[0]).toMatchObject({
    concept: { CONCEPT_ID: 4163261 },
    includeDescendants: true,
  });
  expect(exported.PrimaryCriteria.CriteriaList[0]!.ConditionOccurrence).toMatchObject({
    Age: { Value: 18, Op: "gte" },
    Gender: [{ CONCEPT_ID: 8507 }],
  });
});
