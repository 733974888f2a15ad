import { and, eq } from "drizzle-orm";
import { connectDatabase } from "@/db/client";
import { withDatabase } from "@/db/pg-connection";
import { projectRevisions, projects, siteApprovals, sites, users } from "@/db/schema";
import { initialBundle } from "@/server/projects/bundle";
import { createProject, reviseBundle, submitProject } from "@/server/projects/projects.service";
import { parsePublicKey } from "@/protocol/webauthn/public-key";
import { formatFingerprint } from "@/protocol/webauthn/fingerprint";
import { verifyApprovalAssertion } from "@/protocol/webauthn/verify-assertion";
import { registerTestPasskey, STROKE } from "@/workers/test-support/signed-approval-scene";
import { createSoftwareAuthenticator } from "@/workers/test-support/software-authenticator";
import { expect, test } from "./support/test";
import { E2E_BASE_URL, E2E_DATABASE, e2eAdminUrl } from "./support/constants";
import { signInAndLand } from "./support/session";

/**
 * The approver signs a decision in the browser with a passkey (Chrome's virtual authenticator
 * holding the key the approver registered), and the signature the hub stores is one a site worker
 * that enrolled this key accepts.
 */
const APPROVER = "approver.kch@demo.flip";

test("an approver signs their decision with a passkey, and the site's check accepts the signature", async ({
  page,
  context,
}) => {
  const { db, pool } = connectDatabase(withDatabase(e2eAdminUrl(), E2E_DATABASE));
  try {
    const passkey = createSoftwareAuthenticator();
    const [approver] = await db.select().from(users).where(eq(users.email, APPROVER));
    const [researcher] = await db.select().from(users).where(eq(users.email, "researcher@demo.flip"));
    const [kch] = await db.select().from(sites).where(eq(sites.code, "KCH"));
    await registerTestPasskey(db, approver!.id, passkey, "Security key");
    const title = `Signed stroke counts ${Date.now()}`;
    const purpose = "Count adults with a stroke at KCH before a federated risk model is trained.";
    const project = await createProject(db, researcher!, { title, purpose });
    await reviseBundle(db, researcher!, {
      projectId: project.id,
      bundle: { ...initialBundle(purpose), cohort: STROKE },
    });
    await submitProject(db, researcher!, { projectId: project.id, siteIds: [kch!.id] });

    // The approver's browser holds the passkey: Chrome's virtual authenticator with the registered key.
    const cdp = await context.newCDPSession(page);
    await cdp.send("WebAuthn.enable");
    const { authenticatorId } = await cdp.send("WebAuthn.addVirtualAuthenticator", {
      options: {
        protocol: "ctap2",
        transport: "internal",
        hasResidentKey: true,
        hasUserVerification: true,
        isUserVerified: true,
      },
    });
    await cdp.send("WebAuthn.addCredential", {
      authenticatorId,
      credential: {
        credentialId: Buffer.from(passkey.credentialId, "base64url").toString("base64"),
        isResidentCredential: false,
        rpId: new URL(E2E_BASE_URL).hostname,
        privateKey: passkey.privateKeyPkcs8Base64,
        signCount: 0,
      },
    });

    await signInAndLand(page, APPROVER);
    await page.goto("/approvals");
    const fingerprint = formatFingerprint(parsePublicKey(passkey.spkiBase64).fingerprint);
    const keys = page.getByRole("region", { name: "Your signing keys" });
    await expect(keys.getByTestId("key-fingerprint")).toHaveText(fingerprint);
    await expect(keys.getByRole("button", { name: "Copy policy entry" })).toBeVisible();

    await page
      .getByRole("table", { name: /^Requests waiting for / })
      .getByRole("link", { name: title })
      .click();
    await page.getByRole("button", { name: "Approve" }).click();
    await page.getByRole("button", { name: "Sign with passkey and confirm" }).click();
    await expect(page.getByText(`Signed with the passkey ${fingerprint}`)).toBeVisible();

    const [row] = await db
      .select({
        status: siteApprovals.status,
        decidedAt: siteApprovals.decidedAt,
        signature: siteApprovals.signature,
        revisionId: projectRevisions.id,
        bundleHash: projectRevisions.bundleHash,
      })
      .from(siteApprovals)
      .innerJoin(projectRevisions, eq(projectRevisions.id, siteApprovals.revisionId))
      .innerJoin(projects, eq(projects.currentRevisionId, projectRevisions.id))
      .where(and(eq(projects.id, project.id), eq(siteApprovals.siteId, kch!.id)));
    expect(row!.status).toBe("approved");
    expect(row!.signature!.keyFingerprint).toBe(parsePublicKey(passkey.spkiBase64).fingerprint);
    // What KCH's worker checks, with the key its IT enrolled and the portal's origin in its policy.
    const check = verifyApprovalAssertion(
      {
        bundleHash: row!.bundleHash,
        revisionId: row!.revisionId,
        projectId: project.id,
        siteCode: "KCH",
        decision: "approved",
        decidedAt: row!.decidedAt!.toISOString(),
      },
      row!.signature!.assertion,
      [parsePublicKey(passkey.spkiBase64)],
      { origins: [new URL(E2E_BASE_URL).origin], rpIds: [new URL(E2E_BASE_URL).hostname] },
    );
    expect(check.ok).toBe(true);
  } finally {
    await pool.end();
  }
});
