import { roundRdp, type DifferentialPrivacy, type PrivacyReport } from "@/protocol/privacy/dp-settings";
import { DEFAULT_ORDERS, epsilonFromRdp } from "@/protocol/privacy/rdp";
import type { Ledger, ReleaseInput } from "../ledger/ledger";
import { privacyBudgetFor, type SitePolicy } from "../policy";
import { TaskError } from "./failures";

/**
 * The site's differential-privacy budget per project. A DP round costs RDP (protocol/privacy); the
 * site ledger adds up what each project has spent, and the policy's `privacyBudget` says how much
 * ε (at its own δ) a project may spend in all. A job is refused before it trains when its remaining
 * rounds would take the project over budget, and each release is charged, and checked again, in
 * the ledger transaction that records it.
 */
export type PrivacyCharge = {
  projectId: string;
  dp: DifferentialPrivacy;
  exampleCount: number;
  batchSize: number;
  localEpochs: number;
  /** Rounds of the job still to come, this one included. */
  remainingRounds: number;
  normBound: number;
  secureAggregation: boolean;
  /** The budget the site's approver signed in the project's bundle; set from the verified bundle, never from the hub's payload. */
  approved?: { maxEpsilon: number; delta: number };
};

type Budget = { maxEpsilon: number; delta: number; budget: "site" | "bundle" };

/** Every budget a charge must fit: the site policy's, and the signed bundle's where it names one. */
function budgetsOf(policy: SitePolicy, charge: PrivacyCharge): Budget[] {
  const site: Budget = { ...privacyBudgetFor(policy, charge.projectId), budget: "site" };
  return charge.approved ? [site, { ...charge.approved, budget: "bundle" }] : [site];
}

function overBudget(spent: readonly number[], after: readonly number[], budgets: readonly Budget[]): TaskError | null {
  for (const b of budgets) {
    const wouldSpend = epsilonAt(after, b.delta);
    if (wouldSpend > b.maxEpsilon)
      return new TaskError({
        reason: "privacy_budget_spent",
        maxEpsilon: b.maxEpsilon,
        delta: b.delta,
        spent: epsilonAt(spent, b.delta),
        wouldSpend,
        ...(b.budget === "bundle" ? { budget: "bundle" as const } : {}),
      });
  }
  return null;
}

const costOf = (charge: PrivacyCharge) => roundRdp(charge.dp, charge, DEFAULT_ORDERS);
const epsilonAt = (rdp: readonly number[], delta: number) => epsilonFromRdp(DEFAULT_ORDERS, rdp, delta).epsilon;
const plus = (a: readonly number[], b: readonly number[], times = 1) => a.map((x, k) => x + times * b[k]!);

/** Refuses (before any training) a job whose remaining rounds would take the project over this site's budget. */
export function admitPrivacyCharge(ledger: Ledger, policy: SitePolicy, charge: PrivacyCharge): void {
  const spent = ledger.privacySpent(charge.projectId, DEFAULT_ORDERS);
  const refusal = overBudget(spent, plus(spent, costOf(charge), charge.remainingRounds), budgetsOf(policy, charge));
  if (refusal) throw refusal;
}

/**
 * Records a DP release with its cost and returns the privacy report it carries. `figures` builds the
 * released figures from that report; the ledger re-checks the budget in the same transaction.
 */
export function releaseWithPrivacyCharge<F>(
  ledger: Ledger,
  policy: SitePolicy,
  charge: PrivacyCharge,
  entry: Omit<ReleaseInput, "figures" | "payloadSha256">,
  build: (report: PrivacyReport) => { figures: F; payloadSha256: string },
): F {
  const budget = privacyBudgetFor(policy, charge.projectId);
  const cost = costOf(charge);
  const epsilonSpent = epsilonAt(plus(ledger.privacySpent(charge.projectId, DEFAULT_ORDERS), cost), budget.delta);
  const report: PrivacyReport = {
    epsilonSpent,
    delta: budget.delta,
    maxEpsilon: budget.maxEpsilon,
    noiseMultiplier: charge.dp.noiseMultiplier,
    clipNorm: charge.normBound,
    exampleLevel: charge.dp.exampleLevel !== undefined,
    secureAggregation: charge.secureAggregation,
  };
  const { figures, payloadSha256 } = build(report);
  ledger.recordPrivateRelease(
    { ...entry, projectId: charge.projectId, figures, payloadSha256 },
    { orders: DEFAULT_ORDERS, rdp: cost },
    (spent) => {
      const refusal = overBudget(spent, plus(spent, cost), budgetsOf(policy, charge));
      if (refusal) throw refusal;
      const after = epsilonAt(plus(spent, cost), budget.delta);
      // Another task of the project was charged since the report was built: try again with the new figure.
      if (after !== epsilonSpent)
        throw new TaskError({ reason: "internal_error" }, true, "the project's privacy spend changed meanwhile");
    },
  );
  return figures;
}
