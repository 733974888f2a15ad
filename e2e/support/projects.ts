import { expect, type Page } from "@playwright/test";

/** Creates a project from the Projects page as a researcher does; returns the project page's path. */
export async function createProject(page: Page, { title, purpose }: { title: string; purpose: string }) {
  await page.goto("/projects");
  await page.getByRole("button", { name: "New project" }).click();
  await page.getByLabel("Title").fill(title);
  await page.getByLabel("Purpose").fill(purpose);
  await page.getByRole("button", { name: "Create project" }).click();
  await expect(page.getByRole("heading", { name: title })).toBeVisible();
  return new URL(page.url()).pathname;
}

/** Saves the governance bundle and waits for the new revision's notice. */
export async function saveBundle(page: Page) {
  await page.getByRole("button", { name: "Save bundle" }).click();
  await expect(
    page
      .getByRole("status")
      .filter({ hasText: /revision/i })
      .first(),
  ).toBeVisible();
}
