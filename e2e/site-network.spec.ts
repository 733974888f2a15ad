import { expect, test } from "./support/test";
import { mainNav, signInAndLand } from "./support/session";

const SITES = ["KCH", "GSTT", "UCLH"];

test("the admin sees the three Trusts online, reads one's inventory and issues a token once", async ({ page }) => {
  await signInAndLand(page, "admin@demo.flip");
  await mainNav(page).getByRole("link", { name: "Sites", exact: true }).click();
  // The workers start with the portal; the page refreshes itself, no reload needed.
  for (const code of SITES) {
    await expect(page.getByTestId(`site-status-${code}`).first()).toHaveAttribute("data-status", "online", {
      timeout: 45_000,
    });
  }

  await page.getByRole("link", { name: "KCH" }).first().click();
  await expect(page.getByRole("heading", { name: "King's College Hospital" })).toBeVisible();
  const inventory = page.getByRole("heading", { name: "Data available" }).locator("xpath=ancestor::section[1]");
  await expect(inventory).toContainText("Persons", { timeout: 30_000 });
  await expect(inventory).toContainText("Observation years");
  await expect(inventory).toContainText("CT");
  // Small cells never reach the hub as numbers.
  await expect(inventory).toContainText("< 10");

  await page.getByLabel("Grace period").fill("600");
  await page.getByRole("button", { name: "Issue new token" }).click();
  const token = page.getByTestId("site-token");
  await expect(token).toHaveText(/^flip_st_[A-Za-z0-9_-]{43}$/);
  await page.reload();
  await expect(page.getByRole("heading", { name: "Data available" })).toBeVisible();
  await expect(page.getByTestId("site-token")).toHaveCount(0);
  await expect(page.getByText("In grace period").first()).toBeVisible();
});
