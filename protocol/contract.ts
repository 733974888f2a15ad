import { ZCountPrivacy, ZCountPrivacyReport } from "./privacy/dp-counts";
import { z } from "zod";
import { ZCohortDefinition } from "./cohort-definition";
import { ZEvaluatePayload, ZEvaluateResult, ZTrainPayload, ZTrainResult } from "./training";

/**
 * The worker protocol: the one module of schemas that both the hub's worker router and the site
 * worker import. Bump PROTOCOL_VERSION only for breaking changes; new fields are optional.
 */
export const PROTOCOL_VERSION = 2;

/** Sent on every worker call; the hub refuses other versions with a message naming both. */
export const PROTOCOL_HEADER = "x-flip-protocol";

export const TASK_KINDS = ["site_inventory", "cohort_count", "train", "evaluate"] as const;
export const ZTaskKind = z.enum(TASK_KINDS);
export type TaskKind = z.infer<typeof ZTaskKind>;

/** Why a task failed, as the hub shows it. */
export const FAILURE_CODES = [
  "refused_by_site_policy",
  "invalid_payload",
  "handler_error",
  "lease_expired",
  // The hub's: a lease its site's worker showed it did not hold (server/tasks/lease-sweep.ts).
  "lease_abandoned",
  "shutting_down",
] as const;
export const ZFailureCode = z.enum(FAILURE_CODES);
export type FailureCode = z.infer<typeof ZFailureCode>;

// ---- heartbeat -------------------------------------------------------------------------------

/**
 * The most task ids a heartbeat lists. The hub takes a leased task its worker's heartbeat leaves
 * out as one the worker does not hold, so a worker with more in flight lists this many and the hub
 * then checks none.
 */
export const MAX_TASKS_IN_FLIGHT_LISTED = 64;

export const ZCapabilities = z.object({
  tfjsBackend: z.string().max(40),
  tfjsBackendsAvailable: z.array(z.string().max(40)).max(10).optional(),
  gpu: z.object({ name: z.string().max(200), memoryMb: z.number().nonnegative() }).nullable(),
  cpuCount: z.number().int().positive(),
  cpuModel: z.string().max(200).optional(),
  memoryMb: z.number().nonnegative(),
  platform: z.string().max(100).optional(),
});
export type Capabilities = z.infer<typeof ZCapabilities>;

export const ZSelfCheck = z.object({
  name: z.string().max(60),
  ok: z.boolean(),
  message: z.string().max(500).optional(),
});
export type SelfCheck = z.infer<typeof ZSelfCheck>;

export const ZHeartbeatInput = z.object({
  workerVersion: z.string().min(1).max(50),
  capabilities: ZCapabilities,
  utilisation: z.object({ cpuPercent: z.number().min(0).max(100), memoryPercent: z.number().min(0).max(100) }),
  tasksInFlight: z.array(z.uuid()).max(MAX_TASKS_IN_FLIGHT_LISTED),
  selfChecks: z.array(ZSelfCheck).max(20),
});
export type HeartbeatInput = z.infer<typeof ZHeartbeatInput>;

export const ZHeartbeatResult = z.object({
  siteCode: z.string(),
  serverTime: z.date(),
  /** Tasks in flight that the hub cancelled: stop them. */
  cancelledTaskIds: z.array(z.uuid()),
});

// ---- task lifecycle --------------------------------------------------------------------------

export const CLAIM_MAX_WAIT_MS = 25_000;

export const ZClaimInput = z.object({
  waitMs: z.number().int().min(0).max(CLAIM_MAX_WAIT_MS).default(CLAIM_MAX_WAIT_MS),
});

export const ZLeasedTask = z.object({
  taskId: z.uuid(),
  leaseId: z.uuid(),
  kind: ZTaskKind,
  payload: z.unknown(),
  attempt: z.number().int().positive(),
  maxAttempts: z.number().int().positive(),
  leaseExpiresAt: z.date(),
  /** How long each renewal extends the lease; lets the worker pace its renewals without clock sync. */
  leaseMs: z.number().int().positive().optional(),
  /**
   * Project tasks: the bundle the task runs under and this site's signed approval of it
   * (`ZTaskGovernance`). Read loosely here and parsed by the site's approval check, so a malformed
   * one refuses its task instead of failing the claim.
   */
  governance: z.unknown().optional(),
});
export type LeasedTask = z.infer<typeof ZLeasedTask>;
export const ZClaimResult = z.object({ task: ZLeasedTask.nullable() });

const ZLeaseRef = z.object({ taskId: z.uuid(), leaseId: z.uuid() });

export const ZProgressInput = ZLeaseRef.extend({
  percent: z.number().min(0).max(100),
  message: z.string().max(200).optional(),
});
export const ZProgressResult = z.object({ leaseExpiresAt: z.date() });

export const ZCompleteInput = ZLeaseRef.extend({ result: z.unknown() });
export const ZFailInput = ZLeaseRef.extend({
  code: ZFailureCode,
  message: z.string().max(1000),
  retryable: z.boolean(),
});
export const ZReleaseInput = ZLeaseRef;
export const ZFailResult = z.object({ status: z.enum(["queued", "failed"]) });

// ---- per-kind payloads and results -----------------------------------------------------------

/** A count that the site suppressed because it was below its threshold; indistinguishable from zero. */
export const SUPPRESSED = "suppressed" as const;
export const ZCell = z.union([z.number().int().nonnegative(), z.literal(SUPPRESSED)]);
export type Cell = z.infer<typeof ZCell>;

export const ZSiteInventoryPayload = z.object({
  /** The hub may ask for a higher threshold than the site's own, never a lower one. */
  minCellCount: z.number().int().min(1).max(1000).optional(),
});

export const ZSiteInventoryResult = z.object({
  threshold: z.number().int().min(1),
  /** Released counts are multiples of this (see protocol/disclosure.ts). */
  rounding: z.number().int().min(1).max(100),
  /** The site's OMOP CDM version, from cdm_source or detected from its tables. */
  cdmVersion: z.enum(["5.3", "5.4"]).optional(),
  /** False when the site has no MI-CDM imaging tables: imaging criteria and image models are refused there. */
  imagingAvailable: z.boolean().optional(),
  persons: ZCell,
  observationYears: ZCell,
  imagesByModality: z.record(z.string().max(20), ZCell),
  topConditions: z.array(z.object({ conceptId: z.number().int(), name: z.string().max(255), persons: ZCell })).max(50),
});
export type SiteInventoryResult = z.infer<typeof ZSiteInventoryResult>;

export const AGE_BANDS = [
  "0-9",
  "10-19",
  "20-29",
  "30-39",
  "40-49",
  "50-59",
  "60-69",
  "70-79",
  "80-89",
  "90+",
] as const;

export const ZCohortCountPayload = z.object({
  definition: ZCohortDefinition,
  /** "feasibility" runs before approval and only where the site's policy allows feasibility queries. */
  purpose: z.enum(["feasibility", "approved"]),
  minCellCount: z.number().int().min(1).max(1000).optional(),
  /** The site compares the result with what it released earlier for this project and this requester. */
  projectId: z.uuid(),
  requesterId: z.uuid(),
  /** Discrete Gaussian noise on every count at ε (and δ) per count, charged to the project's DP budget at the site. */
  differentialPrivacy: ZCountPrivacy.optional(),
});

export const ZCohortCountResult = z.object({
  threshold: z.number().int().min(1),
  /** Released counts are multiples of this (see protocol/disclosure.ts). */
  rounding: z.number().int().min(1).max(100),
  total: ZCell,
  /** Persons remaining after the entry event and demographics, then after each inclusion rule in order. */
  attrition: z.array(z.object({ rule: z.string().max(120), remaining: ZCell })).max(21),
  ageBands: z.array(z.object({ band: z.enum(AGE_BANDS), persons: ZCell })).length(AGE_BANDS.length),
  sex: z.array(z.object({ sex: z.enum(["male", "female", "other"]), persons: ZCell })).length(3),
  /** Concept ids of the definition that the site's own vocabulary does not hold (no counts: the fact only). */
  unknownConcepts: z.array(z.number().int().nonnegative()).max(1000).optional(),
  /** Present when the counts carry DP noise: its settings, σ, and the project's spend at the site so far. */
  differentialPrivacy: ZCountPrivacyReport.optional(),
});
export type CohortCountResult = z.infer<typeof ZCohortCountResult>;

// ---- secure aggregation (protocol/secagg) ---------------------------------------------------
// A train task with `secureAggregation` runs these calls under its lease; the unmasking answer
// comes after the masked upload completed the task, under the lease it was completed with.

const base64 = (maxBytes: number) =>
  z
    .string()
    .max(Math.ceil(maxBytes / 3) * 4)
    .regex(/^[A-Za-z0-9+/]*={0,2}$/, "base64 expected");
const ZSecAggLease = z.object({ taskId: z.uuid(), leaseId: z.uuid() });
export const ZSecAggAdvertiseInput = ZSecAggLease.extend({ encryptionKey: base64(32), maskingKey: base64(32) });
export const ZSecAggShareInput = ZSecAggLease.extend({
  boxes: z.array(z.object({ to: z.uuid(), sealed: base64(200) })).max(1000),
});
export const SECAGG_PHASES = ["advertising", "sharing", "masking", "unmasking", "closed"] as const;
/** Long-poll: the hub answers once the round reaches `until` (or closes), or after `waitMs`. */
export const ZSecAggStateInput = ZSecAggLease.extend({
  until: z.enum(SECAGG_PHASES).optional(),
  waitMs: z.number().int().min(0).max(CLAIM_MAX_WAIT_MS).optional(),
});
const ZNamedShares = z.array(z.object({ of: z.uuid(), x: z.number().int().min(1).max(1000), y: base64(66) })).max(1000);
export const ZSecAggUnmaskInput = ZSecAggLease.extend({ selfMaskShares: ZNamedShares, maskingKeyShares: ZNamedShares });
/** Where the round is, and what the site needs for its next step. */
export const ZSecAggState = z.object({
  phase: z.enum(SECAGG_PHASES),
  /** This site's id in the round: what its masks and shares are bound to. */
  siteId: z.uuid(),
  roster: z.array(z.object({ siteId: z.uuid(), encryptionKey: z.string(), maskingKey: z.string() })).optional(),
  /** The sealed boxes other sites that shared keys left for this site. */
  boxes: z.array(z.object({ from: z.uuid(), sealed: z.string() })).optional(),
  sharedKeys: z.array(z.uuid()).optional(),
  request: z.object({ survivors: z.array(z.uuid()), dropped: z.array(z.uuid()) }).optional(),
});
export type SecAggState = z.infer<typeof ZSecAggState>;

export const TASK_SCHEMAS = {
  site_inventory: { payload: ZSiteInventoryPayload, result: ZSiteInventoryResult },
  cohort_count: { payload: ZCohortCountPayload, result: ZCohortCountResult },
  /** Completed only through the binary update route (training.ts), which carries the weights. */
  train: { payload: ZTrainPayload, result: ZTrainResult },
  evaluate: { payload: ZEvaluatePayload, result: ZEvaluateResult },
} as const satisfies Record<TaskKind, { payload: z.ZodType; result: z.ZodType }>;
