import { and, eq } from "drizzle-orm";
import { beforeAll, describe, expect, it } from "vitest";
import { roleGrants, users } from "@/db/schema";
import { verifyPassword } from "@/server/auth/password";
import type { Viewer } from "@/server/auth/permissions";
import { loadViewer } from "@/server/auth/viewer";
import {
  auditFor,
  callerAs,
  getUserByEmail,
  makeSite,
  makeUser,
  refusedWithoutChange,
  snapshotTables,
  viewerOf,
} from "@/server/lib/test-support/fixtures";
import { useTestDatabase } from "@/server/lib/test-support/test-db";

const testDb = useTestDatabase();

let admin: Viewer;
const asAdmin = () => callerAs(testDb.db(), admin);

beforeAll(async () => {
  const db = testDb.db();
  admin = await viewerOf(db, (await makeUser(db, [{ role: "admin" }])).id);
});

async function expectNoChange(call: () => Promise<unknown>) {
  const before = await snapshotTables(testDb.db());
  await call();
  expect(await snapshotTables(testDb.db())).toEqual(before);
}

describe("users.create", () => {
  it("returns a 16-character temporary password, stores only its argon2id hash and audits the creation", async () => {
    const { user, temporaryPassword } = await asAdmin().users.create({
      email: "  New.Person@Example.ORG ",
      name: "  Nia Person ",
    });
    expect(temporaryPassword).toMatch(/^[a-km-zA-HJ-NP-Z2-9]{16}$/);
    expect(user).toMatchObject({
      email: "new.person@example.org",
      name: "Nia Person",
      mustChangePassword: true,
      disabled: false,
    });

    const stored = await getUserByEmail(testDb.db(), "new.person@example.org");
    expect(stored!.passwordHash).toMatch(/^\$argon2id\$/);
    expect(stored!.passwordHash).not.toContain(temporaryPassword);
    expect(await verifyPassword(stored!.passwordHash, temporaryPassword)).toBe(true);

    const [event] = await auditFor(testDb.db(), "user:new.person@example.org");
    expect(event).toMatchObject({
      action: "user.created",
      actorType: "user",
      actorId: admin.id,
      actorLabel: admin.email,
      details: { name: "Nia Person" },
    });
  });

  it("refuses an email that differs from an existing one only by case", async () => {
    await asAdmin().users.create({ email: "admin@x.org", name: "First" });
    const fieldErrors = await refusedWithoutChange(
      testDb.db(),
      () => asAdmin().users.create({ email: "Admin@X.org", name: "Second" }),
      {
        code: "CONFLICT",
        message: "A user with this email already exists",
      },
    );
    expect(fieldErrors).toEqual({ email: ["A user with this email already exists"] });
  });

  const long = (n: number) => "a".repeat(n);
  it.each([
    ["an empty email", { email: "", name: "Ann" }, { email: ["Enter an email address"] }],
    ["a blank email", { email: "   ", name: "Ann" }, { email: ["Enter an email address"] }],
    [
      "a too-long email",
      { email: `${long(245)}@nhs.net.uk`, name: "Ann" },
      { email: ["Email addresses are at most 254 characters"] },
    ],
    [
      "a malformed email",
      { email: "not-an-email", name: "Ann" },
      { email: ["Enter a valid email address, like name@nhs.net"] },
    ],
    ["a non-string email", { email: 42, name: "Ann" }, { email: ["Enter an email address"] }],
    ["a missing email", { name: "Ann" }, { email: ["Enter an email address"] }],
    ["an empty name", { email: "ann@nhs.net", name: "  " }, { name: ["Enter a name"] }],
    ["a too-long name", { email: "ann@nhs.net", name: long(121) }, { name: ["Names are at most 120 characters"] }],
    ["a non-string name", { email: "ann@nhs.net", name: null }, { name: ["Enter a name"] }],
  ])("refuses %s with the field's message", async (_label, input, expected) => {
    const fieldErrors = await refusedWithoutChange(testDb.db(), () => asAdmin().users.create(input as never), {
      code: "BAD_REQUEST",
    });
    expect(fieldErrors).toEqual(expected);
  });
});

describe("users.grantRole and users.revokeRole", () => {
  it("grants a researcher at once, shows it to the user and audits it", async () => {
    const db = testDb.db();
    const target = await makeUser(db, []);
    await expect(asAdmin().users.grantRole({ userId: target.id, role: "researcher" })).resolves.toMatchObject({
      status: "granted",
    });
    expect((await viewerOf(db, target.id)).grants).toEqual([expect.objectContaining({ role: "researcher" })]);
    const [event] = await auditFor(testDb.db(), `user:${target.email}`);
    expect(event).toMatchObject({
      action: "role.granted",
      actorLabel: admin.email,
      details: { role: "researcher", site: null },
    });
  });

  it("refuses an approver grant without a site", async () => {
    const target = await makeUser(testDb.db(), []);
    const fieldErrors = await refusedWithoutChange(
      testDb.db(),
      () => asAdmin().users.grantRole({ userId: target.id, role: "approver" }),
      { code: "BAD_REQUEST" },
    );
    expect(fieldErrors).toEqual({ siteId: ["An approver acts for one site: choose the site"] });
  });

  it("refuses a researcher grant that names a site", async () => {
    const db = testDb.db();
    const [site, target] = [await makeSite(db), await makeUser(db, [])];
    const fieldErrors = await refusedWithoutChange(
      testDb.db(),
      () => asAdmin().users.grantRole({ userId: target.id, role: "researcher", siteId: site.id }),
      {
        code: "BAD_REQUEST",
      },
    );
    expect(fieldErrors).toEqual({ siteId: ["Only approver grants name a site"] });
  });

  it("refuses an approver grant for a site that does not exist", async () => {
    const target = await makeUser(testDb.db(), []);
    const missingSite = "00000000-0000-4000-8000-000000000000";
    const fieldErrors = await refusedWithoutChange(
      testDb.db(),
      () => asAdmin().users.grantRole({ userId: target.id, role: "approver", siteId: missingSite }),
      {
        code: "NOT_FOUND",
      },
    );
    expect(fieldErrors).toEqual({ siteId: ["That site does not exist"] });
  });

  it.each([["researcher"], ["admin"]] as const)("refuses a second %s grant to the same user", async (role) => {
    const target = await makeUser(testDb.db(), [{ role }]);
    const fieldErrors = await refusedWithoutChange(
      testDb.db(),
      () => asAdmin().users.grantRole({ userId: target.id, role }),
      { code: "CONFLICT" },
    );
    expect(fieldErrors).toEqual({ role: ["This user already holds that role"] });
  });

  it("refuses a second approver grant for the same site", async () => {
    const db = testDb.db();
    const site = await makeSite(db);
    const target = await makeUser(db, [{ role: "approver", siteId: site.id }]);
    const fieldErrors = await refusedWithoutChange(
      testDb.db(),
      () => asAdmin().users.grantRole({ userId: target.id, role: "approver", siteId: site.id }),
      {
        code: "CONFLICT",
      },
    );
    expect(fieldErrors).toEqual({ role: ["This user already holds that role"] });
  });

  it("revokes a grant so the user loses it, and audits the revocation", async () => {
    const db = testDb.db();
    const target = await makeUser(db, [{ role: "researcher" }]);
    const [grant] = await db.select().from(roleGrants).where(eq(roleGrants.userId, target.id));
    await asAdmin().users.revokeRole({ grantId: grant!.id });
    expect((await viewerOf(db, target.id)).grants).toEqual([]);
    const [event] = await auditFor(testDb.db(), `user:${target.email}`);
    expect(event).toMatchObject({ action: "role.revoked", details: { role: "researcher", site: null } });
    await refusedWithoutChange(testDb.db(), () => asAdmin().users.revokeRole({ grantId: grant!.id }), {
      code: "NOT_FOUND",
      message: "That role grant no longer exists.",
    });
  });

  it("does not let an admin remove their own admin role", async () => {
    const db = testDb.db();
    const [own] = await db
      .select()
      .from(roleGrants)
      .where(and(eq(roleGrants.userId, admin.id), eq(roleGrants.role, "admin")));
    await refusedWithoutChange(testDb.db(), () => asAdmin().users.revokeRole({ grantId: own!.id }), {
      code: "PRECONDITION_FAILED",
      message: "You cannot remove your own admin role. Ask another admin to do it.",
    });
  });
});

describe("users.setDisabled", () => {
  it("does not let an admin disable themselves", async () => {
    await refusedWithoutChange(testDb.db(), () => asAdmin().users.setDisabled({ userId: admin.id, disabled: true }), {
      code: "PRECONDITION_FAILED",
      message: "You cannot disable your own account.",
    });
  });

  it("ends the user's session when disabled; enabling lets them sign in again but revives no old session", async () => {
    const db = testDb.db();
    const target = await makeUser(db, [{ role: "researcher" }]);
    const signedInAt = target.passwordChangedAt.getTime();
    await asAdmin().users.setDisabled({ userId: target.id, disabled: true });
    expect(await loadViewer(db, target.id, signedInAt)).toBeNull();

    // Disabling again is a no-op: no second audit event.
    await expectNoChange(() => asAdmin().users.setDisabled({ userId: target.id, disabled: true }));

    await asAdmin().users.setDisabled({ userId: target.id, disabled: false });
    expect(await loadViewer(db, target.id, signedInAt)).toBeNull();
    expect(await loadViewer(db, target.id, Date.now() + 1)).toMatchObject({ id: target.id });
    expect((await auditFor(testDb.db(), `user:${target.email}`)).map((e) => e.action)).toEqual([
      "user.disabled",
      "user.enabled",
    ]);
  });
});

describe("users.resetPassword", () => {
  it("issues a new temporary password and ends sessions signed in before it", async () => {
    const db = testDb.db();
    const target = await makeUser(db, [{ role: "researcher" }], {
      passwordChangedAt: new Date("2024-01-01T00:00:00Z"),
    });
    const oldSession = new Date("2024-01-01T01:00:00Z").getTime();
    expect(await loadViewer(db, target.id, oldSession)).not.toBeNull();

    const { temporaryPassword } = await asAdmin().users.resetPassword({ userId: target.id });

    expect(temporaryPassword).toHaveLength(16);
    expect(await loadViewer(db, target.id, oldSession)).toBeNull();
    const [stored] = await db.select().from(users).where(eq(users.id, target.id));
    expect(stored!.mustChangePassword).toBe(true);
    expect(await verifyPassword(stored!.passwordHash, temporaryPassword)).toBe(true);
    expect(await loadViewer(db, target.id, stored!.passwordChangedAt.getTime())).toMatchObject({
      mustChangePassword: true,
    });
    expect((await auditFor(testDb.db(), `user:${target.email}`)).map((e) => e.action)).toEqual(["user.password_reset"]);
  });

  it("reports an unknown user as not found", async () => {
    await refusedWithoutChange(
      testDb.db(),
      () => asAdmin().users.resetPassword({ userId: "00000000-0000-4000-8000-000000000000" }),
      {
        code: "NOT_FOUND",
        message: "No user with that id.",
      },
    );
  });
});

describe("unknown users", () => {
  const missing = "00000000-0000-4000-8000-000000000000";
  const notFound = { code: "NOT_FOUND", message: "No user with that id." };

  it("are reported as not found by every action on a user", async () => {
    await expect(asAdmin().users.byId({ userId: missing })).rejects.toMatchObject(notFound);
    await refusedWithoutChange(
      testDb.db(),
      () => asAdmin().users.grantRole({ userId: missing, role: "researcher" }),
      notFound,
    );
    await refusedWithoutChange(
      testDb.db(),
      () => asAdmin().users.setDisabled({ userId: missing, disabled: true }),
      notFound,
    );
  });
});

describe("users.list", () => {
  it("searches name and email case-insensitively and pages in email order", async () => {
    const db = testDb.db();
    const emails = [
      "zed.a@list.test",
      "zed.b@list.test",
      "zed.c@list.test",
      "zed.d@list.test",
      "zed.e@list.test",
      "other@list.test",
    ];
    for (const email of emails)
      await makeUser(db, [], { email, name: email.startsWith("zed") ? "Zephyr Person" : "Quentin Zephyr" });
    await makeUser(db, [], { email: "nomatch@list.test", name: "Nobody" });

    const first = await asAdmin().users.list({ search: "ZEPHYR", pageSize: 5 });
    expect(first.total).toBe(6);
    expect(first.users.map((u) => u.email)).toEqual([
      "other@list.test",
      "zed.a@list.test",
      "zed.b@list.test",
      "zed.c@list.test",
      "zed.d@list.test",
    ]);
    const second = await asAdmin().users.list({ search: "zephyr", page: 2, pageSize: 5 });
    expect(second.users.map((u) => u.email)).toEqual(["zed.e@list.test"]);
    expect((await asAdmin().users.list({ search: "ZED.C@" })).users.map((u) => u.email)).toEqual(["zed.c@list.test"]);
  });

  it("treats % and _ in the search as plain characters", async () => {
    expect(await asAdmin().users.list({ search: "%" })).toMatchObject({ users: [], total: 0 });
    expect(await asAdmin().users.list({ search: "_" })).toMatchObject({ users: [], total: 0 });
  });

  it("shows each user's grants with the site code", async () => {
    const db = testDb.db();
    const site = await makeSite(db);
    await makeUser(db, [{ role: "approver", siteId: site.id }], { email: "granted@grants.test" });
    const { users: found } = await asAdmin().users.list({ search: "granted@grants.test" });
    expect(found).toEqual([
      expect.objectContaining({
        email: "granted@grants.test",
        grants: [expect.objectContaining({ role: "approver", siteCode: site.code })],
      }),
    ]);
  });
});
