import { describe, expect, it } from "vitest";
import { projectMembers } from "@/db/schema";
import { callerAs, makeUser, refusedWithoutChange, viewerOf } from "@/server/lib/test-support/fixtures";
import { useTestDatabase } from "@/server/lib/test-support/test-db";

const testDb = useTestDatabase();

async function scene() {
  const db = testDb.db();
  const owner = await viewerOf(db, (await makeUser(db, [{ role: "researcher" }])).id);
  const colleague = await viewerOf(db, (await makeUser(db, [{ role: "researcher" }])).id);
  const stranger = await viewerOf(db, (await makeUser(db, [{ role: "researcher" }])).id);
  const asOwner = callerAs(db, owner);
  const project = await asOwner.projects.create({
    title: "Invitations",
    purpose: "Check that adding people reveals nothing about accounts.",
  });
  return { db, owner, colleague, stranger, asOwner, projectId: project.id };
}

describe("adding project members", () => {
  it("answers an owner the same whether or not the email has an account, and never with a user id", async () => {
    const { db, colleague, asOwner, projectId } = await scene();
    const known = await asOwner.projects.addMember({ projectId, email: colleague.email, role: "member" });
    const unknown = await asOwner.projects.addMember({ projectId, email: "no.account@nhs.net", role: "member" });
    expect(known).toEqual({ invited: colleague.email, role: "member" });
    expect(unknown).toEqual({ invited: "no.account@nhs.net", role: "member" });
    expect(JSON.stringify(known)).not.toContain(colleague.id);

    const { members, invitations } = await asOwner.projects.byId({ projectId });
    expect(members).toHaveLength(1);
    expect(invitations.map(({ email, role }) => ({ email, role }))).toEqual([
      { email: "no.account@nhs.net", role: "member" },
      { email: colleague.email, role: "member" },
    ]);
    expect(JSON.stringify(invitations)).not.toContain(colleague.id);
    // Nobody becomes a member without accepting.
    expect(await db.select().from(projectMembers)).toHaveLength(1);
  });

  it("lets only the invited person accept or decline, and makes them a member when they accept", async () => {
    const { db, colleague, stranger, asOwner, projectId } = await scene();
    await asOwner.projects.addMember({ projectId, email: colleague.email, role: "viewer" });
    const [invitation] = await callerAs(db, colleague).projects.myInvitations();
    expect(invitation).toMatchObject({ projectTitle: "Invitations", role: "viewer" });
    expect(await callerAs(db, stranger).projects.myInvitations()).toEqual([]);

    await refusedWithoutChange(
      db,
      () => callerAs(db, stranger).projects.answerInvitation({ invitationId: invitation!.id, accept: true }),
      { code: "NOT_FOUND", message: "No invitation with that id for you." },
    );
    await expect(
      callerAs(db, colleague).projects.answerInvitation({ invitationId: invitation!.id, accept: true }),
    ).resolves.toEqual({ projectId, joined: true });
    const { members, invitations } = await callerAs(db, colleague).projects.byId({ projectId });
    expect(members.map((m) => m.role).sort()).toEqual(["owner", "viewer"]);
    expect(invitations).toEqual([]);
  });

  it("refuses inviting an existing member, and lets an owner withdraw an invitation", async () => {
    const { db, owner, asOwner, projectId } = await scene();
    await refusedWithoutChange(
      db,
      () => asOwner.projects.addMember({ projectId, email: owner.email, role: "viewer" }),
      {
        code: "CONFLICT",
        message: "This person is already a member",
      },
    );
    await asOwner.projects.addMember({ projectId, email: "later@nhs.net", role: "viewer" });
    const [invitation] = (await asOwner.projects.byId({ projectId })).invitations;
    await asOwner.projects.cancelInvitation({ projectId, invitationId: invitation!.id });
    expect((await asOwner.projects.byId({ projectId })).invitations).toEqual([]);
  });
});
