import { createHash } from "node:crypto";
import { and, asc, count, desc, eq, gt, ilike, sql, type SQL } from "drizzle-orm";
import type { Database, Tx } from "@/db/client";
import { auditEvents, type AuditEvent } from "@/db/schema";
import { auditIdentity, type Actor } from "@/server/auth/actor";
import { canonicalJson } from "@/protocol/canonical-json";
import type { TAuditListInput } from "./audit.schema";

export const GENESIS_HASH = "0".repeat(64);

// Every writer serialises on this lock so that `seq` and `prev_hash` form one unbroken chain.
const AUDIT_CHAIN_LOCK = 0x464c4950; // "FLIP"

export type AuditInput = {
  actor: Actor;
  action: string;
  subject: string;
  details?: Record<string, unknown>;
};

type HashedFields = Pick<
  AuditEvent,
  "seq" | "at" | "actorType" | "actorId" | "actorLabel" | "action" | "subject" | "details"
>;

export function hashAuditEvent(prevHash: string, event: HashedFields): string {
  const canonical = canonicalJson({
    seq: event.seq,
    at: event.at.toISOString(),
    actor: { type: event.actorType, id: event.actorId, label: event.actorLabel },
    action: event.action,
    subject: event.subject,
    details: event.details,
  });
  return createHash("sha256").update(prevHash).update(canonical).digest("hex");
}

/** Appends one event to the chain. Call inside the transaction that makes the change it records. */
export async function recordAudit(tx: Tx, input: AuditInput): Promise<AuditEvent> {
  const [row] = await recordAudits(tx, [input]);
  return row!;
}

/** Appends several events in order with one lock and one insert: for a change that touches many subjects at once. */
export async function recordAudits(tx: Tx, inputs: readonly AuditInput[]): Promise<AuditEvent[]> {
  if (inputs.length === 0) return [];
  await tx.execute(sql`SELECT pg_advisory_xact_lock(${AUDIT_CHAIN_LOCK})`);
  const [last] = await tx
    .select({ seq: auditEvents.seq, hash: auditEvents.hash })
    .from(auditEvents)
    .orderBy(desc(auditEvents.seq))
    .limit(1);
  let seq = last?.seq ?? 0;
  let prevHash = last?.hash ?? GENESIS_HASH;
  // Millisecond precision so the stored timestamp round-trips exactly into the hash.
  const at = new Date();
  const rows = inputs.map((input) => {
    const actor = auditIdentity(input.actor);
    const fields: HashedFields = {
      seq: ++seq,
      at,
      actorType: actor.type,
      actorId: actor.id,
      actorLabel: actor.label,
      action: input.action,
      subject: input.subject,
      // Round-trip through JSON so the hashed form equals what jsonb gives back.
      details: JSON.parse(JSON.stringify(input.details ?? {})) as Record<string, unknown>,
    };
    const row = { ...fields, prevHash, hash: hashAuditEvent(prevHash, fields) };
    prevHash = row.hash;
    return row;
  });
  return tx.insert(auditEvents).values(rows).returning();
}

export type ChainVerdict = { ok: true; checked: number } | { ok: false; checked: number; brokenSeq: number };

/** Recomputes every hash in order; reports the first event whose link or content does not match. */
export async function verifyAuditChain(db: Database, batchSize = 1000): Promise<ChainVerdict> {
  let prevHash = GENESIS_HASH;
  let expectedSeq = 1;
  let checked = 0;
  for (;;) {
    const batch = await db
      .select()
      .from(auditEvents)
      .where(gt(auditEvents.seq, expectedSeq - 1))
      .orderBy(asc(auditEvents.seq))
      .limit(batchSize);
    for (const event of batch) {
      const intact =
        event.seq === expectedSeq && event.prevHash === prevHash && event.hash === hashAuditEvent(prevHash, event);
      if (!intact) return { ok: false, checked, brokenSeq: expectedSeq };
      prevHash = event.hash;
      expectedSeq += 1;
      checked += 1;
    }
    if (batch.length < batchSize) return { ok: true, checked };
  }
}

export async function listAuditEvents(db: Database, input: TAuditListInput) {
  const filters: SQL[] = [];
  if (input.actor) filters.push(ilike(auditEvents.actorLabel, `%${escapeLike(input.actor)}%`));
  if (input.action) filters.push(eq(auditEvents.action, input.action));
  const where = filters.length ? and(...filters) : undefined;
  const [rows, [total]] = await Promise.all([
    db
      .select()
      .from(auditEvents)
      .where(where)
      .orderBy(desc(auditEvents.seq))
      .limit(input.pageSize)
      .offset((input.page - 1) * input.pageSize),
    db.select({ value: count() }).from(auditEvents).where(where),
  ]);
  return { events: rows, total: total?.value ?? 0, page: input.page, pageSize: input.pageSize };
}

export async function listAuditActions(db: Database): Promise<string[]> {
  const rows = await db
    .selectDistinct({ action: auditEvents.action })
    .from(auditEvents)
    .orderBy(asc(auditEvents.action));
  return rows.map((r) => r.action);
}

export function escapeLike(text: string): string {
  return text.replace(/[\\%_]/g, (c) => `\\${c}`);
}
