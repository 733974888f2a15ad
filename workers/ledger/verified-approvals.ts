import type { DatabaseSync } from "node:sqlite";

/**
 * The approvals this site verified: each signed decision the worker checked against its own
 * enrolled keys before running a task, with who signed it (the name and key fingerprint from the
 * site policy) and when the site first and last relied on it. Trust staff can see which of their
 * approvers' decisions the data was used under, without asking the hub.
 */
export type VerifiedApproval = {
  projectId: string;
  revisionId: string;
  bundleHash: string;
  decidedAt: string;
  approver: string;
  keyFingerprint: string;
};

export type VerifiedApprovalRow = VerifiedApproval & { firstVerifiedAt: string; lastVerifiedAt: string; tasks: number };

/** Ledger schema version 3. */
export const CREATE_VERIFIED_APPROVALS = `
  CREATE TABLE verified_approvals (
    revision_id TEXT NOT NULL,
    key_fingerprint TEXT NOT NULL,
    decided_at TEXT NOT NULL,
    project_id TEXT NOT NULL,
    bundle_hash TEXT NOT NULL,
    approver TEXT NOT NULL,
    first_verified_at TEXT NOT NULL,
    last_verified_at TEXT NOT NULL,
    tasks INTEGER NOT NULL,
    PRIMARY KEY (revision_id, key_fingerprint, decided_at)
  );
  CREATE INDEX verified_approvals_project ON verified_approvals (project_id);
`;

export function verifiedApprovalStatements(db: DatabaseSync) {
  const upsert = db.prepare(
    `INSERT INTO verified_approvals
       (revision_id, key_fingerprint, decided_at, project_id, bundle_hash, approver, first_verified_at, last_verified_at, tasks)
     VALUES (?, ?, ?, ?, ?, ?, ?, ?, 1)
     ON CONFLICT (revision_id, key_fingerprint, decided_at)
     DO UPDATE SET last_verified_at = excluded.last_verified_at, tasks = tasks + 1`,
  );
  const select = (byProject: boolean) =>
    db.prepare(
      `SELECT project_id AS projectId, revision_id AS revisionId, bundle_hash AS bundleHash, decided_at AS decidedAt,
              approver, key_fingerprint AS keyFingerprint, first_verified_at AS firstVerifiedAt,
              last_verified_at AS lastVerifiedAt, tasks
         FROM verified_approvals ${byProject ? "WHERE project_id = ?" : ""}
        ORDER BY last_verified_at DESC, decided_at DESC`,
    );
  const all = select(false);
  const ofProject = select(true);
  return {
    /** One more task run under this approval (the first one adds the row). */
    record(approval: VerifiedApproval): void {
      const now = new Date().toISOString();
      upsert.run(
        approval.revisionId,
        approval.keyFingerprint,
        approval.decidedAt,
        approval.projectId,
        approval.bundleHash,
        approval.approver,
        now,
        now,
      );
    },
    list(filter: { projectId?: string } = {}): VerifiedApprovalRow[] {
      const rows = filter.projectId ? ofProject.all(filter.projectId) : all.all();
      return rows as unknown as VerifiedApprovalRow[];
    },
  };
}
