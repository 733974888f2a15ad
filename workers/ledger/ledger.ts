import { mkdirSync } from "node:fs";
import path from "node:path";
import { DatabaseSync } from "node:sqlite";
import {
  cellMembers,
  decodeIds,
  decodeMembers,
  digestOf,
  encodeIds,
  encodeMembers,
  SKETCH_BUCKETS,
  sketchOf,
  symmetricDifference,
  type CellKey,
  type CohortMembers,
} from "./member-sets";
import { CREATE_VERIFIED_APPROVALS, verifiedApprovalStatements } from "./verified-approvals";

/**
 * The site's own record of what left it: a SQLite file in the worker's state folder, on the Trust's
 * side of the wall, which the hub can neither read nor write. Every release (what, for which task,
 * project and requester, the released figures and a hash of exactly what was sent) and every refusal
 * with its reason is one entry; released cohort counts also keep who they counted, so the next count
 * can be compared with them (the differencing check). Person ids never leave this file.
 */
export type LedgerEntry = {
  id: number;
  at: string;
  taskId: string;
  kind: string;
  purpose: string | null;
  projectId: string | null;
  requesterId: string | null;
  /** released: figures left the site; refused: the site's policy said no; failed: the task failed otherwise. */
  outcome: "released" | "refused" | "failed";
  reason: string | null;
  figures: string | null;
  payloadSha256: string | null;
};

export type ProjectSummaryRow = Pick<LedgerEntry, "kind" | "outcome"> & {
  projectId: string;
  entries: number;
  firstAt: string;
  lastAt: string;
};

type EntryInput = Pick<LedgerEntry, "taskId" | "kind"> &
  Partial<Pick<LedgerEntry, "purpose" | "projectId" | "requesterId">>;

export type ReleaseInput = EntryInput & { figures: unknown; payloadSha256: string };
export type RefusalInput = EntryInput & { outcome: "refused" | "failed"; reason: string };

/** A released cell and who it counted. */
export type ReleasedCell = { key: CellKey; ids: Float64Array };

/** An earlier released cell that differs from a new one by fewer persons than the threshold (but not none). */
export type NearCell = { key: CellKey; earlierEntryId: number; earlierKey: CellKey; difference: number };

export class LedgerError extends Error {}

const SCHEMA_VERSION = 3;
const LEDGER_FILE = "ledger.sqlite";
/** Cells up to this size keep their own ids beside the sketch: comparing a small cell never decodes a large release. */
const INLINE_IDS_MAX = 4096;
/**
 * Cells up to this size are also indexed by person. Two cells of at least threshold persons that
 * differ by fewer than threshold share at least one person, so a small new cell finds every earlier
 * cell near it through its own persons; sketches of small sets are too coarse to rule much out.
 */
const PERSON_INDEX_MAX = 128;

export type Ledger = ReturnType<typeof openLedger>;

export function openLedger(stateDir: string) {
  const file = path.join(stateDir, LEDGER_FILE);
  let db: DatabaseSync;
  try {
    mkdirSync(stateDir, { recursive: true, mode: 0o700 });
    db = new DatabaseSync(file);
    db.exec("PRAGMA journal_mode = WAL; PRAGMA synchronous = FULL; PRAGMA busy_timeout = 5000;");
    const check = db.prepare("PRAGMA quick_check").get() as { quick_check: string } | undefined;
    if (check?.quick_check !== "ok") throw new Error(`integrity check failed: ${check?.quick_check ?? "no answer"}`);
    migrate(db);
  } catch (error) {
    const reason = error instanceof Error ? error.message : String(error);
    throw new LedgerError(`the site ledger ${file} cannot be opened: ${reason}`);
  }

  const insertEntry = db.prepare(
    `INSERT INTO entries (at, task_id, kind, purpose, project_id, requester_id, outcome, reason, figures, payload_sha256)
     VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
  );
  const insertMembers = db.prepare("INSERT INTO cohort_members (entry_id, persons) VALUES (?, ?)");
  const buckets = Array.from({ length: SKETCH_BUCKETS }, (_, k) => `b${k}`);
  const insertCell = db.prepare(
    `INSERT INTO cohort_cells (entry_id, cell, size, digest, ids, ${buckets.join(", ")})
     VALUES (?, ?, ?, ?, ?, ${buckets.map(() => "?").join(", ")})`,
  );
  // The sketch distance is computed by SQLite, so cells that cannot be near are never read out.
  const candidateCells = db.prepare(
    `SELECT c.rowid AS cellRow, c.entry_id AS entryId, c.cell, c.digest
       FROM cohort_cells c JOIN entries e ON e.id = c.entry_id
      WHERE c.size BETWEEN ? AND ?
        AND ${buckets.map((b) => `abs(c.${b} - ?)`).join(" + ")} < ?
        AND (e.project_id = ? OR e.requester_id = ?)`,
  );
  const idsOfCell = db.prepare("SELECT ids FROM cohort_cells WHERE rowid = ?");
  const insertPerson = db.prepare("INSERT INTO cohort_cell_persons (person_id, cell_row) VALUES (?, ?)");
  const cellsOfPersons = (count: number) =>
    db.prepare(
      `SELECT DISTINCT c.rowid AS cellRow, c.entry_id AS entryId, c.cell, c.digest
         FROM cohort_cell_persons p
         JOIN cohort_cells c ON c.rowid = p.cell_row
         JOIN entries e ON e.id = c.entry_id
        WHERE p.person_id IN (${Array.from({ length: count }, () => "?").join(", ")})
          AND c.size BETWEEN ? AND ? AND (e.project_id = ? OR e.requester_id = ?)`,
    );
  const membersOf = db.prepare("SELECT persons FROM cohort_members WHERE entry_id = ?");
  const insertSpend = db.prepare("INSERT INTO privacy_spend (entry_id, project_id, orders, rdp) VALUES (?, ?, ?, ?)");
  const selectSpend = db.prepare("SELECT orders, rdp FROM privacy_spend WHERE project_id = ?");
  const approvals = verifiedApprovalStatements(db);

  const add = (
    input: EntryInput,
    outcome: LedgerEntry["outcome"],
    rest: { reason?: string; figures?: unknown; sha?: string },
  ) =>
    Number(
      insertEntry.run(
        new Date().toISOString(),
        input.taskId,
        input.kind,
        input.purpose ?? null,
        input.projectId ?? null,
        input.requesterId ?? null,
        outcome,
        rest.reason ?? null,
        rest.figures === undefined ? null : JSON.stringify(rest.figures),
        rest.sha ?? null,
      ).lastInsertRowid,
    );

  const transaction = <T>(work: () => T): T => {
    db.exec("BEGIN IMMEDIATE");
    try {
      const result = work();
      db.exec("COMMIT");
      return result;
    } catch (error) {
      db.exec("ROLLBACK");
      throw error;
    }
  };

  const privacySpent = (projectId: string, orders: readonly number[]): number[] => {
    const rows = selectSpend.all(projectId) as { orders: string; rdp: string }[];
    const total = orders.map(() => 0);
    const key = JSON.stringify(orders);
    for (const row of rows) {
      if (row.orders !== key) throw new LedgerError("the ledger holds privacy spend on other RDP orders");
      (JSON.parse(row.rdp) as number[]).forEach((r, k) => (total[k]! += r));
    }
    return total;
  };

  return {
    file,

    recordRelease(input: ReleaseInput): number {
      return add(input, "released", { figures: input.figures, sha: input.payloadSha256 });
    },

    recordRefusal(input: RefusalInput): number {
      return add(input, input.outcome, { reason: input.reason });
    },

    /**
     * Released cells of earlier cohort counts, for the same project or the same requester, that
     * differ from one of `cells` by at least one and fewer than `threshold` persons. Candidates are
     * found by size (cells that differ by fewer than t persons differ in size by less than t), ruled
     * out cheaply by their sketches, and only then compared person by person.
     */
    findNearCells(
      scope: { projectId: string; requesterId: string },
      cells: readonly ReleasedCell[],
      threshold: number,
    ) {
      const near: NearCell[] = [];
      const decoded = new Map<number, CohortMembers>();
      const membersOfEntry = (entryId: number) => {
        let members = decoded.get(entryId);
        if (!members) {
          members = decodeMembers((membersOf.get(entryId) as { persons: Uint8Array }).persons);
          decoded.set(entryId, members);
        }
        return members;
      };
      for (const cell of cells) {
        const size = cell.ids.length;
        const digest = digestOf(cell.ids);
        const window = [size - threshold + 1, size + threshold - 1];
        type Candidate = { cellRow: number; entryId: number; cell: CellKey; digest: Uint8Array };
        const rows = (
          window[1]! <= PERSON_INDEX_MAX
            ? cellsOfPersons(size).all(...cell.ids, ...window, scope.projectId, scope.requesterId)
            : candidateCells.all(...window, ...sketchOf(cell.ids), threshold, scope.projectId, scope.requesterId)
        ) as Candidate[];
        for (const row of rows) {
          if (Buffer.from(row.digest).equals(digest)) continue;
          const inline = (idsOfCell.get(row.cellRow) as { ids: Uint8Array | null }).ids;
          const earlier = inline ? decodeIds(inline) : cellMembers(membersOfEntry(row.entryId), row.cell);
          const difference = symmetricDifference(cell.ids, earlier, threshold);
          if (difference > 0 && difference < threshold)
            near.push({ key: cell.key, earlierEntryId: row.entryId, earlierKey: row.cell, difference });
        }
      }
      return near;
    },

    /** Records a released cohort count with who each released cell counted, for later differencing checks. */
    recordCohortRelease(input: ReleaseInput, members: CohortMembers, released: readonly ReleasedCell[]): number {
      return transaction(() => {
        const entryId = add(input, "released", { figures: input.figures, sha: input.payloadSha256 });
        insertMembers.run(entryId, encodeMembers(members));
        for (const cell of released) {
          const ids = cell.ids.length <= INLINE_IDS_MAX ? encodeIds(cell.ids) : null;
          const { lastInsertRowid } = insertCell.run(
            entryId,
            cell.key,
            cell.ids.length,
            digestOf(cell.ids),
            ids,
            ...sketchOf(cell.ids),
          );
          if (cell.ids.length <= PERSON_INDEX_MAX) for (const id of cell.ids) insertPerson.run(id, lastInsertRowid);
        }
        return entryId;
      });
    },

    /**
     * The RDP this site has spent on a project, order by order (summed over every DP release: RDP
     * composes by addition), on `orders`. Entries stored on other orders are refused rather than mixed.
     */
    privacySpent,

    /**
     * Records a DP release and its RDP cost in one transaction. `admit` sees the spend so far (read in
     * the same transaction, so two tasks of one project cannot both pass on the same remainder) and
     * throws to refuse; then nothing is recorded.
     */
    recordPrivateRelease(
      input: ReleaseInput & { projectId: string },
      cost: { orders: readonly number[]; rdp: readonly number[] },
      admit: (spent: number[]) => void,
    ): number {
      return transaction(() => {
        admit(privacySpent(input.projectId, cost.orders));
        const entryId = add(input, "released", { figures: input.figures, sha: input.payloadSha256 });
        insertSpend.run(entryId, input.projectId, JSON.stringify(cost.orders), JSON.stringify(cost.rdp));
        return entryId;
      });
    },

    /** Releases of `kind` (and `purpose`) since `since`, for daily budgets. */
    countReleases(filter: { kind: string; purpose?: string; projectId?: string; since?: Date }): number {
      const row = db
        .prepare(
          `SELECT count(*) AS n FROM entries
            WHERE outcome = 'released' AND kind = ? AND (? IS NULL OR purpose = ?) AND (? IS NULL OR project_id = ?)
              AND at >= ?`,
        )
        .get(
          filter.kind,
          filter.purpose ?? null,
          filter.purpose ?? null,
          filter.projectId ?? null,
          filter.projectId ?? null,
          (filter.since ?? new Date(0)).toISOString(),
        ) as { n: number };
      return row.n;
    },

    /** Entries newest first, for Trust staff (`npm run worker -- ledger`). */
    list(filter: { projectId?: string; limit?: number } = {}): LedgerEntry[] {
      return db
        .prepare(
          `SELECT id, at, task_id AS taskId, kind, purpose, project_id AS projectId, requester_id AS requesterId,
                  outcome, reason, figures, payload_sha256 AS payloadSha256
             FROM entries WHERE (? IS NULL OR project_id = ?) ORDER BY id DESC LIMIT ?`,
        )
        .all(filter.projectId ?? null, filter.projectId ?? null, filter.limit ?? -1) as LedgerEntry[];
    },

    /** Per project, kind and outcome: how many entries and when the first and last were, for Trust staff. */
    summariseProjects(filter: { projectId?: string } = {}): ProjectSummaryRow[] {
      return db
        .prepare(
          `SELECT project_id AS projectId, kind, outcome, count(*) AS entries, min(at) AS firstAt, max(at) AS lastAt
             FROM entries WHERE project_id IS NOT NULL AND (? IS NULL OR project_id = ?)
            GROUP BY project_id, kind, outcome ORDER BY max(at) DESC, kind, outcome`,
        )
        .all(filter.projectId ?? null, filter.projectId ?? null) as ProjectSummaryRow[];
    },

    /** The site verified this signed approval before running a task under it. */
    recordVerifiedApproval: approvals.record,
    /** The approvals the site verified, most recently relied on first. */
    listVerifiedApprovals: approvals.list,
    close() {
      db.close();
    },
  };
}

function migrate(db: DatabaseSync): void {
  const { user_version: version } = db.prepare("PRAGMA user_version").get() as { user_version: number };
  if (version > SCHEMA_VERSION) throw new Error(`it was written by a newer worker (schema ${version})`);
  if (version === SCHEMA_VERSION) return;
  if (version < 1) createVersion1(db);
  // Version 2: the RDP each differentially private release spent, per project.
  if (version < 2)
    db.exec(`
      BEGIN;
      CREATE TABLE privacy_spend (
        entry_id INTEGER PRIMARY KEY REFERENCES entries (id),
        project_id TEXT NOT NULL,
        orders TEXT NOT NULL,
        rdp TEXT NOT NULL
      );
      CREATE INDEX privacy_spend_project ON privacy_spend (project_id);
      PRAGMA user_version = 2;
      COMMIT;
    `);
  // Version 3: the signed approvals the site verified before running tasks under them.
  db.exec(`BEGIN; ${CREATE_VERIFIED_APPROVALS} PRAGMA user_version = 3; COMMIT;`);
}

function createVersion1(db: DatabaseSync): void {
  db.exec(`
    BEGIN;
    CREATE TABLE entries (
      id INTEGER PRIMARY KEY,
      at TEXT NOT NULL,
      task_id TEXT NOT NULL,
      kind TEXT NOT NULL,
      purpose TEXT,
      project_id TEXT,
      requester_id TEXT,
      outcome TEXT NOT NULL CHECK (outcome IN ('released', 'refused', 'failed')),
      reason TEXT,
      figures TEXT,
      payload_sha256 TEXT
    );
    CREATE INDEX entries_project ON entries (project_id);
    CREATE INDEX entries_requester ON entries (requester_id);
    CREATE INDEX entries_kind_at ON entries (kind, at);
    CREATE TABLE cohort_members (entry_id INTEGER PRIMARY KEY REFERENCES entries (id), persons BLOB NOT NULL);
    CREATE TABLE cohort_cells (
      entry_id INTEGER NOT NULL REFERENCES entries (id),
      cell TEXT NOT NULL,
      size INTEGER NOT NULL,
      digest BLOB NOT NULL,
      ids BLOB,
      ${Array.from({ length: SKETCH_BUCKETS }, (_, k) => `b${k} INTEGER NOT NULL`).join(",\n      ")}
    );
    CREATE INDEX cohort_cells_size ON cohort_cells (size);
    CREATE TABLE cohort_cell_persons (person_id INTEGER NOT NULL, cell_row INTEGER NOT NULL);
    CREATE INDEX cohort_cell_persons_person ON cohort_cell_persons (person_id);
    PRAGMA user_version = 1;
    COMMIT;
  `);
}
