import { and, eq } from "drizzle-orm";
import type { Database } from "@/db/client";
import { authFactors, cohortRunTasks, projectRevisions, projects, siteApprovals, sites } from "@/db/schema";
import { decideApproval } from "@/server/approvals/approvals.service";
import { runCohort } from "@/server/cohorts/cohorts.service";
import { makeUser } from "@/server/lib/test-support/fixtures";
import { initialBundle } from "@/server/projects/bundle";
import { createProject, reviseBundle, submitProject } from "@/server/projects/projects.service";
import type { Bundle } from "@/protocol/bundle";
import { ZCohortDefinition } from "@/protocol/cohort-definition";
import { CONCEPT as C } from "@/protocol/omop/concepts";
import type { ApprovalStatement } from "@/protocol/signed-approval";
import { parsePublicKey } from "@/protocol/webauthn/public-key";
import { formatFingerprint } from "@/protocol/webauthn/fingerprint";
import { cohort, condition } from "./cohort-definitions";
import { makeSiteWithToken } from "./hub-fixture";
import { createSoftwareAuthenticator, TEST_PORTAL_ORIGIN, type SoftwareAuthenticator } from "./software-authenticator";

/**
 * A project at the hub whose sites' approvers decide with passkeys (software authenticators),
 * and the site policies that enrol those approvers' keys: the honest set-up the tamper tests of
 * signed approvals start from. Every step goes through the services the portal calls.
 */
export const STROKE = ZCohortDefinition.parse(cohort(condition([C.cerebrovascularAccident])));
export const ANY_AF = ZCohortDefinition.parse(cohort(condition([C.atrialFibrillation])));

export type SceneSite = {
  id: string;
  code: string;
  token: string;
  approver: { id: string; email: string };
  authenticator: SoftwareAuthenticator;
};

export async function createSignedApprovalScene(db: Database, codes: string[]) {
  const researcher = await makeUser(db, [{ role: "researcher" }]);
  const siteList: SceneSite[] = [];
  for (const code of codes) {
    const { site, token } = await makeSiteWithToken(db, code, { skipFirstInventory: true });
    const approver = await makeUser(db, [{ role: "approver", siteId: site.id }]);
    const authenticator = createSoftwareAuthenticator();
    await registerTestPasskey(db, approver.id, authenticator, `${code} approver's security key`);
    siteList.push({ id: site.id, code, token, approver, authenticator });
  }
  const purpose = "Count adults with a stroke at each Trust for a federated risk model.";
  const project = await createProject(db, researcher, { title: "Signed stroke counts", purpose });
  const bundle = (cohortDefinition = STROKE): Bundle => ({ ...initialBundle(purpose), cohort: cohortDefinition });
  await reviseBundle(db, researcher, { projectId: project.id, bundle: bundle() });
  await submitProject(db, researcher, { projectId: project.id, siteIds: siteList.map((s) => s.id) });

  const currentRevision = async () => {
    const [row] = await db
      .select({ id: projectRevisions.id, bundleHash: projectRevisions.bundleHash })
      .from(projects)
      .innerJoin(projectRevisions, eq(projectRevisions.id, projects.currentRevisionId))
      .where(eq(projects.id, project.id));
    return row!;
  };
  const approvalOf = async (revisionId: string, siteId: string) => {
    const [row] = await db
      .select()
      .from(siteApprovals)
      .where(and(eq(siteApprovals.revisionId, revisionId), eq(siteApprovals.siteId, siteId)));
    return row!;
  };

  return {
    projectId: project.id,
    researcher,
    sites: siteList,
    currentRevision,
    approvalOf,
    /** Each site's approver approves the current revision, signing with their passkey. */
    async approveSigned(only = siteList) {
      const revision = await currentRevision();
      for (const site of only) {
        const approval = await approvalOf(revision.id, site.id);
        const statement: ApprovalStatement = {
          bundleHash: revision.bundleHash,
          revisionId: revision.id,
          projectId: project.id,
          siteCode: site.code,
          decision: "approved",
          decidedAt: new Date().toISOString(),
        };
        await decideApproval(db, site.approver, {
          siteId: site.id,
          approvalId: approval.id,
          decision: "approved",
          signature: { decidedAt: statement.decidedAt, assertion: site.authenticator.signApproval(statement) },
        });
      }
      return revision;
    },
    /** A new revision with another cohort: every site is asked again. */
    async revise(cohortDefinition: typeof STROKE) {
      await reviseBundle(db, researcher, { projectId: project.id, bundle: bundle(cohortDefinition) });
      return currentRevision();
    },
    /** The researcher's approved cohort count; its task id per site code. */
    async runApprovedCount() {
      const run = await runCohort(db, researcher, {
        projectId: project.id,
        purpose: "approved",
        siteIds: siteList.map((s) => s.id),
      });
      const rows = await db
        .select({ code: sites.code, taskId: cohortRunTasks.taskId })
        .from(cohortRunTasks)
        .innerJoin(sites, eq(sites.id, cohortRunTasks.siteId))
        .where(eq(cohortRunTasks.runId, run.id));
      return Object.fromEntries(rows.map((r) => [r.code, r.taskId]));
    },
  };
}

/** The passkey as the account page's registration stores it: credential id and COSE public key. */
export async function registerTestPasskey(
  db: Database,
  userId: string,
  authenticator: SoftwareAuthenticator,
  label: string,
) {
  await db.insert(authFactors).values({
    userId,
    kind: "passkey",
    label,
    credentialId: authenticator.credentialId,
    publicKey: Buffer.from(authenticator.coseBase64url, "base64url"),
    signCount: 0,
    confirmedAt: new Date(),
  });
}

/** The site policy a Trust's IT writes: its approver's key and fingerprint as the portal shows them. */
export function signedPolicy(site: SceneSite, extra: Record<string, unknown> = {}) {
  return {
    site: site.code,
    allowedTaskKinds: ["site_inventory", "cohort_count"],
    roundingBase: 1,
    approvers: [
      {
        name: `${site.code} data-governance lead`,
        publicKey: site.authenticator.spkiBase64,
        fingerprint: formatFingerprint(parsePublicKey(site.authenticator.spkiBase64).fingerprint),
      },
    ],
    portalOrigins: [TEST_PORTAL_ORIGIN],
    ...extra,
  };
}
