import { eq } from "drizzle-orm";
import { describe, expect, it } from "vitest";
import { authFactors, siteApprovals } from "@/db/schema";
import { auditFor, callerAs, refusedWithoutChange, viewerOf } from "@/server/lib/test-support/fixtures";
import { useTestDatabase } from "@/server/lib/test-support/test-db";
import type { ApprovalAssertion, ApprovalStatement } from "@/protocol/signed-approval";
import { parsePublicKey } from "@/protocol/webauthn/public-key";
import { formatFingerprint } from "@/protocol/webauthn/fingerprint";
import { createSignedApprovalScene } from "@/workers/test-support/signed-approval-scene";
import { listMyApproverKeys } from "./approver-keys.service";

/** The hub's side of signed approvals: a decision signed with the approver's own passkey is checked, then kept. */
const testDb = useTestDatabase();
let sceneCount = 0;

async function setUp() {
  const db = testDb.db();
  const s = await createSignedApprovalScene(db, [`SK${++sceneCount}`, `SG${sceneCount}`]);
  const [kch, gstt] = s.sites;
  const revision = await s.currentRevision();
  const approval = await s.approvalOf(revision.id, kch!.id);
  const statement: ApprovalStatement = {
    bundleHash: revision.bundleHash,
    revisionId: revision.id,
    projectId: s.projectId,
    siteCode: kch!.code,
    decision: "approved",
    decidedAt: new Date().toISOString(),
  };
  const caller = callerAs(db, await viewerOf(db, kch!.approver.id));
  const decide = (decidedAt: string, assertion: ApprovalAssertion) =>
    caller.approvals.decide({
      siteId: kch!.id,
      approvalId: approval.id,
      decision: "approved",
      signature: { decidedAt, assertion },
    });
  return { db, s, kch: kch!, gstt: gstt!, approval, statement, decide };
}

describe("signed decisions at the hub", () => {
  it("keeps the assertion, the signed time and the key's fingerprint with the decision, and audits the fingerprint", async () => {
    const { db, s, kch, approval, statement, decide } = await setUp();
    await decide(statement.decidedAt, kch.authenticator.signApproval(statement));
    const [row] = await db.select().from(siteApprovals).where(eq(siteApprovals.id, approval.id));
    const fingerprint = parsePublicKey(kch.authenticator.spkiBase64).fingerprint;
    expect(row).toMatchObject({ status: "approved", signature: { keyFingerprint: fingerprint } });
    expect(row!.decidedAt!.toISOString()).toBe(statement.decidedAt);
    const [event] = (await auditFor(db, `project:${s.projectId}`)).filter((e) => e.action === "approval.approved");
    expect(event!.details).toMatchObject({ keyFingerprint: fingerprint });
    const [factor] = await db
      .select()
      .from(authFactors)
      .where(eq(authFactors.credentialId, kch.authenticator.credentialId));
    expect(factor).toMatchObject({ signCount: 1, lastUsedAt: expect.any(Date) });
  });

  it("refuses a signature over another site's statement, by another person's passkey, or from the wrong time, changing nothing", async () => {
    const { db, kch, gstt, statement, decide } = await setUp();
    const cases: [() => Promise<unknown>, string][] = [
      [
        () => decide(statement.decidedAt, kch.authenticator.signApproval({ ...statement, siteCode: gstt.code })),
        "The signature does not hold (the signature is for another statement (bundle, revision, project, site, decision or time)); sign the decision again. Nothing was changed.",
      ],
      [
        () => decide(statement.decidedAt, gstt.authenticator.signApproval(statement)),
        "This passkey is not registered to your account, or its key type cannot sign approvals (use a P-256, Ed25519 or RSA passkey); register one on your account page. Nothing was changed.",
      ],
      [
        () => {
          const stale = { ...statement, decidedAt: new Date(Date.now() - 10 * 60_000).toISOString() };
          return decide(stale.decidedAt, kch.authenticator.signApproval(stale));
        },
        "The signature's time is more than 5 minutes from the portal's clock; check your computer's clock and sign again. Nothing was changed.",
      ],
      [
        () => decide(statement.decidedAt, kch.authenticator.signApproval(statement, { flags: 0x01 })),
        "The signature does not hold (the user was not verified (PIN or biometric)); sign the decision again. Nothing was changed.",
      ],
    ];
    // The same assertion twice: the passkey's counter did not move, as with a copied authenticator.
    const used = kch.authenticator.signApproval(statement);
    await db.update(authFactors).set({ signCount: 7 }).where(eq(authFactors.credentialId, used.credentialId));
    cases.push([
      () => decide(statement.decidedAt, used),
      "This passkey's signature counter went backwards, which happens when an authenticator has been copied; nothing was changed. Ask your IT to check the key, or register a new one.",
    ]);
    for (const [call, message] of cases) {
      const fieldErrors = await refusedWithoutChange(db, call, { code: "BAD_REQUEST", message });
      expect(fieldErrors).toEqual({ signature: [message] });
    }
  });
});

describe("approvers' keys", () => {
  it("shows each of the approver's keys as Trust IT enrols it: SPKI and the fingerprint in groups of four", async () => {
    const { db, kch } = await setUp();
    const [key] = await listMyApproverKeys(db, kch.approver);
    const expected = parsePublicKey(kch.authenticator.spkiBase64);
    expect(key).toMatchObject({
      publicKey: kch.authenticator.spkiBase64,
      fingerprint: formatFingerprint(expected.fingerprint),
      algorithm: "ES256",
    });
    expect(await listMyApproverKeys(db, (await setUp()).gstt.approver)).toHaveLength(1);
  });
});
