import { parseArgs } from "node:util";
import { formatFingerprint } from "@/protocol/webauthn/fingerprint";
import { openLedger, LedgerError, type LedgerEntry, type ProjectSummaryRow } from "./ledger";
import type { VerifiedApprovalRow } from "./verified-approvals";

/**
 * `npm run worker -- ledger list|export|projects|approvals [--project <id>] [--limit <n>]`: the site
 * ledger for the Trust's staff, read from FLIP_WORKER_STATE_DIR without contacting the hub. `list`
 * prints the newest entries for a person at a terminal; `export` writes every matching entry as CSV;
 * `projects` says, per project, what the site released (and refused) of each kind, and when;
 * `approvals` lists the signed approvals the site verified, whose key signed each, and its use.
 */
const USAGE = `usage: npm run worker -- ledger <list|export|projects|approvals> [--project <project id>] [--limit <n>]
  list       the newest entries (default 50), one per line
  export     every entry as CSV on standard output, e.g. > ledger.csv
  projects   per project: what the site released and refused, of each kind, first and last time
  approvals  the signed approvals the site verified before running tasks: who signed, with which key
needs FLIP_WORKER_STATE_DIR, the worker's state folder`;

const COLUMNS: (keyof LedgerEntry)[] = [
  "id",
  "at",
  "outcome",
  "kind",
  "purpose",
  "projectId",
  "requesterId",
  "taskId",
  "reason",
  "figures",
  "payloadSha256",
];

export function runLedgerCommand(
  args: string[],
  env: Record<string, string | undefined>,
  out: (text: string) => void = (text) => process.stdout.write(text),
  err: (text: string) => void = (text) => process.stderr.write(text),
): number {
  let parsed;
  try {
    parsed = parseArgs({
      args,
      allowPositionals: true,
      options: { project: { type: "string" }, limit: { type: "string" } },
    });
  } catch (error) {
    err(`${error instanceof Error ? error.message : String(error)}\n${USAGE}\n`);
    return 2;
  }
  const [command] = parsed.positionals;
  const limit = parsed.values.limit === undefined ? undefined : Number(parsed.values.limit);
  if (
    !["list", "export", "projects", "approvals"].includes(command ?? "") ||
    (limit !== undefined && !(Number.isInteger(limit) && limit > 0))
  ) {
    err(`${USAGE}\n`);
    return 2;
  }
  const stateDir = env.FLIP_WORKER_STATE_DIR?.trim();
  if (!stateDir) {
    err(`FLIP_WORKER_STATE_DIR is not set; expected the worker's state folder\n`);
    return 2;
  }
  let ledger;
  try {
    ledger = openLedger(stateDir);
  } catch (error) {
    if (!(error instanceof LedgerError)) throw error;
    err(`${error.message}\n`);
    return 2;
  }
  try {
    if (command === "projects") {
      printProjects(ledger.summariseProjects({ projectId: parsed.values.project }), out);
      return 0;
    }
    if (command === "approvals") {
      printApprovals(ledger.listVerifiedApprovals({ projectId: parsed.values.project }), out);
      return 0;
    }
    const entries = ledger.list({
      projectId: parsed.values.project,
      limit: limit ?? (command === "list" ? 50 : undefined),
    });
    if (command === "export") {
      out(`${COLUMNS.join(",")}\n`);
      for (const entry of entries.reverse()) out(`${COLUMNS.map((c) => csvField(entry[c])).join(",")}\n`);
    } else {
      if (entries.length === 0) out("The ledger has no entries yet.\n");
      for (const e of entries) {
        const what = e.outcome === "released" ? e.figures : e.reason;
        out(`${e.at}  ${e.outcome.padEnd(8)}  ${e.kind.padEnd(14)}  project ${e.projectId ?? "-"}  ${what ?? ""}\n`);
      }
    }
    return 0;
  } finally {
    ledger.close();
  }
}

function printProjects(rows: ProjectSummaryRow[], out: (text: string) => void): void {
  if (rows.length === 0) {
    out("The ledger holds nothing for any project yet.\n");
    return;
  }
  const byProject = new Map<string, ProjectSummaryRow[]>();
  for (const row of rows) byProject.set(row.projectId, [...(byProject.get(row.projectId) ?? []), row]);
  for (const [projectId, entries] of byProject) {
    const released = entries.filter((e) => e.outcome === "released").reduce((n, e) => n + e.entries, 0);
    out(`project ${projectId}: ${released} release(s)\n`);
    for (const e of entries)
      out(
        `  ${e.outcome.padEnd(8)}  ${e.kind.padEnd(14)}  ${String(e.entries).padStart(5)}  first ${e.firstAt}  last ${e.lastAt}\n`,
      );
  }
}

function printApprovals(rows: VerifiedApprovalRow[], out: (text: string) => void): void {
  if (rows.length === 0) {
    out("The site has verified no signed approval yet.\n");
    return;
  }
  for (const a of rows)
    out(
      `project ${a.projectId}  revision ${a.revisionId}  bundle ${a.bundleHash.slice(0, 16)}…  signed ${a.decidedAt} by ${a.approver} (key ${formatFingerprint(a.keyFingerprint)})  ${a.tasks} task(s), last ${a.lastVerifiedAt}\n`,
    );
}

function csvField(value: string | number | null): string {
  if (value === null) return "";
  const text = String(value);
  // Quote fields with separators, quotes or line breaks; a leading formula character is neutralised for spreadsheets.
  const safe = /^[=+\-@]/.test(text) ? `'${text}` : text;
  return /[",\r\n]/.test(safe) ? `"${safe.replaceAll('"', '""')}"` : safe;
}
