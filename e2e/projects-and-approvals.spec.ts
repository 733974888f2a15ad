import { expect, test, type Page } from "./support/test";
import { mainNav, signIn, signInAndLand } from "./support/session";
import { createProject, saveBundle } from "./support/projects";

test.describe.serial("a cohort goes from feasibility to per-site approval and back", () => {
  const title = `Stroke lesion cohort ${Date.now()}`;
  let projectPath = "";

  const siteRow = (page: Page, code: string) =>
    page.getByRole("table", { name: "Site approvals" }).getByRole("row").filter({ hasText: code });

  test("the researcher builds a cohort and sees per-site counts and the funnel", async ({ page }) => {
    await signInAndLand(page, "researcher@demo.flip");
    await mainNav(page)
      .getByRole("link", { name: /^Projects(,|$)/ })
      .click();
    await expect(page.getByRole("heading", { name: "Projects", exact: true })).toBeVisible();
    projectPath = await createProject(page, {
      title,
      purpose: "Estimate how many stroke patients had a CT scan soon after admission, to plan a federated model.",
    });

    await page.getByRole("link", { name: "Edit bundle" }).click();
    await page.getByRole("button", { name: "Define cohort" }).click();
    await page.getByLabel("Entry event type").selectOption("condition");
    await page.getByRole("combobox", { name: "Search concepts" }).fill("Cerebral infarction");
    await page
      .getByRole("listbox", { name: "Matching concepts" })
      .getByRole("option", { name: "Cerebral infarction" })
      .click();
    await page.getByRole("button", { name: "Add rule" }).click();
    await page.getByLabel("Rule name").fill("Has a CT scan");
    await page.getByLabel("Event type", { exact: true }).selectOption("imaging");
    await saveBundle(page);

    await page.goto(projectPath);
    for (const code of ["KCH", "GSTT", "UCLH"]) await page.getByLabel(code, { exact: true }).check();
    await page.getByRole("button", { name: "Run feasibility count" }).click();
    await expect(page.getByRole("heading", { name: "Cohort results" })).toBeVisible();
    // The three site workers count at their own sites; the page follows their progress without reloads.
    const perSite = page.getByRole("table", { name: "Per-site counts" });
    await expect(perSite).toBeVisible({ timeout: 60_000 });
    for (const code of ["KCH", "GSTT", "UCLH"])
      await expect(perSite.getByRole("row").filter({ hasText: code })).toContainText(/Done/);
    await expect(page.getByText("Combined total")).toBeVisible();
    await expect(page.getByText("Attrition, combined")).toBeVisible();
    await expect(page.getByText("Has a CT scan").first()).toBeVisible();
  });

  test("the researcher submits to KCH and GSTT, seeing each site's count", async ({ page }) => {
    await signInAndLand(page, "researcher@demo.flip");
    await page.goto(projectPath);
    await page.getByRole("link", { name: "Submit for approval" }).click();
    await expect(page.getByRole("heading", { name: "Submit for approval" })).toBeVisible();
    // Each site shows the count its worker returned for this cohort (a number, or "< 10" when suppressed).
    await expect(page.getByText(/Feasibility count: (< ?\d+|[\d,]+) people/)).toHaveCount(3);
    await page.getByLabel("KCH", { exact: true }).check();
    await page.getByLabel("GSTT", { exact: true }).check();
    await page.getByRole("button", { name: "Submit for approval" }).click();
    await expect(siteRow(page, "KCH")).toContainText("Pending");
    await expect(siteRow(page, "GSTT")).toContainText("Pending");
  });

  async function decide(page: Page, approver: string, decision: "Approve" | "Decline", comment?: string) {
    await signInAndLand(page, approver);
    await mainNav(page)
      .getByRole("link", { name: /^Approvals, 1 pending$/ })
      .click();
    await page
      .getByRole("table", { name: /^Requests waiting for / })
      .getByRole("link", { name: title })
      .click();
    await expect(page.getByRole("heading", { name: title })).toBeVisible();
    await page.getByRole("button", { name: decision, exact: true }).click();
    if (comment !== undefined) {
      await page.getByRole("button", { name: "Confirm decision" }).click();
      await expect(page.getByText("Say why you decline, so the researchers can act on it")).toBeVisible();
      await page.getByLabel("Comment").fill(comment);
    }
    await page.getByRole("button", { name: "Confirm decision" }).click();
    await expect(
      page.getByText(decision === "Approve" ? "Approved" : "Declined", { exact: true }).first(),
    ).toBeVisible();
  }

  test("approver.kch approves", async ({ page }) => {
    await decide(page, "approver.kch@demo.flip", "Approve");
  });

  test("approver.gstt declines with a comment", async ({ page }) => {
    await decide(
      page,
      "approver.gstt@demo.flip",
      "Decline",
      "Our data-sharing agreement does not cover stroke imaging.",
    );
  });

  test("the researcher sees the project active with KCH approved; editing the cohort makes KCH pending again", async ({
    page,
  }) => {
    await signIn(page, "researcher@demo.flip");
    await expect(mainNav(page).getByRole("link", { name: /^Projects, 2 new decisions$/ })).toBeVisible({
      timeout: 20_000,
    });
    await page.goto(projectPath);
    await expect(page.getByText("Active", { exact: true }).first()).toBeVisible();
    await expect(siteRow(page, "KCH")).toContainText("Approved");
    await expect(siteRow(page, "GSTT")).toContainText("Declined");
    await expect(siteRow(page, "GSTT")).toContainText("Our data-sharing agreement does not cover stroke imaging.");

    await page.getByRole("link", { name: "Edit bundle" }).click();
    await page.getByLabel("Rule name").fill("Has a CT head scan");
    await page.getByRole("button", { name: "Save bundle" }).click();
    await expect(
      page
        .getByRole("status")
        .filter({ hasText: /pending again/i })
        .first(),
    ).toBeVisible();
    await page.goto(projectPath);
    await expect(siteRow(page, "KCH")).toContainText("Pending");
    await expect(siteRow(page, "GSTT")).toContainText("Pending");
  });
});
