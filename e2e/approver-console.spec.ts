import { expect, test, type Page } from "./support/test";
import { formAlert, mainNav, signInAndLand } from "./support/session";
import { createProject, saveBundle } from "./support/projects";

const horizontalOverflow = (page: Page) =>
  page.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);

test.describe
  .serial("an approver sees what ran at their site, withdraws the approval and finds it in the history", () => {
  const title = `Atrial fibrillation audit ${Date.now()}`;
  const reason = "Our data-sharing agreement is under review.";
  let projectPath = "";

  const siteRow = (page: Page, code: string) =>
    page.getByRole("table", { name: "Site approvals" }).getByRole("row").filter({ hasText: code });

  test("the researcher counts a cohort at KCH and submits the project to KCH", async ({ page }) => {
    await signInAndLand(page, "researcher@demo.flip");
    projectPath = await createProject(page, {
      title,
      purpose: "Count people with atrial fibrillation to plan a federated risk model.",
    });

    await page.getByRole("link", { name: "Edit bundle" }).click();
    await page.getByRole("button", { name: "Define cohort" }).click();
    await page.getByLabel("Entry event type").selectOption("condition");
    await page.getByRole("combobox", { name: "Search concepts" }).fill("Atrial fibrillation");
    await page
      .getByRole("listbox", { name: "Matching concepts" })
      .getByRole("option", { name: "Atrial fibrillation" })
      .click();
    await saveBundle(page);

    await page.goto(projectPath);
    await page.getByLabel("KCH", { exact: true }).check();
    await page.getByRole("button", { name: "Run feasibility count" }).click();
    const perSite = page.getByRole("table", { name: "Per-site counts" });
    await expect(perSite.getByRole("row").filter({ hasText: "KCH" })).toContainText(/Done/, { timeout: 60_000 });

    await page.goto(projectPath);
    await page.getByRole("link", { name: "Submit for approval" }).click();
    // The count comes from the browser's own query: once it shows, the checklist is the page's to
    // change (a box ticked before then could be reset by hydration, as one loaded CI run saw).
    await expect(page.getByRole("listitem").filter({ hasText: "KCH" })).toContainText("Feasibility count: 10 people");
    await page.getByLabel("KCH", { exact: true }).check();
    await page.getByRole("button", { name: "Submit for approval" }).click();
    await expect(siteRow(page, "KCH")).toContainText("Pending");
  });

  test("approver.kch approves", async ({ page }) => {
    await signInAndLand(page, "approver.kch@demo.flip");
    await mainNav(page)
      .getByRole("link", { name: /^Approvals, 1 pending$/ })
      .click();
    await page.getByRole("table", { name: "Requests waiting for KCH" }).getByRole("link", { name: title }).click();
    await page.getByRole("button", { name: "Approve", exact: true }).click();
    await page.getByRole("button", { name: "Confirm decision" }).click();
    await expect(page.getByText("Approved", { exact: true }).first()).toBeVisible();
  });

  test("approver.kch sees what ran for the project at KCH and withdraws the approval, giving a reason", async ({
    page,
  }) => {
    await signInAndLand(page, "approver.kch@demo.flip");
    await mainNav(page)
      .getByRole("link", { name: /^Approvals/ })
      .click();
    await expect(page.getByRole("group", { name: "E-mail about new requests and withdrawals" })).toBeVisible();
    await page.screenshot({ path: "test-results/approver-console-approvals-1280.png", fullPage: true });
    await page.getByRole("table", { name: "Projects at KCH" }).getByRole("link", { name: title }).click();
    await expect(page.getByRole("heading", { name: title })).toBeVisible();
    const tasks = page.getByRole("table", { name: `Tasks of ${title} at KCH` });
    await expect(tasks.getByRole("row").filter({ hasText: "Cohort count" })).toContainText("feasibility");
    await expect(tasks.getByRole("row").filter({ hasText: "Cohort count" })).toContainText(/Cohort counts: total/);

    await page.getByRole("button", { name: "Withdraw approval" }).click();
    const dialog = page.getByRole("dialog", { name: "Withdraw KCH's approval?" });
    await dialog.getByRole("button", { name: "Withdraw and stop tasks" }).click();
    await expect(dialog.getByText("Say why you withdraw the approval, so the researchers can act on it")).toBeVisible();
    await dialog.getByLabel("Reason").fill(reason);
    await dialog.getByRole("button", { name: "Withdraw and stop tasks" }).click();
    await expect(dialog).toBeHidden();
    await expect(page.getByText("Withdrawn", { exact: true })).toBeVisible();
    await expect(page.getByText(/Withdrawn: nothing of this project runs at KCH/)).toBeVisible();
    await expect(page.getByRole("button", { name: "Withdraw approval" })).toHaveCount(0);
    await page.screenshot({ path: "test-results/approver-console-activity-1280.png", fullPage: true });

    await page.getByRole("link", { name: "Approvals" }).first().click();
    await page.getByRole("link", { name: "Decision history" }).click();
    const history = page.getByRole("table", { name: "Decisions for KCH" });
    const rows = history.getByRole("row").filter({ hasText: title });
    await expect(rows).toHaveCount(2);
    await expect(rows.nth(0)).toContainText("Withdrawn");
    await expect(rows.nth(0)).toContainText(reason);
    await expect(rows.nth(1)).toContainText("Approved");
    await page.screenshot({ path: "test-results/approver-console-history-1280.png", fullPage: true });

    await page.setViewportSize({ width: 390, height: 844 });
    await expect(page.getByRole("heading", { name: "Decision history for KCH" })).toBeVisible();
    expect(await horizontalOverflow(page)).toBeLessThanOrEqual(0);
    await page.screenshot({ path: "test-results/approver-console-history-390.png", fullPage: true });
    // The bundle each decision covered opens from the history.
    await page
      .getByRole("link", { name: new RegExp(title) })
      .first()
      .click();
    await expect(page.getByText(/Bundle hash [0-9a-f]{64}/)).toBeVisible();
    await expect(page.getByRole("button", { name: "Approve", exact: true })).toBeVisible();
    await page.screenshot({ path: "test-results/approver-console-request-390.png", fullPage: true });
  });

  test("the researcher sees KCH's approval withdrawn, with the reason, and no revision approved there", async ({
    page,
  }) => {
    await signInAndLand(page, "researcher@demo.flip");
    await page.goto(projectPath);
    const kch = siteRow(page, "KCH");
    await expect(kch).toContainText("Withdrawn");
    await expect(kch).toContainText(reason);
    await expect(kch).toContainText("Approval withdrawn: its tasks here were stopped");
    await page.getByLabel("KCH", { exact: true }).check();
    await page.getByRole("button", { name: "Run feasibility count" }).click();
    await expect(formAlert(page).filter({ hasText: "KCH withdrew approval of this project" })).toBeVisible();
    await page.setViewportSize({ width: 390, height: 844 });
    await kch.scrollIntoViewIfNeeded();
    expect(await horizontalOverflow(page)).toBeLessThanOrEqual(0);
    await page.screenshot({ path: "test-results/approver-console-project-390.png", fullPage: true });
  });
});
