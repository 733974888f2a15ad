import { eq } from "drizzle-orm";
import { describe, expect, it } from "vitest";
import { connectDatabase } from "@/db/client";
import { auditEvents, signInFailures, users } from "@/db/schema";
import {
  callerAs,
  FIXTURE_PASSWORD,
  fieldErrorsOfCall,
  getUserByEmail,
  makeUser,
  snapshotTables,
  viewerOf,
} from "@/server/lib/test-support/fixtures";
import { useTestDatabase } from "@/server/lib/test-support/test-db";
import { verifyPassword } from "./password";
import { signInWithPassword } from "./sign-in.service";
import { SIGN_IN_LIMITS } from "./sign-in-limiter";
import { loadViewer } from "./viewer";

const testDb = useTestDatabase();

const WRONG_CREDENTIALS = { code: "UNAUTHORIZED", message: "That email and password do not match an account." };
const LOCKED_OUT = { code: "TOO_MANY_REQUESTS", message: expect.stringContaining("Wait 15 minutes") as string };

// Each test signs in from its own address so per-IP counts never leak between tests.
let lastIp = 0;
const freshIp = () => `198.51.100.${++lastIp}`;

async function failTimes(times: number, email: string, ip: string) {
  for (let i = 0; i < times; i++) {
    await expect(signInWithPassword(testDb.db(), { email, password: "wrong-password" }, ip)).rejects.toMatchObject(
      WRONG_CREDENTIALS,
    );
  }
}

describe("signInWithPassword", () => {
  it.skipIf(process.env.FLIP_SIGNIN_MAX_PER_EMAIL || process.env.FLIP_SIGNIN_MAX_PER_IP)(
    "allows 5 failures per email and 30 per address by default",
    () => {
      expect(SIGN_IN_LIMITS).toMatchObject({ maxPerEmail: 5, maxPerIp: 30, windowMs: 15 * 60_000 });
    },
  );

  it("returns the user for the right password, whatever the email's case, and audits the sign-in", async () => {
    const db = testDb.db();
    const user = await makeUser(db, [{ role: "researcher" }]);
    await expect(
      signInWithPassword(db, { email: ` ${user.email.toUpperCase()} `, password: FIXTURE_PASSWORD }, freshIp()),
    ).resolves.toEqual({
      id: user.id,
      email: user.email,
      name: user.name,
    });
    const events = await db
      .select()
      .from(auditEvents)
      .where(eq(auditEvents.subject, `user:${user.email}`));
    expect(events).toEqual([
      expect.objectContaining({ action: "auth.signed_in", actorId: user.id, actorLabel: user.email }),
    ]);
  });

  it("gives a wrong password and an unknown email the same answer", async () => {
    const user = await makeUser(testDb.db(), []);
    const ip = freshIp();
    await expect(
      signInWithPassword(testDb.db(), { email: user.email, password: "not-the-password" }, ip),
    ).rejects.toMatchObject(WRONG_CREDENTIALS);
    await expect(
      signInWithPassword(testDb.db(), { email: "nobody@test.flip", password: "whatever" }, ip),
    ).rejects.toMatchObject(WRONG_CREDENTIALS);
  });

  it("refuses malformed credentials without recording a failure", async () => {
    const before = await snapshotTables(testDb.db());
    await expect(
      signInWithPassword(testDb.db(), { email: "not-an-email", password: "" }, freshIp()),
    ).rejects.toMatchObject({
      code: "BAD_REQUEST",
      message: "Enter your email address and password.",
    });
    expect(await snapshotTables(testDb.db())).toEqual(before);
  });

  it("tells a disabled user with the right password that the account is disabled", async () => {
    const user = await makeUser(testDb.db(), [], { disabled: true });
    await expect(
      signInWithPassword(testDb.db(), { email: user.email, password: FIXTURE_PASSWORD }, freshIp()),
    ).rejects.toMatchObject({
      code: "FORBIDDEN",
      message: "This account is disabled. Ask a platform admin to enable it.",
    });
  });

  it("locks one source out of an account after 5 failures, even for the right password, and keeps the lock in PostgreSQL", async () => {
    const user = await makeUser(testDb.db(), []);
    const ip = freshIp();
    await failTimes(SIGN_IN_LIMITS.maxPerEmail, user.email, ip);
    const before = await snapshotTables(testDb.db());
    await expect(
      signInWithPassword(testDb.db(), { email: user.email, password: FIXTURE_PASSWORD }, ip),
    ).rejects.toMatchObject(LOCKED_OUT);
    expect(await snapshotTables(testDb.db())).toEqual(before);

    // A new process (new pool, new connections) sees the same lock.
    const other = connectDatabase(testDb.url());
    try {
      await expect(
        signInWithPassword(other.db, { email: user.email, password: FIXTURE_PASSWORD }, ip),
      ).rejects.toMatchObject(LOCKED_OUT);
    } finally {
      await other.pool.end();
    }
    // The lock is on that source, not the account: the real user elsewhere still signs in.
    await expect(
      signInWithPassword(testDb.db(), { email: user.email, password: FIXTURE_PASSWORD }, freshIp()),
    ).resolves.toMatchObject({ id: user.id });
  });

  it("cannot be used to lock someone out: five wrong passwords from five addresses leave an admin able to sign in", async () => {
    const admin = await makeUser(testDb.db(), [{ role: "admin" }]);
    for (let i = 0; i < SIGN_IN_LIMITS.maxPerEmail; i++) await failTimes(1, admin.email, freshIp());
    await expect(
      signInWithPassword(testDb.db(), { email: admin.email, password: FIXTURE_PASSWORD }, freshIp()),
    ).resolves.toMatchObject({ id: admin.id });
  });

  it("slows guessing from many addresses with a delay that doubles per failure, never more than a minute", async () => {
    const db = testDb.db();
    const user = await makeUser(db, []);
    const justNow = new Date(Date.now() - 500);
    const failures = (n: number) =>
      db.insert(signInFailures).values(Array.from({ length: n }, () => ({ key: `email:${user.email}`, at: justNow })));
    await failures(9);
    // Nine failures spread over other addresses: no delay yet.
    const ip = freshIp();
    await failTimes(1, user.email, ip);
    // The tenth failure: the next attempt from anywhere waits a second.
    await expect(
      signInWithPassword(db, { email: user.email, password: FIXTURE_PASSWORD }, freshIp()),
    ).rejects.toMatchObject({
      code: "TOO_MANY_REQUESTS",
      message: "Too many failed sign-in attempts. Wait 1 second before trying again.",
    });
    await failures(100);
    await expect(
      signInWithPassword(db, { email: user.email, password: FIXTURE_PASSWORD }, freshIp()),
    ).rejects.toMatchObject({ message: "Too many failed sign-in attempts. Wait 1 minute before trying again." });
  });

  it("checks at most 5 passwords for one email even when the guesses arrive at once", async () => {
    const user = await makeUser(testDb.db(), []);
    const ip = freshIp();
    const outcomes = await Promise.allSettled(
      Array.from({ length: 4 * SIGN_IN_LIMITS.maxPerEmail }, () =>
        signInWithPassword(testDb.db(), { email: user.email, password: "guess" }, ip),
      ),
    );
    const passwordChecks = outcomes.filter(
      (o) => o.status === "rejected" && (o.reason as { code?: string }).code === "UNAUTHORIZED",
    );
    expect(passwordChecks.length).toBeLessThanOrEqual(SIGN_IN_LIMITS.maxPerEmail);
  });

  it("locks out one address that fails across many emails", async () => {
    const db = testDb.db();
    const ip = freshIp();
    const user = await makeUser(db, []);
    await Promise.all(
      Array.from({ length: SIGN_IN_LIMITS.maxPerIp }, (_, i) =>
        expect(signInWithPassword(db, { email: `spray${i}@test.flip`, password: "guess" }, ip)).rejects.toMatchObject(
          WRONG_CREDENTIALS,
        ),
      ),
    );
    await expect(signInWithPassword(db, { email: user.email, password: FIXTURE_PASSWORD }, ip)).rejects.toMatchObject(
      LOCKED_OUT,
    );
    await expect(
      signInWithPassword(db, { email: user.email, password: FIXTURE_PASSWORD }, freshIp()),
    ).resolves.toMatchObject({ id: user.id });
  });

  it("forgets an email's failures after a successful sign-in", async () => {
    const user = await makeUser(testDb.db(), []);
    const ip = freshIp();
    await failTimes(SIGN_IN_LIMITS.maxPerEmail - 1, user.email, ip);
    await signInWithPassword(testDb.db(), { email: user.email, password: FIXTURE_PASSWORD }, ip);
    await failTimes(SIGN_IN_LIMITS.maxPerEmail - 1, user.email, ip);
    await expect(
      signInWithPassword(testDb.db(), { email: user.email, password: FIXTURE_PASSWORD }, ip),
    ).resolves.toMatchObject({ id: user.id });
  });

  it("stops counting failures older than 15 minutes", async () => {
    const db = testDb.db();
    const user = await makeUser(db, []);
    const sixteenMinutesAgo = new Date(Date.now() - 16 * 60_000);
    const ip = freshIp();
    await db.insert(signInFailures).values(
      Array.from({ length: SIGN_IN_LIMITS.maxPerEmail }, () => ({
        key: `pair:${user.email}|${ip}`,
        at: sixteenMinutesAgo,
      })),
    );
    await expect(signInWithPassword(db, { email: user.email, password: FIXTURE_PASSWORD }, ip)).resolves.toMatchObject({
      id: user.id,
    });
  });

  it("counts failures inside the window and says how long to wait", async () => {
    const db = testDb.db();
    const user = await makeUser(db, []);
    const fourteenMinutesAgo = new Date(Date.now() - 14 * 60_000);
    const ip = freshIp();
    await db.insert(signInFailures).values(
      Array.from({ length: SIGN_IN_LIMITS.maxPerEmail }, () => ({
        key: `pair:${user.email}|${ip}`,
        at: fourteenMinutesAgo,
      })),
    );
    await expect(signInWithPassword(db, { email: user.email, password: FIXTURE_PASSWORD }, ip)).rejects.toMatchObject({
      code: "TOO_MANY_REQUESTS",
      message: "Too many failed sign-in attempts. Wait 1 minute before trying again.",
    });
  });
});

describe("account.changePassword", () => {
  const NEW_PASSWORD = "a-new-long-password";

  async function setUp() {
    const db = testDb.db();
    const user = await makeUser(db, [{ role: "researcher" }], {
      mustChangePassword: true,
      passwordChangedAt: new Date("2024-01-01T00:00:00Z"),
    });
    return { db, user, caller: callerAs(db, await viewerOf(db, user.id)) };
  }

  async function refusedField(input: { currentPassword: string; newPassword: string; confirmPassword: string }) {
    const { db, caller } = await setUp();
    const before = await snapshotTables(db);
    const pending = caller.account.changePassword(input);
    await expect(pending).rejects.toMatchObject({ code: "BAD_REQUEST" });
    expect(await snapshotTables(db)).toEqual(before);
    return fieldErrorsOfCall(pending);
  }

  it("refuses a wrong current password, counting it like a failed sign-in", async () => {
    const { db, user, caller } = await setUp();
    const { sign_in_failures: failuresBefore, ...before } = await snapshotTables(db);
    const pending = caller.account.changePassword({
      currentPassword: "not-my-password",
      newPassword: NEW_PASSWORD,
      confirmPassword: NEW_PASSWORD,
    });
    await expect(pending).rejects.toMatchObject({ code: "BAD_REQUEST" });
    const { sign_in_failures: failuresAfter, ...after } = await snapshotTables(db);
    expect(after).toEqual(before);
    // One row per limit: this account from this address, this address, this account.
    expect(failuresAfter!.rows).toBe(failuresBefore!.rows + 3);
    expect(await fieldErrorsOfCall(pending)).toEqual({ currentPassword: ["That is not your current password"] });
    for (let i = 0; i < 4; i++)
      await caller.account
        .changePassword({ currentPassword: "still-wrong", newPassword: NEW_PASSWORD, confirmPassword: NEW_PASSWORD })
        .catch(() => undefined);
    await expect(
      caller.account.changePassword({
        currentPassword: FIXTURE_PASSWORD,
        newPassword: NEW_PASSWORD,
        confirmPassword: NEW_PASSWORD,
      }),
    ).rejects.toMatchObject({
      code: "TOO_MANY_REQUESTS",
      message: "Too many wrong passwords. Wait 15 minutes before trying again.",
    });
    expect((await getUserByEmail(db, user.email))!.mustChangePassword).toBe(true);
  });

  it("refuses a confirmation that does not match", async () => {
    expect(
      await refusedField({
        currentPassword: FIXTURE_PASSWORD,
        newPassword: NEW_PASSWORD,
        confirmPassword: `${NEW_PASSWORD}x`,
      }),
    ).toEqual({
      confirmPassword: ["The two new passwords do not match"],
    });
  });

  it("refuses a short password and a password equal to the current one", async () => {
    expect(
      await refusedField({ currentPassword: FIXTURE_PASSWORD, newPassword: "short", confirmPassword: "short" }),
    ).toEqual({
      newPassword: ["Use at least 12 characters"],
    });
    expect(
      await refusedField({
        currentPassword: FIXTURE_PASSWORD,
        newPassword: FIXTURE_PASSWORD,
        confirmPassword: FIXTURE_PASSWORD,
      }),
    ).toEqual({
      newPassword: ["Choose a password different from the current one"],
    });
  });

  it("replaces the password, clears the temporary flag and ends older sessions", async () => {
    const { db, user, caller } = await setUp();
    const oldSession = new Date("2024-01-01T01:00:00Z").getTime();
    expect(await loadViewer(db, user.id, oldSession)).not.toBeNull();

    await caller.account.changePassword({
      currentPassword: FIXTURE_PASSWORD,
      newPassword: NEW_PASSWORD,
      confirmPassword: NEW_PASSWORD,
    });

    const [stored] = await db.select().from(users).where(eq(users.id, user.id));
    expect(stored!.mustChangePassword).toBe(false);
    expect(await verifyPassword(stored!.passwordHash, NEW_PASSWORD)).toBe(true);
    expect(await loadViewer(db, user.id, oldSession)).toBeNull();
    const fresh = await loadViewer(db, user.id, stored!.passwordChangedAt.getTime());
    expect(fresh).toMatchObject({ id: user.id, mustChangePassword: false });
    // The new session gets past the temporary-password gate.
    await expect(callerAs(db, fresh).approvals.mySites()).resolves.toEqual([]);
    const actions = (
      await db
        .select()
        .from(auditEvents)
        .where(eq(auditEvents.subject, `user:${user.email}`))
    ).map((e) => e.action);
    expect(actions).toEqual(["user.password_changed"]);
  });
});
