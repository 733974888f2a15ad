import { randomUUID } from "node:crypto";
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { DatabaseSync } from "node:sqlite";
import { describe, expect, test } from "vitest";
import { LedgerError, openLedger } from "./ledger";
import { cellMembers, decodeMembers, encodeMembers, symmetricDifference, type CohortMembers } from "./member-sets";

const freshLedger = () => openLedger(mkdtempSync(path.join(tmpdir(), "flip-ledger-test-")));

/** Persons aged `from` years and over, from a population whose ages are known (ids 1..n, age = 40 + id % 60: 8 persons a year). */
function olderThan(from: number, n = 480): CohortMembers {
  const ids = Array.from({ length: n }, (_, i) => i + 1).filter((id) => 40 + (id % 60) >= from);
  return {
    rules: 0,
    personIds: Float64Array.from(ids),
    steps: new Uint8Array(ids.length),
    ageBand: Uint8Array.from(ids.map((id) => Math.min(9, Math.floor((40 + (id % 60)) / 10)))),
    sex: Uint8Array.from(ids.map((id) => id % 2)),
  };
}

function release(
  ledger: ReturnType<typeof openLedger>,
  members: CohortMembers,
  scope: { projectId: string; requesterId: string },
) {
  const cells = [{ key: "attrition:0" as const, ids: cellMembers(members, "attrition:0") }];
  return {
    near: ledger.findNearCells(scope, cells, 10),
    record: () =>
      ledger.recordCohortRelease(
        { taskId: randomUUID(), kind: "cohort_count", purpose: "approved", ...scope, figures: {}, payloadSha256: "x" },
        members,
        cells,
      ),
  };
}

describe("the differencing check", () => {
  const scope = { projectId: randomUUID(), requesterId: randomUUID() };

  test("finding: totals for age >= 85 and age >= 86 differed by the persons aged 85; the second is refused", () => {
    const ledger = freshLedger();
    release(ledger, olderThan(85), scope).record();
    const second = release(ledger, olderThan(86), scope);
    expect(second.near).toEqual([expect.objectContaining({ key: "attrition:0", earlierKey: "attrition:0" })]);
    expect(second.near[0]!.difference).toBeLessThan(10);
    expect(second.near[0]!.difference).toBeGreaterThan(0);
    // Far enough apart (age >= 80 vs >= 85) is no risk; the same persons again is no risk either.
    expect(release(ledger, olderThan(70), scope).near).toEqual([]);
    expect(release(ledger, olderThan(85), scope).near).toEqual([]);
    ledger.close();
  });

  test("compares with the same project and with the same requester in any project, and no one else's releases", () => {
    const ledger = freshLedger();
    release(ledger, olderThan(85), scope).record();
    const otherProject = { projectId: randomUUID(), requesterId: scope.requesterId };
    const colleague = { projectId: scope.projectId, requesterId: randomUUID() };
    const stranger = { projectId: randomUUID(), requesterId: randomUUID() };
    expect(release(ledger, olderThan(86), otherProject).near).toHaveLength(1);
    expect(release(ledger, olderThan(86), colleague).near).toHaveLength(1);
    expect(release(ledger, olderThan(86), stranger).near).toEqual([]);
    ledger.close();
  });

  test("counts releases for daily budgets and lists entries newest first", () => {
    const ledger = freshLedger();
    release(ledger, olderThan(85), scope).record();
    ledger.recordRefusal({ taskId: randomUUID(), kind: "cohort_count", outcome: "refused", reason: "differencing" });
    expect(ledger.countReleases({ kind: "cohort_count", purpose: "approved" })).toBe(1);
    expect(ledger.countReleases({ kind: "cohort_count", purpose: "feasibility" })).toBe(0);
    expect(ledger.countReleases({ kind: "cohort_count", since: new Date(Date.now() + 60_000) })).toBe(0);
    expect(ledger.list().map((e) => e.outcome)).toEqual(["refused", "released"]);
    ledger.close();
  });
});

describe("member sets", () => {
  test("encode and decode person ids up to 2^53 and the per-person bytes", () => {
    const members: CohortMembers = {
      rules: 2,
      personIds: Float64Array.from([1, 2, 300, 2 ** 40 + 7, Number.MAX_SAFE_INTEGER]),
      steps: Uint8Array.from([0, 1, 2, 2, 1]),
      ageBand: Uint8Array.from([9, 0, 5, 3, 2]),
      sex: Uint8Array.from([0, 1, 2, 0, 1]),
    };
    expect(decodeMembers(encodeMembers(members))).toEqual(members);
    expect(Array.from(cellMembers(members, "attrition:1"))).toEqual([2, 300, 2 ** 40 + 7, Number.MAX_SAFE_INTEGER]);
    expect(Array.from(cellMembers(members, "ageBands:5"))).toEqual([300]);
    expect(Array.from(cellMembers(members, "sex:0"))).toEqual([2 ** 40 + 7]);
  });

  test("the symmetric difference stops counting at the threshold", () => {
    const a = Float64Array.from([1, 2, 3, 4, 5]);
    expect(symmetricDifference(a, Float64Array.from([1, 2, 3, 4, 5]), 10)).toBe(0);
    expect(symmetricDifference(a, Float64Array.from([2, 3, 4, 6]), 10)).toBe(3);
    expect(symmetricDifference(a, Float64Array.from([10, 11, 12]), 4)).toBe(4);
  });
});

test("a file that is not a ledger is refused with the path, not overwritten", () => {
  const dir = mkdtempSync(path.join(tmpdir(), "flip-ledger-bad-"));
  writeFileSync(path.join(dir, "ledger.sqlite"), "x".repeat(4096));
  expect(() => openLedger(dir)).toThrow(LedgerError);
  expect(() => openLedger(dir)).toThrow(`the site ledger ${path.join(dir, "ledger.sqlite")} cannot be opened`);
});

test("a ledger written by the previous worker keeps its entries and gains the privacy spend table", () => {
  const dir = mkdtempSync(path.join(tmpdir(), "flip-ledger-test-"));
  const first = openLedger(dir);
  first.recordRelease({ taskId: "t1", kind: "site_inventory", figures: { persons: 10 }, payloadSha256: "ab" });
  first.close();
  // Step the file back to schema 1, as a worker before DP budgets left it.
  const db = new DatabaseSync(path.join(dir, "ledger.sqlite"));
  db.exec("DROP TABLE verified_approvals; DROP TABLE privacy_spend; PRAGMA user_version = 1;");
  db.close();
  const upgraded = openLedger(dir);
  expect(upgraded.list()).toMatchObject([{ taskId: "t1", outcome: "released" }]);
  const projectId = randomUUID();
  upgraded.recordPrivateRelease(
    { taskId: "t2", kind: "train", projectId, figures: {}, payloadSha256: "cd" },
    { orders: [2, 4], rdp: [0.5, 1] },
    (spent) => expect(spent).toEqual([0, 0]),
  );
  expect(upgraded.privacySpent(projectId, [2, 4])).toEqual([0.5, 1]);
  // A refusal inside the transaction records nothing.
  expect(() =>
    upgraded.recordPrivateRelease(
      { taskId: "t3", kind: "train", projectId, figures: {}, payloadSha256: "ef" },
      { orders: [2, 4], rdp: [0.5, 1] },
      () => {
        throw new Error("over budget");
      },
    ),
  ).toThrow("over budget");
  expect(upgraded.privacySpent(projectId, [2, 4])).toEqual([0.5, 1]);
  expect(upgraded.list()).toHaveLength(2);
  expect(() => upgraded.privacySpent(projectId, [2, 3])).toThrow(LedgerError);
  upgraded.close();
});

test("the approvals the site verified: one row per signed decision, counting the tasks run under it", () => {
  const dir = mkdtempSync(path.join(tmpdir(), "flip-ledger-test-"));
  const first = openLedger(dir);
  first.close();
  // A ledger from the worker before verified approvals (schema 2) gains the table and keeps working.
  const db = new DatabaseSync(path.join(dir, "ledger.sqlite"));
  db.exec("DROP TABLE verified_approvals; PRAGMA user_version = 2;");
  db.close();
  const ledger = openLedger(dir);
  const projectId = randomUUID();
  const approval = {
    projectId,
    revisionId: randomUUID(),
    bundleHash: "a".repeat(64),
    decidedAt: "2026-12-06T10:00:00.000Z",
    approver: "Dr Ada Approver",
    keyFingerprint: "b".repeat(64),
  };
  ledger.recordVerifiedApproval(approval);
  ledger.recordVerifiedApproval(approval);
  const reinstated = { ...approval, decidedAt: "2026-12-06T11:00:00.000Z" };
  ledger.recordVerifiedApproval(reinstated);
  expect(ledger.listVerifiedApprovals({ projectId })).toEqual([
    expect.objectContaining({ ...reinstated, tasks: 1 }),
    expect.objectContaining({ ...approval, tasks: 2 }),
  ]);
  expect(ledger.listVerifiedApprovals({ projectId: randomUUID() })).toEqual([]);
  ledger.close();
});
