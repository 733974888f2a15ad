import { desc, eq } from "drizzle-orm";
import { userSessions } from "@/db/schema";
import { expect, test, type Page } from "./support/test";
import { makeE2eResearcher, withE2eDatabase } from "./support/e2e-users";
import { formAlert, signIn, signInAndLand } from "./support/session";
import { addVirtualAuthenticator } from "./support/virtual-authenticator";

async function addPasskeyOnAccountPage(page: Page, label: string) {
  await page.getByRole("link", { name: /^Your account/ }).click();
  await page.getByRole("link", { name: "Second factors and recovery codes" }).click();
  await expect(page.getByRole("heading", { name: "Account security" })).toBeVisible();
  await page.getByLabel("Passkey name").fill(label);
  await page.getByRole("button", { name: "Add a passkey" }).click();
}

async function signOut(page: Page) {
  await page.getByRole("button", { name: "Sign out" }).click();
  await expect(page.getByRole("heading", { name: "Sign in" })).toBeVisible();
}

async function latestSession(userId: string) {
  return withE2eDatabase(async (db) => {
    const [row] = await db
      .select()
      .from(userSessions)
      .where(eq(userSessions.userId, userId))
      .orderBy(desc(userSessions.createdAt))
      .limit(1);
    return row!;
  });
}

test("a researcher adds a passkey on the account page, signs out, and signs in with it", async ({ page }) => {
  const authenticator = await addVirtualAuthenticator(page);
  const user = await makeE2eResearcher("passkey-owner");
  await signInAndLand(page, user.email);

  await addPasskeyOnAccountPage(page, "Work laptop");
  await expect(page.getByText("Passkey “Work laptop” added.")).toBeVisible();
  const item = page.getByRole("listitem", { name: "Work laptop" });
  await expect(item.getByText("never")).toBeVisible();
  // The page shows the fingerprint of the key the authenticator really holds.
  const [fingerprint] = await authenticator.fingerprints();
  await expect(item.getByTestId("passkey-fingerprint")).toHaveText(fingerprint!);

  await signOut(page);
  await page.getByRole("button", { name: "Use a passkey" }).click();
  await expect(page.getByRole("heading", { name: /^Welcome,/ })).toBeVisible();
  // A user-verified passkey is both factors: the session starts with its second factor proved.
  expect(await latestSession(user.id)).toMatchObject({ method: "passkey", factorVerifiedAt: expect.any(Date) });

  await page.goto("/account/security");
  await expect(page.getByRole("listitem", { name: "Work laptop" }).getByText("never")).toHaveCount(0);

  // On a phone the page, long fingerprint included, fits without sideways scrolling.
  await page.setViewportSize({ width: 390, height: 844 });
  await expect(page.getByTestId("passkey-fingerprint")).toBeVisible();
  const overflow = await page.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
  expect(overflow, "/account/security is wider than the screen").toBeLessThanOrEqual(0);
});

test("an account locked by wrong passwords still signs in with its passkey", async ({ page }) => {
  await addVirtualAuthenticator(page);
  const user = await makeE2eResearcher("locked-out");
  await signInAndLand(page, user.email);
  await addPasskeyOnAccountPage(page, "Phone");
  await expect(page.getByText("Passkey “Phone” added.")).toBeVisible();
  await signOut(page);

  for (let attempt = 1; attempt <= 5; attempt++) {
    await signIn(page, user.email, `wrong-password-${attempt}`);
    await expect(formAlert(page)).toHaveText("That email and password do not match an account.");
  }
  await signIn(page, user.email);
  await expect(formAlert(page)).toHaveText(/Too many failed sign-in attempts\. Wait 15 minutes/);

  await page.getByRole("button", { name: "Use a passkey" }).click();
  await expect(page.getByRole("heading", { name: /^Welcome,/ })).toBeVisible();
});

test("after a password sign-in the passkey is the second factor, and removing it needs a step-up", async ({ page }) => {
  await addVirtualAuthenticator(page);
  const user = await makeE2eResearcher("second-factor");
  await signInAndLand(page, user.email);
  await addPasskeyOnAccountPage(page, "Laptop");
  await expect(page.getByText("Passkey “Laptop” added.")).toBeVisible();
  await signOut(page);

  // The account has a passkey now: a password alone leads to the second step, where it serves.
  await signIn(page, user.email);
  await expect(page.getByRole("heading", { name: "Confirm it's you" })).toBeVisible();
  await page.getByRole("button", { name: "Use your passkey" }).click();
  await expect(page.getByRole("heading", { name: /^Welcome,/ })).toBeVisible();
  expect(await latestSession(user.id)).toMatchObject({ method: "password", factorVerifiedAt: expect.any(Date) });

  // Five minutes later, removing the passkey asks for it once more.
  await withE2eDatabase((db) =>
    db
      .update(userSessions)
      .set({ factorVerifiedAt: new Date(Date.now() - 6 * 60_000) })
      .where(eq(userSessions.userId, user.id)),
  );
  await page.goto("/account/security");
  const item = page.getByRole("listitem", { name: "Laptop" });
  await item.getByRole("button", { name: "Remove" }).click();
  await page.getByRole("button", { name: "Remove passkey" }).click();
  const stepUp = page.getByRole("dialog", { name: "Confirm it's you" });
  await stepUp.getByRole("button", { name: "Use your passkey" }).click();
  await expect(page.getByText("No passkeys yet")).toBeVisible();
});
