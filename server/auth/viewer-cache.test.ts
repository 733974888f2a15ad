import { randomUUID } from "node:crypto";
import { eq } from "drizzle-orm";
import pg from "pg";
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from "vitest";
import { userSessions } from "@/db/schema";
import { getHubConfig } from "@/server/config";
import {
  addConfirmedTotp,
  callerAs,
  makeSite,
  makeUser,
  signedInSession,
  viewerOf,
} from "@/server/lib/test-support/fixtures";
import { useTestDatabase } from "@/server/lib/test-support/test-db";
import type { Viewer } from "./permissions";
import { loadSessionViewer } from "./viewer";
import { LISTENER_NAME, settleViewerChanges, ViewerCache, viewerCacheOf } from "./viewer-cache";

const testDb = useTestDatabase();
const maxAgeMs = getHubConfig().FLIP_SESSION_CACHE_SECONDS * 1000;

/** Another process on the same database: an admin's tool, another portal process, psql. */
let elsewhere: pg.Client;
beforeAll(async () => {
  elsewhere = new pg.Client({ connectionString: testDb.url() });
  await elsewhere.connect();
});
afterAll(() => elsewhere.end());
afterEach(() => vi.useRealTimers());

const cache = () => viewerCacheOf<unknown>(testDb.db(), maxAgeMs);

/** A signed-in browser whose requests load the viewer as the portal does, once the cache listens. */
async function browserOf(grants: Parameters<typeof makeUser>[1]) {
  const db = testDb.db();
  const user = await makeUser(db, grants);
  const { sessionId } = await signedInSession(db, user.id);
  const request = () => loadSessionViewer(db, { userId: user.id, sessionId });
  await request();
  await vi.waitFor(() => expect(cache().isListening).toBe(true));
  const first = await request();
  expect(first).not.toBeNull();
  // Served from memory: the very same viewer, frozen since every request of the session shares it.
  expect(await request()).toBe(first);
  expect(Object.isFrozen(first)).toBe(true);
  expect(Object.isFrozen(first!.grants)).toBe(true);
  return { user, sessionId, request, first: first! };
}

describe("the viewer a portal process keeps for a browser session", () => {
  const changes: {
    what: string;
    grants: Parameters<typeof makeUser>[1];
    change: (b: { user: { id: string }; sessionId: string; first: Viewer }) => Promise<unknown>;
    then: (viewer: Viewer | null) => void;
  }[] = [
    {
      what: "the account disabled",
      grants: [{ role: "researcher" }],
      change: ({ user }) => elsewhere.query("UPDATE users SET disabled = true WHERE id = $1", [user.id]),
      then: (viewer) => expect(viewer).toBeNull(),
    },
    {
      what: "a role revoked",
      grants: [{ role: "researcher" }],
      change: ({ user }) => elsewhere.query("DELETE FROM role_grants WHERE user_id = $1", [user.id]),
      then: (viewer) => expect(viewer?.grants).toEqual([]),
    },
    {
      what: "the session ended",
      grants: [{ role: "researcher" }],
      change: ({ sessionId }) =>
        elsewhere.query("UPDATE user_sessions SET ended_at = now(), ended_reason = 'signed_out' WHERE id = $1", [
          sessionId,
        ]),
      then: (viewer) => expect(viewer).toBeNull(),
    },
    {
      what: "the password changed",
      grants: [{ role: "researcher" }],
      change: ({ user }) =>
        elsewhere.query("UPDATE users SET password_changed_at = now() + interval '1 second' WHERE id = $1", [user.id]),
      then: (viewer) => expect(viewer).toBeNull(),
    },
    {
      what: "a second factor added",
      grants: [{ role: "researcher" }],
      change: ({ user }) => addConfirmedTotp(testDb.db(), user.id),
      then: (viewer) => expect(viewer?.secondFactor).toBe("verify"),
    },
    {
      what: "the site of a grant renamed",
      grants: [],
      change: ({ first }) =>
        elsewhere.query("UPDATE sites SET name = 'Renamed Trust' WHERE id = $1", [first.grants[0]!.siteId]),
      then: (viewer) => expect(viewer?.grants[0]?.siteName).toBe("Renamed Trust"),
    },
  ];

  for (const { what, grants, change, then } of changes)
    it(`is forgotten once this process hears of ${what} elsewhere`, async () => {
      const site = grants.length ? null : await makeSite(testDb.db());
      const browser = await browserOf(grants.length ? grants : [{ role: "approver", siteId: site!.id }]);
      await change(browser);
      await settleViewerChanges(testDb.db());
      const next = await browser.request();
      expect(next).not.toBe(browser.first);
      then(next);
    });

  it("is forgotten by this process's own browser mutations before they answer, not only when it hears of them", async () => {
    const db = testDb.db();
    const researcher = await viewerOf(db, (await makeUser(db, [{ role: "researcher" }])).id);
    await vi.waitFor(() => expect(cache().isListening).toBe(true));
    // An entry no notification will ever concern: only the mutation itself can forget it.
    let userId = "";
    const put = () => {
      userId = randomUUID();
      cache().put(cache().ticket(), "a-session", userId, "kept");
    };
    const kept = () => cache().get("a-session", userId);

    put();
    await callerAs(db, researcher).projects.list({});
    expect(kept()).toBe("kept");

    await callerAs(db, researcher).projects.create({
      title: "A project",
      purpose: "A purpose long enough for the form's rules to accept it.",
    });
    expect(kept()).toBeUndefined();

    put();
    await expect(callerAs(db, researcher).projects.create({ title: "", purpose: "" })).rejects.toThrow();
    expect(kept()).toBeUndefined();
  });

  it("is not kept when a change is heard while it is being read", () => {
    const local = cache();
    const userId = randomUUID();
    const ticket = local.ticket();
    local.forgetUser(randomUUID());
    local.put(ticket, "s", userId, "read before the change");
    expect(local.get("s", userId)).toBeUndefined();
    local.put(local.ticket(), "s", userId, "read after it");
    expect(local.get("s", userId)).toBe("read after it");
    expect(local.get("s", randomUUID())).toBeUndefined();
  });

  it(`is never older than FLIP_SESSION_CACHE_SECONDS (${maxAgeMs / 1000} s)`, () => {
    const local = cache();
    const userId = randomUUID();
    const now = Date.now();
    local.put(local.ticket(), "s", userId, "value", now);
    expect(local.get("s", userId, now + maxAgeMs - 1)).toBe("value");
    expect(local.get("s", userId, now + maxAgeMs)).toBeUndefined();
    expect(local.get("s", userId, now)).toBeUndefined();
  });

  it("is never kept with FLIP_SESSION_CACHE_SECONDS=0, and nothing listens", async () => {
    const off = new ViewerCache<string>(testDb.db().$client.options, 0);
    await off.listen();
    expect(off.isListening).toBe(false);
    off.put(off.ticket(), "s", "u", "value");
    expect(off.get("s", "u")).toBeUndefined();
    await off.close();
  });

  it("keeps nothing while it cannot hear changes, and keeps again once it can", async () => {
    const browser = await browserOf([{ role: "researcher" }]);
    await elsewhere.query("SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE application_name = $1", [
      LISTENER_NAME,
    ]);
    await vi.waitFor(() => expect(cache().isListening).toBe(false));
    const whileDeaf = await browser.request();
    expect(whileDeaf).not.toBe(browser.first);
    expect(await browser.request()).not.toBe(whileDeaf);
    await vi.waitFor(() => expect(cache().isListening).toBe(true), { timeout: 5_000 });
    const again = await browser.request();
    expect(await browser.request()).toBe(again);
  });

  it("does not outlive its session's idle timeout, and still marks the session used once a minute", async () => {
    const browser = await browserOf([{ role: "researcher" }]);
    const lastSeen = async () =>
      (await testDb.db().select().from(userSessions).where(eq(userSessions.id, browser.sessionId)))[0]!;
    const seenAt = (await lastSeen()).lastSeenAt.getTime();
    vi.useFakeTimers({ toFake: ["Date"], now: Date.now() });

    vi.setSystemTime(seenAt + 61_000);
    const touched = await browser.request();
    expect(touched).not.toBe(browser.first);
    expect((await lastSeen()).lastSeenAt.getTime()).toBe(seenAt + 61_000);

    vi.setSystemTime(seenAt + 61_000 + getHubConfig().FLIP_SESSION_IDLE_MINUTES * 60_000);
    expect(await browser.request()).toBeNull();
    expect(await lastSeen()).toMatchObject({ endedReason: "idle_timeout" });
  });
});
