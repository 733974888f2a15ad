import { SECAGG_PHASES, type SecAggState } from "@/protocol/contract";
import { createSecAggClient, type SecAggClient } from "@/protocol/secagg/client";
import type { UnmaskRequest } from "@/protocol/secagg/messages";
import type { SecAggParams } from "@/protocol/secagg/quantise";
import type { TrainPayload } from "@/protocol/training";
import { sleep } from "../backoff";
import { HubError } from "../hub-client";
import { TaskError } from "../release/failures";

/**
 * A site's secure-aggregation round over the hub (protocol/secagg): before training it advertises
 * its keys, waits for the roster, sends each other site its sealed shares and opens the ones left
 * for it; after the masked upload it answers the unmasking request. The key pairs and seeds live
 * only in this process's memory for the round: a worker that restarts mid-round cannot rejoin it.
 */
export type SecureRound = NonNullable<TrainPayload["secureAggregation"]>;
type WireShare = { of: string; x: number; y: string };
export type UnmaskAnswer = { selfMaskShares: WireShare[]; maskingKeyShares: WireShare[] };

/** The hub calls of one task's secure round, bound to its lease (workers/task-execution.ts). */
export type SecAggChannel = {
  advertise: (keys: { encryptionKey: string; maskingKey: string }) => Promise<void>;
  share: (boxes: { to: string; sealed: string }[]) => Promise<void>;
  /** The round's state, long-polled up to `waitMs` for `until`. */
  state: (wait?: { until: SecAggState["phase"]; waitMs: number }) => Promise<SecAggState>;
};

/** What the release gate needs to mask the update, and the runner to answer the unmasking request. */
export type SecureSession = {
  client: SecAggClient;
  params: SecAggParams;
  weightDivisor: number;
  sharedKeys: string[];
};

const WAIT_MS = 10_000;
const RETRY_MS = 1_000;
const b64 = (bytes: Uint8Array) => Buffer.from(bytes).toString("base64");
const bytes = (value: string) => new Uint8Array(Buffer.from(value, "base64"));
const failed = (detail: string) => new TaskError({ reason: "secure_aggregation_failed" }, false, detail);

/** Long-polls the round's state until it reaches `phase` (or a later one); a closed round ends the wait with null. */
export async function waitForPhase(
  state: SecAggChannel["state"],
  phase: SecAggState["phase"],
  signal: AbortSignal,
): Promise<SecAggState | null> {
  const wanted = SECAGG_PHASES.indexOf(phase);
  while (!signal.aborted) {
    try {
      const now = await state({ until: phase, waitMs: WAIT_MS });
      if (now.phase === "closed") return null;
      if (SECAGG_PHASES.indexOf(now.phase) >= wanted) return now;
    } catch (error) {
      // The hub being briefly away is not the round failing; anything else is.
      if (!(error instanceof HubError) || !["unreachable", "unauthorized", "busy"].includes(error.kind)) throw error;
      await sleep(RETRY_MS, signal);
    }
  }
  throw new TaskError({ reason: "secure_aggregation_failed" }, true, "aborted");
}

/** The key phases, before training: returns once this site knows whom it masks against. */
export async function joinSecureRound(
  round: SecureRound,
  channel: SecAggChannel | undefined,
  signal: AbortSignal,
): Promise<SecureSession> {
  if (!channel) throw failed("this worker has no hub connection for secure aggregation");
  try {
    // The hub names the site in the round; the client's keys and seeds are bound to that name and the round.
    const { siteId } = await channel.state();
    const client = createSecAggClient({ siteId, roundId: round.roundId, params: round.params });
    const own = client.advertise();
    await channel.advertise({ encryptionKey: b64(own.encryptionKey), maskingKey: b64(own.maskingKey) });
    const sharing = await waitForPhase(channel.state, "sharing", signal);
    if (!sharing?.roster) throw failed("the round closed before its key roster did");
    const roster = sharing.roster.map((a) => ({
      siteId: a.siteId,
      encryptionKey: bytes(a.encryptionKey),
      maskingKey: bytes(a.maskingKey),
    }));
    const boxes = client.shareKeys(roster).map((b) => ({ to: b.to, sealed: b64(b.sealed) }));
    await channel.share(boxes);
    const masking = await waitForPhase(channel.state, "masking", signal);
    if (!masking?.sharedKeys || masking.phase !== "masking")
      throw failed("the round moved on before this site could mask");
    if (!masking.sharedKeys.includes(siteId)) throw failed("the hub left this site out of the masks");
    client.receiveShares((masking.boxes ?? []).map((b) => ({ from: b.from, to: siteId, sealed: bytes(b.sealed) })));
    return { client, params: round.params, weightDivisor: round.weightDivisor, sharedKeys: masking.sharedKeys };
  } catch (error) {
    if (error instanceof TaskError) throw error;
    // SecAggError (a roster below the threshold, a box that does not open) and the hub's refusals.
    throw failed(error instanceof Error ? error.message.slice(0, 300) : "unknown");
  }
}

/** The survivor's answer to the unmasking request, with the bytes in base64 for the wire. */
export function unmaskAnswer(client: SecAggClient, request: UnmaskRequest): UnmaskAnswer {
  const response = client.unmask(request);
  const wire = (shares: typeof response.selfMaskShares) => shares.map((s) => ({ of: s.of, x: s.x, y: b64(s.y) }));
  return { selfMaskShares: wire(response.selfMaskShares), maskingKeyShares: wire(response.maskingKeyShares) };
}
