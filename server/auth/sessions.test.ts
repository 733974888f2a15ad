import { eq } from "drizzle-orm";
import { describe, expect, it } from "vitest";
import { userSessions } from "@/db/schema";
import { auditFor, callerAs, makeUser, signedInSession } from "@/server/lib/test-support/fixtures";
import { useTestDatabase } from "@/server/lib/test-support/test-db";
import { getHubConfig } from "@/server/config";

const testDb = useTestDatabase();
const minutes = (n: number) => n * 60_000;

async function sessionRow(sessionId: string) {
  const [row] = await testDb.db().select().from(userSessions).where(eq(userSessions.id, sessionId));
  return row!;
}

/** Moves a session's clock: as if it was last used, or started, that long ago. */
async function age(sessionId: string, change: { idleMs?: number; lifetimeLeftMs?: number }) {
  const now = Date.now();
  await testDb
    .db()
    .update(userSessions)
    .set({
      ...(change.idleMs !== undefined && { lastSeenAt: new Date(now - change.idleMs) }),
      ...(change.lifetimeLeftMs !== undefined && { expiresAt: new Date(now + change.lifetimeLeftMs) }),
    })
    .where(eq(userSessions.id, sessionId));
}

describe("session lifetime", () => {
  const idleMs = minutes(getHubConfig().FLIP_SESSION_IDLE_MINUTES);

  it("defaults to a 30-minute idle timeout and a 12-hour lifetime", async () => {
    const user = await makeUser(testDb.db(), [{ role: "researcher" }]);
    const { sessionId } = await signedInSession(testDb.db(), user.id);
    const row = await sessionRow(sessionId);
    expect(idleMs).toBe(minutes(30));
    expect(row.expiresAt.getTime() - row.createdAt.getTime()).toBeCloseTo(12 * 3_600_000, -4);
  });

  it("ends after the idle timeout, and says so in the user's session list", async () => {
    const user = await makeUser(testDb.db(), [{ role: "researcher" }]);
    const browser = await signedInSession(testDb.db(), user.id);
    await age(browser.sessionId, { idleMs: idleMs - minutes(2) });
    expect(await browser.viewer()).toMatchObject({ id: user.id });
    // That request counted as use: the idle clock started again.
    expect(Date.now() - (await sessionRow(browser.sessionId)).lastSeenAt.getTime()).toBeLessThan(minutes(1));

    await age(browser.sessionId, { idleMs: idleMs + 1000 });
    expect(await browser.viewer()).toBeNull();
    expect(await sessionRow(browser.sessionId)).toMatchObject({ endedReason: "idle_timeout" });
    // Using it again does not bring it back.
    await age(browser.sessionId, { idleMs: 0 });
    expect(await browser.viewer()).toBeNull();
  });

  it("ends at its absolute lifetime even while in use", async () => {
    const user = await makeUser(testDb.db(), [{ role: "researcher" }]);
    const browser = await signedInSession(testDb.db(), user.id);
    await age(browser.sessionId, { idleMs: 0, lifetimeLeftMs: 5_000 });
    expect(await browser.viewer()).not.toBeNull();
    await age(browser.sessionId, { idleMs: 0, lifetimeLeftMs: -1 });
    expect(await browser.viewer()).toBeNull();
    expect(await sessionRow(browser.sessionId)).toMatchObject({ endedReason: "expired" });
  });
});

describe("a user's sessions", () => {
  async function twoBrowsers() {
    const db = testDb.db();
    const user = await makeUser(db, [{ role: "researcher" }]);
    const laptop = await signedInSession(db, user.id);
    const phone = await signedInSession(db, user.id, "sso");
    return { db, user, laptop, phone };
  }

  it("lists live sessions with where they came from, marking the one asking", async () => {
    const { db, laptop, phone } = await twoBrowsers();
    const list = await callerAs(db, await laptop.viewer()).account.sessions();
    expect(list.map((s) => [s.id, s.current, s.method, s.endedAt])).toEqual(
      expect.arrayContaining([
        [laptop.sessionId, true, "password", null],
        [phone.sessionId, false, "sso", null],
      ]),
    );
    expect(list[0]).toMatchObject({ userAgent: "Vitest browser", ipAddress: "203.0.113.7" });
  });

  it("signs out another browser from this one", async () => {
    const { db, user, laptop, phone } = await twoBrowsers();
    const asLaptop = callerAs(db, await laptop.viewer());
    expect(await asLaptop.account.endSession({ sessionId: phone.sessionId })).toEqual({ ended: true });
    expect(await phone.viewer()).toBeNull();
    expect(await laptop.viewer()).not.toBeNull();
    expect((await auditFor(db, `user:${user.email}`)).map((e) => e.action)).toContain("session.ended");
  });

  it("cannot end someone else's session, and learns nothing about it", async () => {
    const { db, phone } = await twoBrowsers();
    const stranger = await makeUser(db, [{ role: "researcher" }]);
    const asStranger = callerAs(db, await (await signedInSession(db, stranger.id)).viewer());
    expect(await asStranger.account.endSession({ sessionId: phone.sessionId })).toEqual({ ended: false });
    expect(await phone.viewer()).not.toBeNull();
  });

  it("signs out everywhere, this browser included", async () => {
    const { db, laptop, phone } = await twoBrowsers();
    expect(await callerAs(db, await laptop.viewer()).account.signOutEverywhere()).toEqual({ ended: 2 });
    expect(await laptop.viewer()).toBeNull();
    expect(await phone.viewer()).toBeNull();
  });

  it("refuses a session id that is not an id, changing nothing", async () => {
    const { db, laptop } = await twoBrowsers();
    await expect(callerAs(db, await laptop.viewer()).account.endSession({ sessionId: "phone" })).rejects.toMatchObject({
      code: "BAD_REQUEST",
    });
    expect(await laptop.viewer()).not.toBeNull();
  });
});
