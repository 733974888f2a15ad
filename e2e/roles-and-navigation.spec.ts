import { expect, test } from "./support/test";
import { mainNav, signInAndLand } from "./support/session";

const ALL_LINKS = ["Home", "Network", "Projects", "Approvals", "Users", "Sites", "Audit log"];

const cases = [
  { email: "admin@demo.flip", role: "Admin", links: ["Home", "Network", "Users", "Sites", "Audit log"] },
  { email: "researcher@demo.flip", role: "Researcher", links: ["Home", "Network", "Projects"] },
  { email: "approver.kch@demo.flip", role: "Approver", links: ["Home", "Network", "Approvals"], site: "KCH" },
  { email: "approver.gstt@demo.flip", role: "Approver", links: ["Home", "Network", "Approvals"], site: "GSTT" },
  { email: "approver.uclh@demo.flip", role: "Approver", links: ["Home", "Network", "Approvals"], site: "UCLH" },
];

for (const c of cases) {
  test(`${c.email} sees the navigation of a ${c.role}${c.site ? ` for ${c.site}` : ""}`, async ({ page }) => {
    await signInAndLand(page, c.email);
    const roles = page.getByRole("list", { name: "Your roles" });
    await expect(roles).toContainText(c.role);
    if (c.site) await expect(roles).toContainText(c.site);
    const nav = mainNav(page);
    for (const link of ALL_LINKS) {
      // A badge extends the name, e.g. "Approvals, 2 pending".
      await expect(nav.getByRole("link", { name: new RegExp(`^${link}(,|$)`) })).toHaveCount(
        c.links.includes(link) ? 1 : 0,
      );
    }
  });
}

test("a researcher opening /admin sees a 403 page", async ({ page }) => {
  await signInAndLand(page, "researcher@demo.flip");
  const response = await page.goto("/admin/users");
  expect(response?.status()).toBe(403);
  await expect(page.getByRole("heading", { name: "You do not have access to this page" })).toBeVisible();
});

test("an approver opening the audit log sees a 403 page", async ({ page }) => {
  await signInAndLand(page, "approver.kch@demo.flip");
  const response = await page.goto("/admin/audit");
  expect(response?.status()).toBe(403);
});

test("signed-out visitors are sent to the sign-in page", async ({ page }) => {
  await page.goto("/admin/users");
  await expect(page).toHaveURL(/\/signin/);
  await expect(page.getByRole("heading", { name: "Sign in" })).toBeVisible();
});

test("signing out ends the session", async ({ page }) => {
  await signInAndLand(page, "researcher@demo.flip");
  await page.getByRole("button", { name: "Sign out" }).click();
  await expect(page.getByRole("heading", { name: "Sign in" })).toBeVisible();
  await page.goto("/");
  await expect(page).toHaveURL(/\/signin/);
});
