import { and, eq, isNull } from "drizzle-orm";
import { connectDatabase } from "@/db/client";
import { withDatabase } from "@/db/pg-connection";
import { userSessions, users } from "@/db/schema";
import { expect, test, type Page } from "./support/test";
import { E2E_DATABASE, e2eAdminUrl } from "./support/constants";
import { signInAndLand } from "./support/session";

const EMAIL = "researcher@demo.flip";

async function openAccount(page: Page) {
  await page.getByRole("link", { name: /^Your account/ }).click();
  await expect(page.getByRole("heading", { name: "Your account" })).toBeVisible();
  return page.getByRole("table", { name: "Signed-in sessions" });
}

/** As if this user's live sessions had not been used for `minutes`. */
async function idleFor(minutes: number) {
  const { db, pool } = connectDatabase(withDatabase(e2eAdminUrl(), E2E_DATABASE));
  try {
    const [user] = await db.select({ id: users.id }).from(users).where(eq(users.email, EMAIL));
    await db
      .update(userSessions)
      .set({ lastSeenAt: new Date(Date.now() - minutes * 60_000) })
      .where(and(eq(userSessions.userId, user!.id), isNull(userSessions.endedAt)));
  } finally {
    await pool.end();
  }
}

test("a researcher sees where they are signed in and signs another browser out", async ({ page, browser }) => {
  const other = await browser.newContext();
  const otherPage = await other.newPage();
  try {
    await signInAndLand(otherPage, EMAIL);
    await signInAndLand(page, EMAIL);
    const sessions = await openAccount(page);
    await expect(sessions.getByText("This browser")).toHaveCount(1);
    const rows = sessions.getByRole("row").filter({ hasText: /Chrome on / });
    await expect.poll(() => rows.count()).toBeGreaterThanOrEqual(2);

    const otherRow = sessions.getByRole("row").filter({ hasNotText: "This browser" }).last();
    await otherRow.getByRole("button", { name: "Sign out" }).click();
    await expect(sessions.getByText("This browser")).toHaveCount(1);
    await page.getByText(/^Ended sessions/).click();
    await expect(page.getByRole("table", { name: "Ended sessions" })).toContainText("Signed out from another browser");

    // The other browser's next page load finds its session over.
    await otherPage.goto("/projects");
    await expect(otherPage).toHaveURL(/\/signin/);
  } finally {
    await other.close();
  }
});

test("a session left idle past the timeout ends, and the account page says why", async ({ page }) => {
  await signInAndLand(page, EMAIL);
  await idleFor(31);
  await page.goto("/projects");
  await expect(page).toHaveURL(/\/signin/);

  await signInAndLand(page, EMAIL);
  await openAccount(page);
  await page.getByText(/^Ended sessions/).click();
  await expect(page.getByRole("table", { name: "Ended sessions" })).toContainText("Timed out (idle)");
});

test("sign out everywhere ends every browser's session, this one included", async ({ page, browser }) => {
  const other = await browser.newContext();
  const otherPage = await other.newPage();
  try {
    await signInAndLand(otherPage, EMAIL);
    await signInAndLand(page, EMAIL);
    await openAccount(page);
    await page.getByRole("button", { name: "Sign out everywhere" }).click();
    await page.getByRole("dialog").getByRole("button", { name: "Sign out everywhere" }).click();
    await expect(page.getByRole("heading", { name: "Sign in" })).toBeVisible();
    await otherPage.goto("/projects");
    await expect(otherPage).toHaveURL(/\/signin/);
  } finally {
    await other.close();
  }
});
