import { describe, expect, it } from "vitest";
import { roleGrantRequests } from "@/db/schema";
import {
  auditFor,
  callerAs,
  makeSite,
  makeUser,
  refusedWithoutChange,
  viewerOf,
} from "@/server/lib/test-support/fixtures";
import { useTestDatabase } from "@/server/lib/test-support/test-db";

const testDb = useTestDatabase();

async function scene() {
  const db = testDb.db();
  const site = await makeSite(db);
  const [first, second] = [
    await viewerOf(db, (await makeUser(db, [{ role: "admin" }])).id),
    await viewerOf(db, (await makeUser(db, [{ role: "admin" }])).id),
  ];
  const approver = await viewerOf(db, (await makeUser(db, [{ role: "approver", siteId: site.id }])).id);
  const target = await makeUser(db, []);
  return { db, site, first, second, approver, target };
}

describe("role grants by admins", () => {
  it("refuses an admin granting any role to themselves, and changes nothing", async () => {
    const { db, site, first } = await scene();
    for (const input of [
      { userId: first.id, role: "approver" as const, siteId: site.id },
      { userId: first.id, role: "researcher" as const },
    ])
      await refusedWithoutChange(db, () => callerAs(db, first).users.grantRole(input), {
        code: "PRECONDITION_FAILED",
        message: "You cannot grant a role to yourself. Ask another admin.",
      });
  });

  it("makes an approver grant wait for a second admin, announced to the site's approvers, then grants it", async () => {
    const { db, site, first, second, approver, target } = await scene();
    const asked = await callerAs(db, first).users.grantRole({ userId: target.id, role: "approver", siteId: site.id });
    expect(asked).toMatchObject({ status: "awaiting_confirmation" });
    // Not an approver yet: no decisions for the Trust.
    expect((await viewerOf(db, target.id)).grants).toEqual([]);

    const requestId = asked.status === "awaiting_confirmation" ? asked.requestId : "";
    const announced = await callerAs(db, approver).approvals.approverChanges({ siteId: site.id });
    expect(announced.pending).toEqual([
      expect.objectContaining({ id: requestId, email: target.email, requestedBy: first.email }),
    ]);

    // The admin who asked cannot confirm; nor can the person who would become the approver.
    await refusedWithoutChange(db, () => callerAs(db, first).users.confirmGrant({ requestId }), {
      code: "PRECONDITION_FAILED",
      message: "Another admin must confirm an approver grant you asked for.",
    });

    await callerAs(db, second).users.confirmGrant({ requestId });
    expect((await viewerOf(db, target.id)).grants).toEqual([
      expect.objectContaining({ role: "approver", siteId: site.id, siteCode: site.code }),
    ]);
    expect(await db.select().from(roleGrantRequests)).toEqual([]);
    expect((await auditFor(db, `user:${target.email}`)).map((e) => [e.action, e.actorLabel])).toEqual([
      ["role.grant_requested", first.email],
      ["role.granted", second.email],
    ]);
    const after = await callerAs(db, approver).approvals.approverChanges({ siteId: site.id });
    expect(after).toMatchObject({
      pending: [],
      recent: [{ change: "granted", email: target.email, by: second.email }],
    });
  });

  it("refuses a second admin confirming a grant for themselves, and a request already handled", async () => {
    const { db, site, first, second } = await scene();
    const asked = await callerAs(db, first).users.grantRole({ userId: second.id, role: "approver", siteId: site.id });
    const requestId = asked.status === "awaiting_confirmation" ? asked.requestId : "";
    await refusedWithoutChange(db, () => callerAs(db, second).users.confirmGrant({ requestId }), {
      code: "PRECONDITION_FAILED",
      message: "You cannot confirm a role for yourself. Ask another admin.",
    });
    await callerAs(db, second).users.cancelGrantRequest({ requestId });
    await refusedWithoutChange(db, () => callerAs(db, first).users.confirmGrant({ requestId }), {
      code: "NOT_FOUND",
      message: "That request was already confirmed or cancelled.",
    });
  });
});
