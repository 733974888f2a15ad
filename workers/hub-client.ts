import { createTRPCClient, httpLink, TRPCClientError } from "@trpc/client";
import superjson from "superjson";
import { z } from "zod";
import type { AppRouter } from "@/server/root";
import {
  CLAIM_MAX_WAIT_MS,
  PROTOCOL_HEADER,
  PROTOCOL_VERSION,
  ZClaimResult,
  ZFailResult,
  ZHeartbeatResult,
  ZProgressResult,
  type FailureCode,
  type HeartbeatInput,
} from "./protocol/contract";
import type { Logger } from "./log";

/**
 * The worker's only way to talk to the hub: outbound HTTPS calls with the site token, every
 * response checked against the contract before use. Errors come back as HubError with a kind the
 * caller can act on; connection-level trouble is logged once per change, not once per call.
 */
export type HubErrorKind = "unauthorized" | "protocol_mismatch" | "unreachable" | "conflict" | "not_found" | "rejected" | "aborted";

export class HubError extends Error {
  constructor(
    readonly kind: HubErrorKind,
    message: string,
  ) {
    super(message);
  }
}

// complete and release answer with nothing; fail's answer is in the contract.
const ZCompleteResult = z.void();
const ZReleaseResult = z.void();

const ZErrorData = z.object({ code: z.string().optional(), httpStatus: z.number().optional() });
const CALL_TIMEOUT_MS = 20_000;
const RELEASE_TIMEOUT_MS = 5_000;
const CONNECTION_KINDS: ReadonlySet<HubErrorKind> = new Set(["unauthorized", "protocol_mismatch", "unreachable"]);

type LeaseRef = { taskId: string; leaseId: string };

export type HubClient = ReturnType<typeof createHubClient>;

export function createHubClient({ trpcUrl, token, log }: { trpcUrl: string; token: string; log: Logger }) {
  const trpc = createTRPCClient<AppRouter>({
    // Not the batching link: a long-polling claim must not hold up a heartbeat or a progress call.
    links: [httpLink({ url: trpcUrl, transformer: superjson, headers: () => ({ authorization: `Bearer ${token}`, [PROTOCOL_HEADER]: String(PROTOCOL_VERSION) }) })],
  });
  let failingKind: HubErrorKind | null = null;

  const noteConnection = (error: HubError | null, procedure: string) => {
    if (error === null) {
      if (failingKind !== null) log.info("Hub reachable again", { procedure });
      failingKind = null;
      return;
    }
    if (!CONNECTION_KINDS.has(error.kind) || failingKind === error.kind) return;
    failingKind = error.kind;
    if (error.kind === "unauthorized") {
      log.error("The hub refused this site token (401): it was revoked, rotated out or mistyped. Ask a platform admin for a new token and set FLIP_SITE_TOKEN. Retrying slowly until then.", { procedure, reason: error.message });
    } else if (error.kind === "protocol_mismatch") {
      log.error("The hub speaks a different worker protocol; upgrade this worker or the hub.", { procedure, reason: error.message, protocol: PROTOCOL_VERSION });
    } else {
      log.warn("Hub unreachable; retrying with backoff", { procedure, reason: error.message });
    }
  };

  async function call<T>(procedure: string, schema: z.ZodType<T>, run: (signal: AbortSignal) => Promise<unknown>, options: { signal?: AbortSignal; timeoutMs?: number } = {}): Promise<T> {
    const timeout = AbortSignal.timeout(options.timeoutMs ?? CALL_TIMEOUT_MS);
    const signal = options.signal ? AbortSignal.any([options.signal, timeout]) : timeout;
    let raw: unknown;
    try {
      raw = await run(signal);
    } catch (error) {
      const hubError = options.signal?.aborted ? new HubError("aborted", "call aborted by the worker") : toHubError(error);
      noteConnection(hubError, procedure);
      throw hubError;
    }
    noteConnection(null, procedure);
    const parsed = schema.safeParse(raw);
    if (!parsed.success) throw new HubError("rejected", `the hub's ${procedure} response does not match protocol ${PROTOCOL_VERSION}`);
    return parsed.data;
  }

  return {
    heartbeat: (input: HeartbeatInput) => call("heartbeat", ZHeartbeatResult, (signal) => trpc.worker.heartbeat.mutate(input, { signal })),
    /** Long-polls for this site's next task; null when none arrived within waitMs. */
    claim: (waitMs: number, signal?: AbortSignal) =>
      call("claim", ZClaimResult, (s) => trpc.worker.claim.mutate({ waitMs: Math.min(waitMs, CLAIM_MAX_WAIT_MS) }, { signal: s }), { signal, timeoutMs: waitMs + CALL_TIMEOUT_MS }).then((r) => r.task),
    progress: (input: LeaseRef & { percent: number; message?: string }) => call("progress", ZProgressResult, (signal) => trpc.worker.progress.mutate(input, { signal })),
    complete: (input: LeaseRef & { result: unknown }) => call("complete", ZCompleteResult, (signal) => trpc.worker.complete.mutate(input, { signal })),
    fail: (input: LeaseRef & { code: FailureCode; message: string; retryable: boolean }) => call("fail", ZFailResult, (signal) => trpc.worker.fail.mutate(input, { signal })),
    /** Short timeout: this runs during shutdown, which must not hang on a hub that does not answer. */
    release: (input: LeaseRef) => call("release", ZReleaseResult, (signal) => trpc.worker.release.mutate(input, { signal }), { timeoutMs: RELEASE_TIMEOUT_MS }),
  };
}

function toHubError(error: unknown): HubError {
  if (!(error instanceof TRPCClientError)) return new HubError("unreachable", error instanceof Error ? error.message : "request failed");
  const data = ZErrorData.safeParse(error.data);
  const code = data.success ? data.data.code : undefined;
  switch (code) {
    case "UNAUTHORIZED":
      return new HubError("unauthorized", error.message);
    case "PRECONDITION_FAILED":
      return new HubError("protocol_mismatch", error.message);
    case "CONFLICT":
      return new HubError("conflict", error.message);
    case "NOT_FOUND":
      return new HubError("not_found", error.message);
    case "BAD_REQUEST":
    case "FORBIDDEN":
    case "PAYLOAD_TOO_LARGE":
      return new HubError("rejected", error.message);
    default:
      // No tRPC error body (connection refused, a proxy's 502 page) or a 5xx: the hub is not answering properly.
      return new HubError("unreachable", error.cause?.message ?? error.message);
  }
}

/** How long to wait after a failed call: slowly for a refused token or protocol (an admin must act), with backoff otherwise. */
export function retryDelayMs(error: unknown, nextBackoffMs: () => number): number {
  if (error instanceof HubError && (error.kind === "unauthorized" || error.kind === "protocol_mismatch")) return 30_000 + Math.round(Math.random() * 30_000);
  return nextBackoffMs();
}
