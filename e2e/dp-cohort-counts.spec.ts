import { expect, test } from "./support/test";
import { createProject, saveBundle } from "./support/projects";
import { makeE2eResearcher } from "./support/e2e-users";
import { signInAndLand } from "./support/session";

test("a researcher runs a DP-noised count: the results say so with their ε, and the site's spend shows on the project", async ({
  page,
}) => {
  // A researcher of its own: each site's differencing check compares later exact counts by the same
  // researcher with the cells of this DP count, and the demo researcher counts stroke cohorts later.
  const researcher = await makeE2eResearcher("dp-counts");
  await signInAndLand(page, researcher.email);
  const projectPath = await createProject(page, {
    title: `DP hypertension count ${Date.now()}`,
    purpose: "Count people with hypertension with differential privacy before planning a federated model.",
  });

  await page.getByRole("link", { name: "Edit bundle" }).click();
  await page.getByRole("button", { name: "Define cohort" }).click();
  await page.getByLabel("Entry event type").selectOption("condition");
  await page.getByRole("combobox", { name: "Search concepts" }).fill("Essential hypertension");
  await page
    .getByRole("listbox", { name: "Matching concepts" })
    .getByRole("option", { name: "Essential hypertension" })
    .click();
  await saveBundle(page);

  await page.goto(projectPath);
  await page.getByLabel("KCH", { exact: true }).check();
  await page.getByLabel("Add differential-privacy noise to the counts").check();
  // The shared schema's limits, before the round trip.
  await page.getByLabel("ε per count").fill("50");
  await expect(page.getByText("ε at most 10: more protects almost nothing")).toBeVisible();
  await expect(page.getByRole("button", { name: "Run feasibility count" })).toBeDisabled();
  await page.getByLabel("ε per count").fill("1");
  await expect(page.getByText(/about ±\d+(\.\d)? persons per count for this cohort/)).toBeVisible();
  await page.getByRole("button", { name: "Run feasibility count" }).click();

  await expect(page.getByRole("heading", { name: "Cohort results" })).toBeVisible();
  const perSite = page.getByRole("table", { name: "Per-site counts" });
  await expect(perSite.getByRole("row").filter({ hasText: "KCH" })).toContainText(/Done/, { timeout: 60_000 });
  await expect(perSite.getByRole("row").filter({ hasText: "KCH" })).toContainText("DP, ε = 1");
  await expect(page.getByText("DP-noised, ε = 1 per count")).toBeVisible();
  await expect(page.getByText(/These counts carry differential-privacy noise/)).toBeVisible();

  await page.goto(projectPath);
  await expect(page.getByRole("meter", { name: "KCH privacy budget spent" })).toBeVisible();
  // ε = 1 at the count's δ (10⁻⁶) is a little under 1 at the site's own, larger δ (10⁻⁵), where its budget is kept.
  await expect(page.getByText(/ε 0\.\d\d of \d+ spent/)).toBeVisible();
  await expect(page.getByText(/reported with a DP cohort count/)).toBeVisible();
});
