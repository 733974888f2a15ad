import { createHash } from "node:crypto";
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
  ZSecAggState,
  type FailureCode,
  type HeartbeatInput,
  type SecAggState,
} from "@/protocol/contract";
import {
  decodeAddressedTensors,
  decodeTensors,
  encodeTensors,
  TensorCodecError,
  type NamedTensor,
} from "@/protocol/tensor-codec";
import {
  encodeTrainResultHeader,
  LEASE_HEADER,
  MASKED_UPDATE_HEADER,
  OCTET_STREAM,
  SHA256_HEADER,
  TRAIN_RESULT_HEADER,
  updatePath,
  weightsPath,
  type TrainResult,
} from "@/protocol/training";
import { ARCHITECTURE_LIMITS } from "@/protocol/models/validate-architecture";
import { readStream, StreamTooLong } from "@/protocol/read-stream";
import type { Logger } from "./log";
import type { Released } from "./release/gate";

/**
 * The worker's only way to talk to the hub: outbound HTTPS calls with the site token, every
 * response checked against the contract before use. Everything it sends about the site's data is
 * typed `Released`: only the release gate (release/gate.ts) makes such values. Errors come back as HubError with a kind the
 * caller can act on; connection-level trouble is logged once per change, not once per call.
 */
export type HubErrorKind =
  "unauthorized" | "protocol_mismatch" | "unreachable" | "busy" | "conflict" | "not_found" | "rejected" | "aborted";

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
const CONNECTION_KINDS: ReadonlySet<HubErrorKind> = new Set([
  "unauthorized",
  "protocol_mismatch",
  "unreachable",
  "busy",
]);
/** Weights and updates can be hundreds of MB on a Trust's link; the JSON calls' 20 s would cut them off. */
const BINARY_TIMEOUT_MS = 10 * 60_000;
const ZUpdateAccepted = z.object({ accepted: z.literal(true), round: z.number().int(), norm: z.number().nullable() });
const ZBinaryError = z.object({ error: z.object({ code: z.string(), message: z.string().max(2000) }) });

type LeaseRef = { taskId: string; leaseId: string };
/** A share of a secure-aggregation secret as it travels: whose secret, the party's x, the share in base64. */
type WireShare = { of: string; x: number; y: string };

export type HubClient = ReturnType<typeof createHubClient>;

export function createHubClient({ trpcUrl, token, log }: { trpcUrl: string; token: string; log: Logger }) {
  const trpc = createTRPCClient<AppRouter>({
    // Not the batching link: a long-polling claim must not hold up a heartbeat or a progress call.
    links: [
      httpLink({
        url: trpcUrl,
        transformer: superjson,
        headers: () => ({ authorization: `Bearer ${token}`, [PROTOCOL_HEADER]: String(PROTOCOL_VERSION) }),
      }),
    ],
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
      log.error(
        "The hub refused this site token (401): it was revoked, rotated out or mistyped. Ask a platform admin for a new token and set FLIP_SITE_TOKEN. Retrying slowly until then.",
        { procedure, reason: error.message },
      );
    } else if (error.kind === "protocol_mismatch") {
      log.error("The hub speaks a different worker protocol; upgrade this worker or the hub.", {
        procedure,
        reason: error.message,
        protocol: PROTOCOL_VERSION,
      });
    } else if (error.kind === "busy") {
      log.info("The hub is busy (429); retrying with backoff", { procedure, reason: error.message });
    } else {
      log.warn("Hub unreachable; retrying with backoff", { procedure, reason: error.message });
    }
  };

  async function call<T>(
    procedure: string,
    schema: z.ZodType<T>,
    run: (signal: AbortSignal) => Promise<unknown>,
    options: { signal?: AbortSignal; timeoutMs?: number } = {},
  ): Promise<T> {
    const timeout = AbortSignal.timeout(options.timeoutMs ?? CALL_TIMEOUT_MS);
    const signal = options.signal ? AbortSignal.any([options.signal, timeout]) : timeout;
    let raw: unknown;
    try {
      raw = await run(signal);
    } catch (error) {
      const hubError = options.signal?.aborted
        ? new HubError("aborted", "call aborted by the worker")
        : toHubError(error);
      noteConnection(hubError, procedure);
      throw hubError;
    }
    noteConnection(null, procedure);
    const parsed = schema.safeParse(raw);
    if (!parsed.success)
      throw new HubError("rejected", `the hub's ${procedure} response does not match protocol ${PROTOCOL_VERSION}`);
    return parsed.data;
  }

  /** Secure aggregation (protocol/secagg): keys, sealed shares, the round's state and the unmasking answer, bytes in base64. */
  const secAgg = {
    advertise: (input: LeaseRef & { encryptionKey: string; maskingKey: string }) =>
      call("secAggAdvertise", ZCompleteResult, (signal) => trpc.worker.secAggAdvertise.mutate(input, { signal })),
    share: (input: LeaseRef & { boxes: { to: string; sealed: string }[] }) =>
      call("secAggShare", ZCompleteResult, (signal) => trpc.worker.secAggShare.mutate(input, { signal })),
    /** Long-polls up to `waitMs` for the round to reach `until`. */
    state: (input: LeaseRef & { until?: SecAggState["phase"]; waitMs?: number }) =>
      call("secAggState", ZSecAggState, (signal) => trpc.worker.secAggState.mutate(input, { signal }), {
        timeoutMs: (input.waitMs ?? 0) + CALL_TIMEOUT_MS,
      }),
    unmask: (input: Released<LeaseRef & { selfMaskShares: WireShare[]; maskingKeyShares: WireShare[] }>) =>
      call("secAggUnmask", ZCompleteResult, (signal) => trpc.worker.secAggUnmask.mutate(input, { signal })),
  };

  return {
    secAgg,
    heartbeat: (input: Released<HeartbeatInput>) =>
      call("heartbeat", ZHeartbeatResult, (signal) => trpc.worker.heartbeat.mutate(input, { signal })),
    /** Long-polls for this site's next task; null when none arrived within waitMs. */
    claim: (waitMs: number, signal?: AbortSignal) =>
      call(
        "claim",
        ZClaimResult,
        (s) => trpc.worker.claim.mutate({ waitMs: Math.min(waitMs, CLAIM_MAX_WAIT_MS) }, { signal: s }),
        { signal, timeoutMs: waitMs + CALL_TIMEOUT_MS },
      ).then((r) => r.task),
    progress: (input: LeaseRef & { percent: number; message?: Released<string> }) =>
      call("progress", ZProgressResult, (signal) => trpc.worker.progress.mutate(input, { signal })),
    complete: (input: LeaseRef & { result: Released<unknown> }) =>
      call("complete", ZCompleteResult, (signal) => trpc.worker.complete.mutate(input, { signal })),
    fail: (input: LeaseRef & { code: FailureCode; message: Released<string>; retryable: boolean }) =>
      call("fail", ZFailResult, (signal) => trpc.worker.fail.mutate(input, { signal })),
    /** Short timeout: this runs during shutdown, which must not hang on a hub that does not answer. */
    release: (input: LeaseRef) =>
      call("release", ZReleaseResult, (signal) => trpc.worker.release.mutate(input, { signal }), {
        timeoutMs: RELEASE_TIMEOUT_MS,
      }),
    /** The task's model weights as a FLIP tensor file, decoded; the codec checks the data against the manifest's hash. */
    downloadWeights: (lease: LeaseRef, signal?: AbortSignal) =>
      call(
        "weights",
        z.custom<{ tensors: NamedTensor[]; sha256: string }>(),
        (s) =>
          fetchBinary(
            weightsPath(lease.taskId),
            { method: "GET", headers: headersFor(lease), signal: s },
            readTensorFile,
          ),
        { signal, timeoutMs: BINARY_TIMEOUT_MS },
      ),
    /** Uploads a train task's update with its result; the hub completes the task on acceptance. */
    uploadUpdate: ({
      result,
      update,
      ...lease
    }: LeaseRef & { result: Released<TrainResult>; update: readonly NamedTensor[] }) =>
      call(
        "update",
        ZUpdateAccepted,
        (s) =>
          fetchBinary(
            updatePath(lease.taskId),
            {
              ...postOf(encodeTensors(update), {
                ...headersFor(lease),
                [TRAIN_RESULT_HEADER]: encodeTrainResultHeader(result),
              }),
              signal: s,
            },
            (response) => response.json(),
          ),
        { timeoutMs: BINARY_TIMEOUT_MS },
      ),
    /** A secure-aggregation round's masked update (uint32 little-endian) with its result; completes the task. */
    uploadMaskedUpdate: ({
      result,
      masked,
      ...lease
    }: LeaseRef & { result: Released<TrainResult>; masked: Uint32Array }) =>
      call(
        "update",
        ZUpdateAccepted,
        (s) =>
          fetchBinary(
            updatePath(lease.taskId),
            {
              ...postOf(new Uint8Array(masked.buffer, masked.byteOffset, masked.byteLength), {
                ...headersFor(lease),
                [TRAIN_RESULT_HEADER]: encodeTrainResultHeader(result),
                [MASKED_UPDATE_HEADER]: "1",
              }),
              signal: s,
            },
            (response) => response.json(),
          ),
        { timeoutMs: BINARY_TIMEOUT_MS },
      ),
  };

  function headersFor(lease: LeaseRef): Record<string, string> {
    return {
      authorization: `Bearer ${token}`,
      [PROTOCOL_HEADER]: String(PROTOCOL_VERSION),
      [LEASE_HEADER]: lease.leaseId,
    };
  }

  // The binary routes sit beside the tRPC endpoint, under the same hub address.
  async function fetchBinary<T>(path: string, init: RequestInit, read: (response: Response) => Promise<T>): Promise<T> {
    const response = await fetch(`${trpcUrl.replace(/\/api\/trpc\/?$/, "")}${path}`, init);
    if (response.ok) return read(response);
    const body = ZBinaryError.safeParse(await response.json().catch(() => null));
    throw binaryHubError(response.status, body.success ? body.data.error : null);
  }
}

/**
 * A binary upload: the bytes as a stream of their one chunk, with their length declared (the hub
 * refuses an oversized body from its header and reads a declared one into a single buffer). fetch
 * copies a byte array given as the body, one more model-sized buffer per upload; not a stream's chunks.
 */
function postOf(bytes: Uint8Array, headers: Record<string, string>): RequestInit & { duplex: "half" } {
  return {
    method: "POST",
    headers: { ...headers, "content-type": OCTET_STREAM, "content-length": String(bytes.byteLength) },
    body: new ReadableStream<Uint8Array>({
      start(controller) {
        controller.enqueue(bytes);
        controller.close();
      },
    }),
    duplex: "half",
  };
}

/**
 * The largest weights file a hub may send: the registry's parameter limit as float32, and room for
 * its manifest. A hub that sends more (or more than it declared) is refused as the bytes arrive,
 * before they can exhaust the worker's memory.
 */
export const MAX_WEIGHTS_BYTES = ARCHITECTURE_LIMITS.maxParameters * 4 + 1024 * 1024;

async function readTensorFile(response: Response): Promise<{ tensors: NamedTensor[]; sha256: string }> {
  try {
    // Read into one buffer of the declared length: a model's size in memory once, not twice.
    const bytes = await readStream(response.body, {
      declared: Number(response.headers.get("content-length") ?? 0),
      limit: MAX_WEIGHTS_BYTES,
    });
    // The whole file's hash is the version's content address (protocol/training.ts): checked against
    // the one the hub names, it also vouches for the data section, so the file is hashed once.
    const named = response.headers.get(SHA256_HEADER);
    if (named) return { tensors: decodeAddressedTensors(bytes, named).tensors, sha256: named };
    return { tensors: decodeTensors(bytes).tensors, sha256: createHash("sha256").update(bytes).digest("hex") };
  } catch (error) {
    if (error instanceof TensorCodecError)
      throw new HubError("rejected", `the hub's weights are not a valid tensor file: ${error.message}`);
    if (error instanceof StreamTooLong)
      throw new HubError(
        "rejected",
        `the hub's weights were refused: ${error.message} (a model of the registry's ${ARCHITECTURE_LIMITS.maxParameters.toLocaleString("en-GB")}-parameter limit is at most ${MAX_WEIGHTS_BYTES} bytes)`,
      );
    throw error;
  }
}

/** The binary routes answer errors as `{ error: { code, message } }`; the code (else the status) decides the kind. */
function binaryHubError(status: number, error: { code: string; message: string } | null): HubError {
  const message = error?.message ?? `HTTP ${status}`;
  const code =
    error?.code ??
    {
      400: "BAD_REQUEST",
      401: "UNAUTHORIZED",
      404: "NOT_FOUND",
      409: "CONFLICT",
      412: "PRECONDITION_FAILED",
      413: "PAYLOAD_TOO_LARGE",
      429: "TOO_MANY_REQUESTS",
    }[status];
  return status >= 500 ? new HubError("unreachable", message) : kindForCode(code, message);
}

function toHubError(error: unknown): HubError {
  if (error instanceof HubError) return error;
  if (!(error instanceof TRPCClientError)) {
    // fetch says only "fetch failed"; its cause says why (connection reset, timeout, refused).
    const cause = error instanceof Error ? (error.cause as { message?: string; code?: string } | undefined) : undefined;
    const why = cause?.code ?? cause?.message;
    const message = error instanceof Error ? error.message : "request failed";
    return new HubError("unreachable", why ? `${message} (${why})` : message);
  }
  const data = ZErrorData.safeParse(error.data);
  // No tRPC error body (connection refused, a proxy's 502 page) or a 5xx: the hub is not answering properly.
  return kindForCode(data.success ? data.data.code : undefined, error.message, error.cause?.message ?? error.message);
}

function kindForCode(code: string | undefined, message: string, unreachableMessage = message): HubError {
  switch (code) {
    case "UNAUTHORIZED":
      return new HubError("unauthorized", message);
    case "PRECONDITION_FAILED":
      return new HubError("protocol_mismatch", message);
    case "CONFLICT":
      return new HubError("conflict", message);
    case "NOT_FOUND":
      return new HubError("not_found", message);
    case "BAD_REQUEST":
    case "FORBIDDEN":
    case "PAYLOAD_TOO_LARGE":
      return new HubError("rejected", message);
    // The hub is taking in other sites' work (an update queue at its limit): the same call succeeds later.
    case "TOO_MANY_REQUESTS":
      return new HubError("busy", message);
    default:
      return new HubError("unreachable", unreachableMessage);
  }
}

/** How long to wait after a failed call: slowly for a refused token or protocol (an admin must act), with backoff otherwise. */
export function retryDelayMs(error: unknown, nextBackoffMs: () => number): number {
  if (error instanceof HubError && (error.kind === "unauthorized" || error.kind === "protocol_mismatch"))
    return 30_000 + Math.round(Math.random() * 30_000);
  return nextBackoffMs();
}
