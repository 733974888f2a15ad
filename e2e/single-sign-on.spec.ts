import { eq } from "drizzle-orm";
import { connectDatabase } from "@/db/client";
import { withDatabase } from "@/db/pg-connection";
import { ssoIdentities, users } from "@/db/schema";
import { E2E_BASE_URL, E2E_DATABASE, E2E_IDP, e2eAdminUrl } from "./support/constants";
import { formAlert } from "./support/session";
import { expect, test, type Page } from "./support/test";

/** Presses "Sign in with …" and signs in at the test provider's own login page. */
async function signInWithIdp(page: Page, login: string) {
  await page.getByRole("button", { name: `Sign in with ${E2E_IDP.displayName}` }).click();
  await expect(page.getByRole("heading", { name: "Test IdP" })).toBeVisible();
  expect(new URL(page.url()).port).toBe(String(E2E_IDP.port));
  await page.getByLabel("Username").fill(login);
  await page.getByLabel("Password").fill("whatever-the-idp-checks");
  await page.getByRole("button", { name: "Continue" }).click();
}

async function linkedAccountOf(subject: string) {
  const { db, pool } = connectDatabase(withDatabase(e2eAdminUrl(), E2E_DATABASE));
  try {
    const rows = await db
      .select({ email: users.email })
      .from(ssoIdentities)
      .innerJoin(users, eq(users.id, ssoIdentities.userId))
      .where(eq(ssoIdentities.subject, subject));
    return rows.map((r) => r.email);
  } finally {
    await pool.end();
  }
}

test("a researcher signs in through the identity provider and lands in the portal as themselves", async ({ page }) => {
  await page.goto(`/signin?callbackUrl=${encodeURIComponent("/projects")}`);
  await signInWithIdp(page, "researcher@demo.flip");
  await expect(page).toHaveURL(`${E2E_BASE_URL}/projects`);
  await page.goto("/");
  await expect(page.getByRole("heading", { name: "Welcome, Riley Researcher" })).toBeVisible();
  // The provider's subject is now linked to the account the admin created.
  expect(await linkedAccountOf("idp-researcher")).toEqual(["researcher@demo.flip"]);
  // The account page lists this browser's session as a single sign-on one.
  await page.goto("/account");
  const current = page.getByRole("table", { name: "Signed-in sessions" }).getByRole("row", { name: /This browser/ });
  await expect(current).toContainText("Single sign-on");
});

test("an e-mail with no FLIP account is refused with a page that says what to do", async ({ page }) => {
  await page.goto("/signin");
  await signInWithIdp(page, "nobody@demo.flip");
  await expect(page).toHaveURL(/\/signin\?/);
  await expect(formAlert(page)).toHaveText(
    "No FLIP account uses nobody@demo.flip. Ask a platform admin to create one.",
  );
  await expect(page.getByRole("heading", { name: /^Welcome,/ })).toHaveCount(0);
  await page.goto("/");
  await expect(page.getByRole("heading", { name: "Sign in" })).toBeVisible();
  expect(await linkedAccountOf("idp-nobody")).toEqual([]);
});

test("a callbackUrl that a browser would resolve to another host lands on the portal after SSO too", async ({
  page,
}) => {
  await page.goto(`/signin?callbackUrl=${encodeURIComponent("/\\evil.example/")}`);
  await signInWithIdp(page, "researcher@demo.flip");
  await expect(page.getByRole("heading", { name: "Welcome, Riley Researcher" })).toBeVisible();
  expect(new URL(page.url()).origin).toBe(new URL(E2E_BASE_URL).origin);
  expect(new URL(page.url()).pathname).toBe("/");
});
