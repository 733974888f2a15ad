import { readFileSync } from "node:fs";
import path from "node:path";
import { expect, test } from "./support/test";
import { mainNav, signInAndLand } from "./support/session";

const fixture = (id: number) => path.resolve("protocol/circe/fixtures", `${id}.json`);

test("a researcher imports a phenotype from ATLAS, is told exactly what cannot be imported, and exports it back", async ({
  page,
}, testInfo) => {
  await signInAndLand(page, "researcher@demo.flip");
  await mainNav(page)
    .getByRole("link", { name: /^Projects(,|$)/ })
    .click();
  await page.getByRole("button", { name: "New project" }).click();
  await page.getByLabel("Title").fill(`Stroke phenotype ${Date.now()}`);
  await page.getByLabel("Purpose").fill("Count people with a cerebral infarction, using the OHDSI phenotype.");
  await page.getByRole("button", { name: "Create project" }).click();
  await page.getByRole("link", { name: "Edit bundle" }).click();

  // A published phenotype the portal cannot express is refused with the JSON path of the element.
  await page.getByRole("button", { name: "Import from ATLAS" }).click();
  const dialog = page.getByRole("dialog", { name: "Import an ATLAS cohort definition" });
  await dialog.getByLabel("JSON file").setInputFiles(fixture(1030));
  await dialog.getByRole("button", { name: "Import" }).click();
  await expect(dialog.getByRole("alert")).toContainText("PrimaryCriteria.CriteriaList[0].ConditionOccurrence.Age");
  await expect(dialog.getByRole("alert")).toContainText("Age in a ConditionOccurrence criterion is not supported");
  await page.screenshot({ path: testInfo.outputPath("refused.png") });

  // One it can: the cohort builder shows it, with what ATLAS settings the portal read differently.
  await dialog.getByLabel("JSON file").setInputFiles(fixture(609));
  await dialog.getByRole("button", { name: "Import" }).click();
  await expect(dialog).toBeHidden();
  const notice = page.getByRole("main").getByText("Imported from ATLAS. Save the bundle to keep it.");
  await expect(notice).toBeVisible();
  await expect(page.getByRole("main")).toContainText("EndStrategy");
  await expect(page.getByRole("list", { name: "Chosen concepts" })).toContainText("Cerebral infarction");
  await page.getByRole("button", { name: "Save bundle" }).click();
  await expect(
    page
      .getByRole("status")
      .filter({ hasText: /revision/i })
      .first(),
  ).toBeVisible();

  // Exported, it is Circe JSON that ATLAS opens: the same concept set and entry event.
  await page.reload();
  const download = page.waitForEvent("download");
  await page.getByRole("button", { name: "Export for ATLAS" }).click();
  const file = await download;
  expect(file.suggestedFilename()).toBe("cohort-definition.atlas.json");
  const exported = JSON.parse(readFileSync((await file.path())!, "utf8")) as {
    ConceptSets: { expression: { items: { concept: { CONCEPT_ID: number }; includeDescendants: boolean }[] } }[];
    PrimaryCriteria: { CriteriaList: { ConditionOccurrence?: { CodesetId: number } }[] };
  };
  expect(exported.ConceptSets[0]!.expression.items[0]).toMatchObject({
    concept: { CONCEPT_ID: 443454 },
    includeDescendants: true,
  });
  expect(exported.PrimaryCriteria.CriteriaList[0]!.ConditionOccurrence).toBeDefined();
});
