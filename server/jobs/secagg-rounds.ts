import { and, eq, sql } from "drizzle-orm";
import type { Database, Tx } from "@/db/client";
import { jobTasks, secaggRounds, secaggSites, siteTasks, trainingRounds } from "@/db/schema";
import { AppError } from "@/server/errors";
import { getTaskNotifier } from "@/server/tasks/task-notifier";
import { notifySites, type SiteRef } from "@/server/tasks/tasks.service";
import { SECAGG_PHASES, type SecAggState } from "@/protocol/contract";
import { advanceJob } from "./job-coordinator";
import { isTaskOpen, roundTasks } from "./job-context";

/**
 * The hub's side of secure aggregation inside a training round (protocol/secagg, ARCHITECTURE.md
 * "Secure aggregation"). The hub relays: it stores each site's public keys, the sealed share boxes
 * it cannot open and, at the end, the unmasking shares; masked updates are folded into a sum as
 * they arrive (round-exchange.ts) and never kept one by one. Every portal process reads the same rows, so a round's sites may talk to
 * different processes. A phase freezes once every site of the round has taken its step or dropped
 * out; the unmasking request is fixed by the round's close (secure-round.ts).
 */
type Lease = { taskId: string; leaseId: string };
const conflict = (why: string) => new AppError("CONFLICT", `${why} Nothing was changed.`);

/** The secure round a site's train task belongs to, after checking the task is that site's under `leaseId`. */
async function findSecureTask(tx: Tx, site: SiteRef, lease: Lease, { afterUpload }: { afterUpload: boolean }) {
  const [row] = await tx
    .select({
      status: siteTasks.status,
      leaseId: siteTasks.leaseId,
      isLeaseLive: sql<boolean>`coalesce(${siteTasks.leaseExpiresAt} > now(), false)`,
      jobId: jobTasks.jobId,
      round: trainingRounds,
      secure: secaggRounds,
    })
    .from(siteTasks)
    .innerJoin(jobTasks, eq(jobTasks.taskId, siteTasks.id))
    .innerJoin(trainingRounds, and(eq(trainingRounds.jobId, jobTasks.jobId), eq(trainingRounds.number, jobTasks.round)))
    .innerJoin(secaggRounds, eq(secaggRounds.roundId, trainingRounds.id))
    .where(and(eq(siteTasks.id, lease.taskId), eq(siteTasks.siteId, site.id)))
    .for("update", { of: secaggRounds });
  if (!row || row.leaseId !== lease.leaseId)
    throw new AppError(
      "NOT_FOUND",
      `No secure-aggregation task ${lease.taskId} belongs to site ${site.code} under this lease.`,
    );
  const isLive = row.status === "leased" && row.isLeaseLive;
  if (!isLive && !(afterUpload && row.status === "done"))
    throw conflict(`This task is ${row.status === "leased" ? "past its lease" : row.status}.`);
  return row;
}

const b64 = (bytes: Uint8Array) => Buffer.from(bytes).toString("base64");
const bytesOf = (value: string, length: number, what: string) => {
  const bytes = Buffer.from(value, "base64");
  if (bytes.length !== length)
    throw new AppError("BAD_REQUEST", `${what} must be ${length} bytes. Nothing was changed.`);
  return bytes;
};

/** Phase 0: a site's two X25519 public keys, before the roster closes. */
export async function advertiseKeys(
  db: Database,
  site: SiteRef,
  input: Lease & { encryptionKey: string; maskingKey: string },
): Promise<void> {
  await db.transaction(async (tx) => {
    const row = await findSecureTask(tx, site, input, { afterUpload: false });
    if (row.secure.roster) throw conflict("This round's key roster is already closed; the site cannot join it now.");
    const inserted = await tx
      .insert(secaggSites)
      .values({
        roundId: row.round.id,
        siteId: site.id,
        taskId: input.taskId,
        encryptionKey: bytesOf(input.encryptionKey, 32, "The encryption key"),
        maskingKey: bytesOf(input.maskingKey, 32, "The masking key"),
      })
      .onConflictDoNothing()
      .returning({ siteId: secaggSites.siteId });
    if (inserted.length === 0) throw conflict("This site already advertised keys for the round.");
    await notifyRound(tx, row.jobId, row.round.number);
  });
}

/** Phase 1: the sealed Shamir shares for every other site on the roster, one box each. */
export async function shareKeys(
  db: Database,
  site: SiteRef,
  input: Lease & { boxes: { to: string; sealed: string }[] },
): Promise<void> {
  await db.transaction(async (tx) => {
    const row = await findSecureTask(tx, site, input, { afterUpload: false });
    const roster = row.secure.roster;
    if (!roster || row.secure.sharedKeys) throw conflict("This round is not collecting key shares now.");
    if (!roster.includes(site.id)) throw conflict("This site is not on the round's key roster.");
    const others = roster.filter((s) => s !== site.id).sort();
    const to = input.boxes.map((b) => b.to).sort();
    if (to.length !== others.length || to.some((t, i) => t !== others[i]))
      throw new AppError(
        "BAD_REQUEST",
        "Send exactly one share box for every other site on the roster. Nothing was changed.",
      );
    const updated = await tx
      .update(secaggSites)
      .set({ shares: Object.fromEntries(input.boxes.map((b) => [b.to, b.sealed])) })
      .where(
        and(eq(secaggSites.roundId, row.round.id), eq(secaggSites.siteId, site.id), sql`${secaggSites.shares} IS NULL`),
      )
      .returning({ siteId: secaggSites.siteId });
    if (updated.length === 0) throw conflict("This site already shared its keys for the round.");
    await notifyRound(tx, row.jobId, row.round.number);
  });
}

/**
 * Where the round stands for this site, freezing a phase first when every site of the round has
 * taken that phase's step or its task has ended (failed, cancelled): a site that drops out before
 * advertising or sharing is left out of the masks rather than holding the others up.
 */
export async function secAggState(
  db: Database,
  site: SiteRef,
  input: Lease & { until?: SecAggState["phase"]; waitMs?: number; signal?: AbortSignal },
): Promise<SecAggState> {
  const notifier = getTaskNotifier(db);
  await notifier.ready();
  const deadline = Date.now() + (input.waitMs ?? 0);
  const wanted = input.until ? SECAGG_PHASES.indexOf(input.until) : 0;
  for (;;) {
    // Subscribed before reading, so a change committed in between still wakes this call.
    const subscription = notifier.subscribe(site.id);
    try {
      const state = await readState(db, site, input);
      const remaining = deadline - Date.now();
      if (SECAGG_PHASES.indexOf(state.phase) >= wanted || remaining <= 0 || input.signal?.aborted) return state;
      await subscription.wait(remaining, input.signal);
    } finally {
      subscription.dispose();
    }
  }
}

async function readState(db: Database, site: SiteRef, input: Lease): Promise<SecAggState> {
  return db.transaction(async (tx) => {
    const row = await findSecureTask(tx, site, input, { afterUpload: true });
    const siteId = site.id;
    if (row.round.status !== "open") return { phase: "closed", siteId };
    // Not the unmasking shares: no site needs another's.
    const members = await tx
      .select({
        siteId: secaggSites.siteId,
        encryptionKey: secaggSites.encryptionKey,
        maskingKey: secaggSites.maskingKey,
        shares: secaggSites.shares,
      })
      .from(secaggSites)
      .where(eq(secaggSites.roundId, row.round.id));
    const tasks = await roundTasks(tx, row.jobId, row.round.number);
    const hasEnded = (siteId: string) => !tasks.some((t) => t.siteId === siteId && isTaskOpen(t.status));
    let { roster, sharedKeys } = row.secure;
    if (!roster && tasks.every((t) => members.some((m) => m.siteId === t.siteId) || hasEnded(t.siteId))) {
      roster = members.map((m) => m.siteId).sort();
      await tx.update(secaggRounds).set({ roster }).where(eq(secaggRounds.roundId, row.round.id));
      await notifySites(tx, roster);
    }
    const shared = members.filter((m) => m.shares && roster?.includes(m.siteId));
    if (roster && !sharedKeys && roster.every((s) => shared.some((m) => m.siteId === s) || hasEnded(s))) {
      sharedKeys = shared.map((m) => m.siteId).sort();
      await tx.update(secaggRounds).set({ sharedKeys }).where(eq(secaggRounds.roundId, row.round.id));
      await notifySites(tx, sharedKeys);
    }
    if (!roster) return { phase: "advertising", siteId };
    const advertised = members
      .filter((m) => roster.includes(m.siteId))
      .map((m) => ({ siteId: m.siteId, encryptionKey: b64(m.encryptionKey), maskingKey: b64(m.maskingKey) }));
    if (!sharedKeys) return { phase: "sharing", siteId, roster: advertised };
    const boxes = shared
      .filter((m) => sharedKeys.includes(m.siteId) && m.siteId !== site.id && m.shares?.[site.id])
      .map((m) => ({ from: m.siteId, sealed: m.shares![site.id]! }));
    const { survivors, dropped } = row.secure;
    if (!survivors || !dropped) return { phase: "masking", siteId, roster: advertised, boxes, sharedKeys };
    return { phase: "unmasking", siteId, roster: advertised, sharedKeys, request: { survivors, dropped } };
  });
}

/** Phase 3: a survivor's shares of each survivor's self-mask seed and of each dropped site's masking key. */
export async function answerUnmask(
  db: Database,
  site: SiteRef,
  input: Lease & {
    selfMaskShares: { of: string; x: number; y: string }[];
    maskingKeyShares: { of: string; x: number; y: string }[];
  },
): Promise<void> {
  const { jobId, isComplete } = await db.transaction(async (tx) => {
    const row = await findSecureTask(tx, site, input, { afterUpload: true });
    const { survivors, dropped } = row.secure;
    if (row.round.status !== "open" || !survivors || !dropped) throw conflict("This round is not unmasking now.");
    if (!survivors.includes(site.id))
      throw conflict("Only sites whose masked update was accepted answer the unmasking request.");
    const covers = (shares: { of: string }[], of: string[]) =>
      shares.length === of.length && of.every((s) => shares.some((x) => x.of === s));
    if (!covers(input.selfMaskShares, survivors) || !covers(input.maskingKeyShares, dropped))
      throw new AppError(
        "BAD_REQUEST",
        "Send one share of each survivor's self-mask seed and one of each dropped site's masking key. Nothing was changed.",
      );
    for (const s of [...input.selfMaskShares, ...input.maskingKeyShares]) bytesOf(s.y, 66, "A share");
    const updated = await tx
      .update(secaggSites)
      .set({ unmask: { selfMaskShares: input.selfMaskShares, maskingKeyShares: input.maskingKeyShares } })
      .where(
        and(eq(secaggSites.roundId, row.round.id), eq(secaggSites.siteId, site.id), sql`${secaggSites.unmask} IS NULL`),
      )
      .returning({ siteId: secaggSites.siteId });
    if (updated.length === 0) throw conflict("This site already answered the unmasking request.");
    const [{ answered }] = (await tx
      .select({ answered: sql<number>`count(*)::int` })
      .from(secaggSites)
      .where(and(eq(secaggSites.roundId, row.round.id), sql`${secaggSites.unmask} IS NOT NULL`))) as [
      { answered: number },
    ];
    return { jobId: row.jobId, isComplete: answered >= survivors.length };
  });
  // The last answer closes the round now rather than at the coordinator's next pass.
  if (isComplete) await advanceJob(db, jobId, { wait: true });
}

/** Wakes the round's sites waiting on `secAggState`, so one of them freezes the phase now complete. */
async function notifyRound(tx: Tx, jobId: string, round: number): Promise<void> {
  await notifySites(
    tx,
    (await roundTasks(tx, jobId, round)).map((t) => t.siteId),
  );
}

/** Inside the update's transaction (the round row held): may this site's masked update still join the sum? */
export async function checkMaskedUpload(tx: Tx, site: SiteRef, roundId: string): Promise<void> {
  const [secure] = await tx.select().from(secaggRounds).where(eq(secaggRounds.roundId, roundId)).for("update");
  if (!secure?.sharedKeys?.includes(site.id))
    throw conflict("This site did not share keys in this round, so its masked update cannot be unmasked.");
  if (secure.survivors) throw conflict("Unmasking has begun; this masked update is too late.");
}
