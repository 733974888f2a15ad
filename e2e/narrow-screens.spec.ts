import { expect, test } from "./support/test";
import { signInAndLand } from "./support/session";

test.use({ viewport: { width: 390, height: 844 } });

const PAGES = ["/", "/network", "/admin/users", "/admin/sites", "/admin/audit", "/account/security"];

test("at 390 px every admin page fits the screen without sideways scrolling", async ({ page }) => {
  await signInAndLand(page, "admin@demo.flip");
  for (const path of PAGES) {
    await page.goto(path);
    await expect(page.getByRole("heading", { level: 1 })).toBeVisible();
    await page.waitForLoadState("networkidle");
    const overflow = await page.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
    expect(overflow, `${path} is wider than the screen`).toBeLessThanOrEqual(0);
  }
});
