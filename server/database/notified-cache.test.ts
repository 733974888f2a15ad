import { randomUUID } from "node:crypto";
import { eq } from "drizzle-orm";
import pg from "pg";
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from "vitest";
import { siteTokens, userSessions } from "@/db/schema";
import { loadSessionViewer } from "@/server/auth/viewer";
import type { Viewer } from "@/server/auth/permissions";
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
import { membershipOf } from "@/server/projects/membership";
import { createProject } from "@/server/projects/projects.service";
import { issueSiteToken, resolveSiteByToken } from "@/server/site-network/site-tokens.service";
import { ChangeFeed, changeFeedOf, FEED_CONNECTION_NAME, settleChanges } from "./change-feed";
import { NotifiedCache, notifiedCacheOf } from "./notified-cache";

const testDb = useTestDatabase();
const maxAgeMs = getHubConfig().FLIP_AUTH_CACHE_SECONDS * 1000;
const SYSTEM = { type: "system", label: "test" } as const;

/** Another process on the same database: an admin's tool, another portal process, psql. */
let elsewhere: pg.Client;
beforeAll(async () => {
  elsewhere = new pg.Client({ connectionString: testDb.url() });
  await elsewhere.connect();
});
afterAll(() => elsewhere.end());
afterEach(() => vi.useRealTimers());

const viewers = () => notifiedCacheOf<unknown>(testDb.db(), "flip_viewer");
const listening = async () => {
  void changeFeedOf(testDb.db()).listen();
  await vi.waitFor(() => expect(changeFeedOf(testDb.db()).isListening).toBe(true), { timeout: 5_000 });
};

/** A signed-in browser whose requests load the viewer as the portal does, once the process listens. */
async function browserOf(grants: Parameters<typeof makeUser>[1]) {
  const db = testDb.db();
  const user = await makeUser(db, grants);
  const { sessionId } = await signedInSession(db, user.id);
  const request = () => loadSessionViewer(db, { userId: user.id, sessionId });
  await request();
  await listening();
  const first = await request();
  expect(first).not.toBeNull();
  // Served from memory: the very same viewer, frozen since every request of the session shares it.
  expect(await request()).toBe(first);
  expect(Object.isFrozen(first)).toBe(true);
  expect(Object.isFrozen(first!.grants)).toBe(true);
  return { user, sessionId, request, first: first! };
}

/** A site's worker whose calls resolve its token as the portal does, once the process listens. */
async function workerOf() {
  const db = testDb.db();
  const site = await makeSite(db);
  const { token } = await issueSiteToken(db, SYSTEM, { siteId: site.id, graceSeconds: 0 });
  const call = () => resolveSiteByToken(db, token);
  await call();
  await listening();
  // The first call stamped the token's last use, a change this process hears of and forgets it for.
  await settleChanges(db);
  const first = await call();
  expect(first).toMatchObject({ id: site.id, code: site.code });
  expect(await call()).toBe(first);
  return { site, token, call, first: first! };
}

describe("the viewer a portal process keeps for a browser session", () => {
  const changes: {
    what: string;
    grants?: Parameters<typeof makeUser>[1];
    change: (b: { user: { id: string }; sessionId: string; first: Viewer }) => Promise<unknown>;
    then: (viewer: Viewer | null) => void;
  }[] = [
    {
      what: "the account disabled",
      change: ({ user }) => elsewhere.query("UPDATE users SET disabled = true WHERE id = $1", [user.id]),
      then: (viewer) => expect(viewer).toBeNull(),
    },
    {
      what: "a role revoked",
      change: ({ user }) => elsewhere.query("DELETE FROM role_grants WHERE user_id = $1", [user.id]),
      then: (viewer) => expect(viewer?.grants).toEqual([]),
    },
    {
      what: "the session ended",
      change: ({ sessionId }) =>
        elsewhere.query("UPDATE user_sessions SET ended_at = now(), ended_reason = 'signed_out' WHERE id = $1", [
          sessionId,
        ]),
      then: (viewer) => expect(viewer).toBeNull(),
    },
    {
      what: "the password changed",
      change: ({ user }) =>
        elsewhere.query("UPDATE users SET password_changed_at = now() + interval '1 second' WHERE id = $1", [user.id]),
      then: (viewer) => expect(viewer).toBeNull(),
    },
    {
      what: "a second factor added",
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

  for (const { what, grants = [{ role: "researcher" as const }], change, then } of changes)
    it(`is forgotten once this process hears of ${what} elsewhere`, async () => {
      const site = grants.length ? null : await makeSite(testDb.db());
      const browser = await browserOf(grants.length ? grants : [{ role: "approver", siteId: site!.id }]);
      await change(browser);
      await settleChanges(testDb.db());
      const next = await browser.request();
      expect(next).not.toBe(browser.first);
      then(next);
    });

  it("is forgotten by this process's own browser mutations before they answer, not only when it hears of them", async () => {
    const db = testDb.db();
    const researcher = await viewerOf(db, (await makeUser(db, [{ role: "researcher" }])).id);
    await listening();
    // An entry no notification will ever concern: only the mutation itself can forget it.
    let owner = "";
    const put = () => {
      owner = randomUUID();
      viewers().put(viewers().ticket(), "a-session", owner, "kept");
    };
    const kept = () => viewers().get("a-session", owner);

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

  it("does not outlive its session's idle timeout, and still marks the session used once a minute", async () => {
    const browser = await browserOf([{ role: "researcher" }]);
    const row = async () =>
      (await testDb.db().select().from(userSessions).where(eq(userSessions.id, browser.sessionId)))[0]!;
    const seenAt = (await row()).lastSeenAt.getTime();
    vi.useFakeTimers({ toFake: ["Date"], now: Date.now() });

    vi.setSystemTime(seenAt + 61_000);
    expect(await browser.request()).not.toBe(browser.first);
    expect((await row()).lastSeenAt.getTime()).toBe(seenAt + 61_000);

    vi.setSystemTime(seenAt + 61_000 + getHubConfig().FLIP_SESSION_IDLE_MINUTES * 60_000);
    expect(await browser.request()).toBeNull();
    expect(await row()).toMatchObject({ endedReason: "idle_timeout" });
  });
});

describe("the project membership a portal process keeps for a member", () => {
  async function memberOf() {
    const db = testDb.db();
    const owner = await viewerOf(db, (await makeUser(db, [{ role: "researcher" }])).id);
    const project = await createProject(db, owner, {
      title: "A project",
      purpose: "A purpose long enough for the form's rules to accept it.",
    });
    const ask = () => membershipOf(db, { userId: owner.id, projectId: project.id, isForChange: false });
    await listening();
    await settleChanges(db);
    const first = await ask();
    expect(first).toMatchObject({ role: "owner", status: "draft", title: "A project" });
    expect(await ask()).toBe(first);
    return { owner, project, ask, first };
  }

  it("answers reads, while every change is decided on the membership as it is now", async () => {
    const db = testDb.db();
    const { project } = await memberOf();
    const outsider = await viewerOf(db, (await makeUser(db, [{ role: "researcher" }])).id);
    // What a stale entry would say: the outsider as the project's owner.
    const cache = notifiedCacheOf(db, "flip_viewer", "membership");
    cache.put(cache.ticket(), `${outsider.id}/${project.id}`, outsider.id, {
      role: "owner",
      status: "draft",
      title: "A project",
    });
    await expect(callerAs(db, outsider).jobs.list({ projectId: project.id })).resolves.toEqual([]);
    await expect(callerAs(db, outsider).jobs.cancel({ projectId: project.id, jobId: randomUUID() })).rejects.toThrow(
      "No project with that id, or you are not a member of it.",
    );
  });

  it("is forgotten once this process hears the member's role changed elsewhere", async () => {
    const member = await memberOf();
    await elsewhere.query("UPDATE project_members SET role = 'viewer' WHERE user_id = $1", [member.owner.id]);
    await settleChanges(testDb.db());
    expect(await member.ask()).toMatchObject({ role: "viewer" });
  });

  it("is forgotten once this process hears the member was removed elsewhere, and a non-member is never kept", async () => {
    const member = await memberOf();
    await elsewhere.query("DELETE FROM project_members WHERE user_id = $1", [member.owner.id]);
    await settleChanges(testDb.db());
    expect(await member.ask()).toBeNull();
    await elsewhere.query("INSERT INTO project_members (project_id, user_id, role) VALUES ($1, $2, 'member')", [
      member.project.id,
      member.owner.id,
    ]);
    await settleChanges(testDb.db());
    expect(await member.ask()).toMatchObject({ role: "member" });
  });

  it("is forgotten once this process hears the project's status or title changed elsewhere", async () => {
    const member = await memberOf();
    await elsewhere.query("UPDATE projects SET status = 'closed' WHERE id = $1", [member.project.id]);
    await settleChanges(testDb.db());
    const closed = await member.ask();
    expect(closed).toMatchObject({ status: "closed" });
    expect(await member.ask()).toBe(closed);
    await elsewhere.query("UPDATE projects SET title = 'Renamed' WHERE id = $1", [member.project.id]);
    await settleChanges(testDb.db());
    expect(await member.ask()).toMatchObject({ title: "Renamed" });
  });
});

describe("the site a portal process keeps for a worker's token", () => {
  it("is forgotten once this process hears the token was revoked elsewhere", async () => {
    const worker = await workerOf();
    await elsewhere.query("UPDATE site_tokens SET revoked_at = now() WHERE site_id = $1", [worker.site.id]);
    await settleChanges(testDb.db());
    expect(await worker.call()).toBeNull();
  });

  it("is forgotten once this process hears the site's code changed elsewhere", async () => {
    const worker = await workerOf();
    await elsewhere.query("UPDATE sites SET code = $2 WHERE id = $1", [worker.site.id, `${worker.site.code}X`]);
    await settleChanges(testDb.db());
    expect(await worker.call()).toEqual({ id: worker.site.id, code: `${worker.site.code}X` });
  });

  it("is forgotten when an admin of this process rotates the site's tokens, before the mutation answers", async () => {
    const db = testDb.db();
    const worker = await workerOf();
    const admin = await viewerOf(db, (await makeUser(db, [{ role: "admin" }])).id);
    await callerAs(db, admin).siteNetwork.revokeTokens({ siteId: worker.site.id });
    expect(notifiedCacheOf(db, "flip_site_token").get(worker.token)).toBeUndefined();
    expect(await worker.call()).toBeNull();
  });

  it("does not outlive the token's expiry, and is read again when its last use is due to be stamped", async () => {
    const worker = await workerOf();
    const stampedAt = (
      await testDb.db().select().from(siteTokens).where(eq(siteTokens.siteId, worker.site.id))
    )[0]!.lastUsedAt!.getTime();
    vi.useFakeTimers({ toFake: ["Date"], now: stampedAt + 59_000 });
    expect(await worker.call()).toBe(worker.first);
    vi.setSystemTime(stampedAt + 60_001);
    expect(await worker.call()).not.toBe(worker.first);
    vi.useRealTimers();

    // A rotation's grace period ends while the old token is kept: it is refused from then on.
    await issueSiteToken(testDb.db(), SYSTEM, { siteId: worker.site.id, graceSeconds: 1 });
    await settleChanges(testDb.db());
    const kept = await worker.call();
    expect(kept).toEqual(worker.first);
    expect(await worker.call()).toBe(kept);
    // Nothing is notified when a token expires: the kept entry's own expiry must refuse it.
    await new Promise((resolve) => setTimeout(resolve, 1_100));
    expect(await worker.call()).toBeNull();
  });
});

describe("what a portal process keeps", () => {
  it("is not kept when a change is heard while it is being read", () => {
    const cache = viewers();
    const owner = randomUUID();
    const ticket = cache.ticket();
    cache.forgetOwner(randomUUID());
    cache.put(ticket, "s", owner, "read before the change");
    expect(cache.get("s", owner)).toBeUndefined();
    cache.put(cache.ticket(), "s", owner, "read after it");
    expect(cache.get("s", owner)).toBe("read after it");
    expect(cache.get("s", randomUUID())).toBeUndefined();
  });

  it(`is never older than FLIP_AUTH_CACHE_SECONDS (${maxAgeMs / 1000} s)`, () => {
    const cache = viewers();
    const owner = randomUUID();
    const now = Date.now();
    cache.put(cache.ticket(), "s", owner, "value", now);
    expect(cache.get("s", owner, now + maxAgeMs - 1)).toBe("value");
    expect(cache.get("s", owner, now + maxAgeMs)).toBeUndefined();
    expect(cache.get("s", owner, now)).toBeUndefined();
  });

  it("holds at most 10,000 entries, dropping the oldest first", async () => {
    await listening();
    const cache = new NotifiedCache<number>(changeFeedOf(testDb.db()), "flip_viewer", 60_000);
    for (let i = 0; i <= 10_000; i++) cache.put(cache.ticket(), `s${i}`, "u", i);
    expect(cache.get("s0", "u")).toBeUndefined();
    expect(cache.get("s1", "u")).toBe(1);
    expect(cache.get("s10000", "u")).toBe(10_000);
  });

  it("is never kept with FLIP_AUTH_CACHE_SECONDS=0, and nothing listens for it", () => {
    const feed = new ChangeFeed(testDb.db().$client);
    const off = new NotifiedCache<string>(feed, "flip_viewer", 0);
    off.put(off.ticket(), "s", "u", "value");
    expect(off.get("s", "u")).toBeUndefined();
    expect(feed.isListening).toBe(false);
  });

  it("is nothing while the process cannot hear changes, and kept again once it can", async () => {
    const browser = await browserOf([{ role: "researcher" }]);
    // This database's feed only: other test files' feeds on the same server are not this test's.
    await elsewhere.query(
      "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE application_name = $1 AND datname = current_database()",
      [FEED_CONNECTION_NAME],
    );
    await vi.waitFor(() => expect(changeFeedOf(testDb.db()).isListening).toBe(false));
    const whileDeaf = await browser.request();
    expect(whileDeaf).not.toBe(browser.first);
    expect(await browser.request()).not.toBe(whileDeaf);
    await listening();
    const again = await browser.request();
    expect(await browser.request()).toBe(again);
  });

  it("is nothing where notifications never arrive (a connection pooler in transaction mode), found by a probe", async () => {
    // Listens on this database, but its probe goes through another database's pool: as a pooler
    // that accepts LISTEN on one server connection and delivers nothing to it.
    const other = new pg.Pool({ connectionString: testDb.url().replace(/\/[^/]+$/, "/postgres"), max: 1 });
    const pool = new Proxy(testDb.db().$client, {
      get: (target, property) => (property === "query" ? other.query.bind(other) : Reflect.get(target, property)),
    });
    const feed = new ChangeFeed(pool, 300);
    const cache = new NotifiedCache<string>(feed, "flip_viewer", 60_000);
    await feed.listen();
    expect(feed.isListening).toBe(false);
    cache.put(cache.ticket(), "s", "u", "value");
    expect(cache.get("s", "u")).toBeUndefined();
    await feed.close();
    await other.end();
  });
});
