import { randomUUID } from "node:crypto";
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { openLedger } from "./ledger";
import { runLedgerCommand } from "./ledger-cli";

/** Runs `ledger <args>` against a state folder and returns its exit code and output. */
function run(args: string[], stateDir: string | undefined) {
  let out = "";
  let err = "";
  const code = runLedgerCommand(
    args,
    { FLIP_WORKER_STATE_DIR: stateDir },
    (t) => void (out += t),
    (t) => void (err += t),
  );
  return { code, out, err };
}

describe("flip-worker ledger projects", () => {
  it("tells the Trust's staff, per project, what the site released and refused of each kind", () => {
    const stateDir = mkdtempSync(path.join(tmpdir(), "flip-ledger-cli-"));
    const [stroke, sepsis] = [randomUUID(), randomUUID()];
    const ledger = openLedger(stateDir);
    const scope = (projectId: string) => ({ projectId, requesterId: randomUUID(), taskId: randomUUID() });
    ledger.recordRelease({
      ...scope(stroke),
      kind: "cohort_count",
      purpose: "approved",
      figures: {},
      payloadSha256: "a",
    });
    ledger.recordRelease({ ...scope(stroke), kind: "train", figures: {}, payloadSha256: "b" });
    ledger.recordRelease({ ...scope(stroke), kind: "train", figures: {}, payloadSha256: "c" });
    ledger.recordRefusal({ ...scope(sepsis), kind: "evaluate", outcome: "refused", reason: "evaluation_limit" });
    ledger.close();

    const all = run(["projects"], stateDir);
    expect(all.code).toBe(0);
    const lines = all.out.trimEnd().split("\n");
    expect(lines.filter((l) => l.startsWith("project ")).sort()).toEqual(
      [`project ${sepsis}: 0 release(s)`, `project ${stroke}: 3 release(s)`].sort(),
    );
    expect(lines.filter((l) => /^\s+released\s+train\s+2\s/.test(l))).toHaveLength(1);
    expect(lines.filter((l) => /^\s+released\s+cohort_count\s+1\s/.test(l))).toHaveLength(1);
    expect(lines.filter((l) => /^\s+refused\s+evaluate\s+1\s/.test(l))).toHaveLength(1);

    const one = run(["projects", "--project", stroke], stateDir);
    expect(one.out).not.toContain(sepsis);
    expect(one.out).toContain(`project ${stroke}: 3 release(s)`);

    expect(run(["projects"], mkdtempSync(path.join(tmpdir(), "flip-ledger-cli-")))).toMatchObject({
      code: 0,
      out: "The ledger holds nothing for any project yet.\n",
    });
  });

  it("refuses an unknown command or a missing state folder with what to do", () => {
    expect(run(["release-all"], "/tmp")).toMatchObject({
      code: 2,
      err: expect.stringContaining("usage: npm run worker -- ledger <list|export|projects|approvals>"),
    });
    expect(run(["projects"], undefined)).toMatchObject({
      code: 2,
      err: "FLIP_WORKER_STATE_DIR is not set; expected the worker's state folder\n",
    });
  });
});

describe("flip-worker ledger approvals", () => {
  it("lists the signed approvals the site verified, who signed with which key, and how often it relied on each", () => {
    const stateDir = mkdtempSync(path.join(tmpdir(), "flip-ledger-cli-"));
    expect(run(["approvals"], stateDir)).toMatchObject({
      code: 0,
      out: "The site has verified no signed approval yet.\n",
    });
    const projectId = randomUUID();
    const ledger = openLedger(stateDir);
    const approval = {
      projectId,
      revisionId: randomUUID(),
      bundleHash: "c".repeat(64),
      decidedAt: "2026-12-06T10:00:00.000Z",
      approver: "Dr Ada Approver",
      keyFingerprint: "0123456789abcdef".repeat(4),
    };
    ledger.recordVerifiedApproval(approval);
    ledger.recordVerifiedApproval(approval);
    ledger.close();
    const { code, out } = run(["approvals", "--project", projectId], stateDir);
    expect(code).toBe(0);
    expect(out).toContain(`project ${projectId}  revision ${approval.revisionId}`);
    expect(out).toContain("signed 2026-12-06T10:00:00.000Z by Dr Ada Approver (key 0123 4567 89ab cdef");
    expect(out).toContain("2 task(s)");
  });
});
