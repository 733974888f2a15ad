import { eq } from "drizzle-orm";
import { describe, expect, it } from "vitest";
import { roleGrants } from "@/db/schema";
import { callerAs, FIXTURE_PASSWORD, makeUser, viewerOf } from "@/server/lib/test-support/fixtures";
import { useTestDatabase } from "@/server/lib/test-support/test-db";
import { loadViewer } from "./viewer";

const testDb = useTestDatabase();

/** What a browser's session holds: the user id and when it signed in; every request reloads the rest. */
async function scene() {
  const db = testDb.db();
  const admin = await viewerOf(db, (await makeUser(db, [{ role: "admin" }])).id);
  const user = await makeUser(db, [{ role: "researcher" }]);
  const signedInAt = Date.now();
  await new Promise((resolve) => setTimeout(resolve, 5)); // changes below happen strictly later
  return { db, asAdmin: callerAs(db, admin), user, session: () => loadViewer(db, user.id, signedInAt) };
}

describe("a session after its account changes", () => {
  it("ends when the account is disabled, and stays ended when the account is enabled again", async () => {
    const { asAdmin, user, session } = await scene();
    expect(await session()).not.toBeNull();
    await asAdmin.users.setDisabled({ userId: user.id, disabled: true });
    expect(await session()).toBeNull();
    await asAdmin.users.setDisabled({ userId: user.id, disabled: false });
    expect(await session()).toBeNull();
    // A new sign-in works again.
    expect(await loadViewer(testDb.db(), user.id, Date.now() + 1)).toMatchObject({ id: user.id });
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
    const { db, user, session } = await scene();
    const other = await loadViewer(db, user.id, Date.now());
    await callerAs(db, other).account.changePassword({
      currentPassword: FIXTURE_PASSWORD,
      newPassword: "another-long-password",
      confirmPassword: "another-long-password",
    });
    expect(await session()).toBeNull();
  });
});
