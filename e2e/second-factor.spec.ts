import { and, eq, inArray, isNull } from "drizzle-orm";
import { connectDatabase } from "@/db/client";
import { withDatabase } from "@/db/pg-connection";
import { roleGrants, sites, users, userSessions } from "@/db/schema";
import { hashPassword } from "@/server/auth/password";
import { createProject, submitProject } from "@/server/projects/projects.service";
import { E2E_DATABASE, e2eAdminUrl, E2E_PASSWORD } from "./support/constants";
import { enrolAuthenticator, proveSecondFactor } from "./support/second-factor";
import { mainNav, signIn, signInAndLand } from "./support/session";
import { expect, test } from "./support/test";

/** The journeys' database, for the set-up an admin and a researcher would do and to move a session's clock. */
async function withDb<T>(work: (db: ReturnType<typeof connectDatabase>["db"]) => Promise<T>): Promise<T> {
  const { db, pool } = connectDatabase(withDatabase(e2eAdminUrl(), E2E_DATABASE));
  try {
    return await work(db);
  } finally {
    await pool.end();
  }
}

test.describe.serial("an approver's second factor, from first sign-in to a step-up", () => {
  // Codes are accepted once per 30-second step, so these journeys may wait for the next one twice.
  test.describe.configure({ timeout: 120_000 });
  const email = `mfa.approver.${Date.now()}@uclh.nhs.uk`;
  const title = `Second-factor journey ${Date.now()}`;
  let secret = "";
  let recoveryCodes: string[] = [];

  test.beforeAll(async () => {
    await withDb(async (db) => {
      const [uclh] = await db.select().from(sites).where(eq(sites.code, "UCLH"));
      const [approver] = await db
        .insert(users)
        .values({ email, name: "Uma UCLH Governance", passwordHash: await hashPassword(E2E_PASSWORD) })
        .returning();
      await db.insert(roleGrants).values({ userId: approver!.id, role: "approver", siteId: uclh!.id });
      const [researcher] = await db.select().from(users).where(eq(users.email, "researcher@demo.flip"));
      const project = await createProject(db, researcher!, {
        title,
        purpose: "Check that a decision waits for a recent second factor.",
      });
      await submitProject(db, researcher!, { projectId: project.id, siteIds: [uclh!.id] });
    });
  });

  test("on first sign-in the approver must set up an authenticator app, and then uses it", async ({ page }) => {
    await signIn(page, email);
    await expect(page.getByRole("heading", { name: "Set up your second factor" })).toBeVisible();
    // Nothing else opens until it is set up.
    await page.goto("/approvals");
    await expect(page.getByRole("heading", { name: "Set up your second factor" })).toBeVisible();

    ({ secret, recoveryCodes } = await enrolAuthenticator(page, email));
    await expect(page.getByRole("heading", { name: /^Welcome,/ })).toBeVisible();

    // The next sign-in asks for the second factor; a recovery code works once.
    await page.getByRole("button", { name: "Sign out" }).click();
    await expect(page.getByRole("heading", { name: "Sign in" })).toBeVisible();
    await signIn(page, email);
    await expect(page.getByRole("heading", { name: "Confirm it's you" })).toBeVisible();
    await page.goto("/approvals");
    await expect(page.getByRole("heading", { name: "Confirm it's you" })).toBeVisible();
    await page.getByRole("button", { name: "Use a recovery code" }).click();
    await page.getByLabel("Recovery code").fill(recoveryCodes[0]!);
    await page.getByRole("button", { name: "Confirm", exact: true }).click();
    await expect(page.getByRole("heading", { name: /^Welcome,/ })).toBeVisible();
  });

  test("deciding six minutes after the last proof asks for a code, then records the decision", async ({ page }) => {
    await signIn(page, email);
    await proveSecondFactor(page, email, secret);
    await expect(page.getByRole("heading", { name: /^Welcome,/ })).toBeVisible();
    await withDb((db) =>
      db
        .update(userSessions)
        .set({ factorVerifiedAt: new Date(Date.now() - 6 * 60_000) })
        .where(
          and(
            inArray(userSessions.userId, db.select({ id: users.id }).from(users).where(eq(users.email, email))),
            isNull(userSessions.endedAt),
          ),
        ),
    );

    await mainNav(page)
      .getByRole("link", { name: /^Approvals(,|$)/ })
      .click();
    await page
      .getByRole("table", { name: /^Requests waiting for / })
      .getByRole("link", { name: title })
      .click();
    await page.getByRole("button", { name: "Approve", exact: true }).click();
    await page.getByRole("button", { name: "Confirm decision" }).click();
    const dialog = page.getByRole("dialog", { name: "Confirm it's you" });
    await expect(dialog).toBeVisible();
    await proveSecondFactor(page, email, secret);
    await expect(dialog).toBeHidden();
    await expect(page.getByText("Approved", { exact: true }).first()).toBeVisible();
  });

  test("an admin resets the approver's factors: their session ends and they set one up again", async ({
    page,
    browser,
  }) => {
    const approverContext = await browser.newContext();
    const approverPage = await approverContext.newPage();
    await signIn(approverPage, email);
    await proveSecondFactor(approverPage, email, secret);
    await expect(approverPage.getByRole("heading", { name: /^Welcome,/ })).toBeVisible();

    await signInAndLand(page, "admin@demo.flip");
    await page.goto("/admin/users");
    await page.getByLabel("Search users").fill(email);
    await page.getByRole("link", { name: "Uma UCLH Governance" }).first().click();
    await page.getByRole("button", { name: "Reset second factors" }).click();
    await page.getByRole("button", { name: "Confirm factor reset" }).click();
    await expect(page.getByRole("status").filter({ hasText: "Second factors reset" })).toContainText(
      /1 removed, [1-9]\d* sessions? ended/,
    );

    await approverPage.reload();
    await expect(approverPage.getByRole("heading", { name: "Sign in" })).toBeVisible();
    await signIn(approverPage, email);
    await expect(approverPage.getByRole("heading", { name: "Set up your second factor" })).toBeVisible();
    await approverContext.close();
  });
});
