import { expect, test } from "@playwright/test";
import { signInAndLand } from "./support/session";
import { createProject, saveBundle } from "./support/projects";

test("the researcher finds a real code, picks the standard concept of a source code, browses the hierarchy and sets the flags", async ({
  page,
}, testInfo) => {
  // A long journey of many searches; on a busy build machine it outlasts the default minute.
  test.setTimeout(150_000);
  await signInAndLand(page, "researcher@demo.flip");
  await createProject(page, {
    title: `Diabetes and stroke ${Date.now()}`,
    purpose: "Count people with type 2 diabetes who later had a stroke, to plan a model.",
  });
  await page.getByRole("link", { name: "Edit bundle" }).click();
  await page.getByRole("button", { name: "Define cohort" }).click();
  await page.getByLabel("Entry event type").selectOption("condition");

  // A SNOMED CT code finds its concept, with code, vocabulary, domain and standard flag.
  const search = page.getByRole("combobox", { name: "Search concepts" });
  const matches = page.getByRole("listbox", { name: "Matching concepts" });
  await search.fill("44054006");
  const t2dm = matches.getByRole("option", { name: "Type 2 diabetes mellitus" });
  await expect(t2dm).toContainText("SNOMED 44054006");
  await expect(t2dm).toContainText("Condition");
  await expect(t2dm).toContainText("Standard");
  await t2dm.click();
  const chosen = page.getByRole("list", { name: "Chosen concepts" });
  await expect(chosen).toContainText("Type 2 diabetes mellitus");

  // A retired source code shows what it maps to, and picking it chooses that standard concept.
  await page.getByLabel("Validity").selectOption("any");
  await search.fill("brain damage traumatic");
  const source = matches.getByRole("option", { name: "Brain damage - traumatic" });
  await expect(source).toContainText("Non-standard");
  await expect(source).toContainText("Maps to Traumatic brain injury");
  await page.screenshot({ path: testInfo.outputPath("search.png") });
  await source.click();
  await expect(chosen).toContainText("Traumatic brain injury");
  await expect(chosen).not.toContainText("Brain damage - traumatic");

  // Words in any order, as prefixes, with a typo.
  await page.getByLabel("Validity").selectOption("valid");
  await search.fill("cerebrovasculr acc");
  await matches.getByRole("option", { name: "Cerebrovascular accident" }).click();

  // The hierarchy: children, then back up through the parents; a child can be added from there.
  await page.getByRole("button", { name: "Browse the hierarchy of Cerebrovascular accident" }).click();
  const dialog = page.getByRole("dialog", { name: "Concept hierarchy" });
  await expect(dialog.getByRole("heading", { name: "Cerebrovascular accident" })).toBeVisible();
  await expect(dialog.getByRole("region", { name: "Descendants (1)" })).toContainText("Cerebral infarction");
  await dialog
    .getByRole("region", { name: "Children" })
    .getByRole("button", { name: /^Cerebral infarction/ })
    .click();
  await expect(dialog.getByRole("heading", { name: "Cerebral infarction" })).toBeVisible();
  await expect(dialog.getByRole("region", { name: "Parents" })).toContainText("Cerebrovascular accident");
  await page.screenshot({ path: testInfo.outputPath("hierarchy.png") });
  await dialog.getByRole("button", { name: "Add to set" }).click();
  await expect(dialog.getByRole("button", { name: "In the set" })).toBeDisabled();
  await dialog.getByRole("button", { name: "Back" }).click();
  await expect(dialog.getByRole("heading", { name: "Cerebrovascular accident" })).toBeVisible();
  await page.keyboard.press("Escape");
  await expect(chosen).toContainText("Cerebral infarction");

  // ATLAS's flags on an item: exclude it, include the source codes mapped to it.
  const infarction = chosen.getByRole("listitem").filter({ hasText: "Cerebral infarction" });
  await infarction.getByLabel("Exclude").check();
  await infarction.getByLabel("Include mapped").check();
  await expect(infarction).toContainText("Excluded");
  await saveBundle(page);
  await page.reload();
  const saved = page
    .getByRole("list", { name: "Chosen concepts" })
    .getByRole("listitem")
    .filter({ hasText: "Cerebral infarction" });
  await expect(saved).toContainText("Excluded");
  await expect(saved.getByLabel("Include mapped")).toBeChecked();
});
