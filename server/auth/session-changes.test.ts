import { eq } from "drizzle-orm";
import { describe, expect, it } from "vitest";
import { roleGrants, userSessions } from "@/db/schema";
import { callerAs, FIXTURE_PASSWORD, makeUser, signedInSession, viewerOf } from "@/server/lib/test-support/fixtures";
import { useTestDatabase } from "@/server/lib/test-support/test-db";

const testDb = useTestDatabase();

/** A researcher signed in in one browser; every request reloads their state from the database. */
async function scene() {
  const db = testDb.db();
  const admin = await viewerOf(db, (await makeUser(db, [{ role: "admin" }])).id);
  const user = await makeUser(db, [{ role: "researcher" }]);
  const browser = await signedInSession(db, user.id);
  return { db, asAdmin: callerAs(db, admin), user, browser, session: browser.viewer };
}

async function endedReason(sessionId: string) {
  const [row] = await testDb.db().select().from(userSessions).where(eq(userSessions.id, sessionId));
  return row?.endedReason;
}

describe("a session after its account changes", () => {
  it("ends when the account is disabled, and stays ended when the account is enabled again", async () => {
    const { db, asAdmin, user, browser, session } = await scene();
    expect(await session()).not.toBeNull();
    await asAdmin.users.setDisabled({ userId: user.id, disabled: true });
    expect(await session()).toBeNull();
    expect(await endedReason(browser.sessionId)).toBe("account_disabled");
    await asAdmin.users.setDisabled({ userId: user.id, disabled: false });
    expect(await session()).toBeNull();
    // A new sign-in works again.
    expect(await (await signedInSession(db, user.id)).viewer()).toMatchObject({ id: user.id });
  });

  it("loses a revoked role on its next request", async () => {
    const { db, asAdmin, user, session } = await scene();
    const [grant] = await db.select().from(roleGrants).where(eq(roleGrants.userId, user.id));
    await asAdmin.users.revokeRole({ grantId: grant!.id });
    const viewer = await session();
    expect(viewer?.grants).toEqual([]);
    await expect(
      callerAs(db, viewer).projects.create({ title: "After revocation", purpose: "Should not be possible now." }),
    ).rejects.toMatchObject({ code: "FORBIDDEN" });
  });

  it("ends when the password is changed, here by the user in another browser", async () => {
    const { db, user, browser, session } = await scene();
    const other = await (await signedInSession(db, user.id)).viewer();
    await callerAs(db, other).account.changePassword({
      currentPassword: FIXTURE_PASSWORD,
      newPassword: "another-long-password",
      confirmPassword: "another-long-password",
    });
    expect(await session()).toBeNull();
    expect(await endedReason(browser.sessionId)).toBe("password_changed");
  });

  it("ends when an admin resets the password", async () => {
    const { asAdmin, user, browser, session } = await scene();
    await asAdmin.users.resetPassword({ userId: user.id });
    expect(await session()).toBeNull();
    expect(await endedReason(browser.sessionId)).toBe("password_changed");
  });
});
