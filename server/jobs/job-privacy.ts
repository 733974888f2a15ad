import type { Bundle } from "@/protocol/bundle";
import type { TTrainJobInput } from "./jobs.schema";
import { AppError } from "@/server/errors";

/**
 * A training job's privacy settings against what the sites approved: the bundle may require
 * differential privacy (a noise multiplier at least, δ at most) and secure aggregation (whose three
 * sites per round ZTrainJobInput checks). The sites enforce their own budgets again.
 */
export function checkJobPrivacy(bundle: Bundle, input: TTrainJobInput): void {
  const required = bundle.privacy.differentialPrivacy;
  const dp = input.differentialPrivacy;
  if (required && !dp)
    throw AppError.field(
      "PRECONDITION_FAILED",
      "differentialPrivacy",
      `The approved bundle requires differential privacy (noise multiplier at least ${required.minNoiseMultiplier}, δ at most ${required.maxDelta})`,
    );
  if (required && dp && dp.noiseMultiplier < required.minNoiseMultiplier)
    throw AppError.field(
      "PRECONDITION_FAILED",
      "differentialPrivacy.noiseMultiplier",
      `The approved bundle requires a noise multiplier of at least ${required.minNoiseMultiplier}`,
    );
  if (required && dp && dp.delta > required.maxDelta)
    throw AppError.field(
      "PRECONDITION_FAILED",
      "differentialPrivacy.delta",
      `The approved bundle allows δ of at most ${required.maxDelta}`,
    );
  if (bundle.privacy.secureAggregation && !input.secureAggregation)
    throw AppError.field(
      "PRECONDITION_FAILED",
      "secureAggregation",
      "The approved bundle requires secure aggregation for training",
    );
}
