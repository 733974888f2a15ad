import type { z } from "zod";
import { fieldErrorsFromIssues, type FieldErrors } from "@/protocol/field-errors";
// The form checks with the server's own schema, so both refuse exactly the same input.
import {
  ZEvaluateJobInput,
  ZTrainJobInput,
  type TEvaluateJobInput,
  type TTrainJobInput,
} from "@/server/jobs/jobs.schema";

/** The schema's generic messages for these fields do not say what to enter. */
const FRIENDLY: Record<string, string> = {
  "strategy.mu": "Enter mu, 0 or more (0 behaves like FedAvg)",
  "strategy.serverLr": "Enter a server learning rate above 0",
  normBound: "Enter a norm bound above 0 and at most 1,000,000",
  validationFraction: "Choose a validation fraction from 0.05 to 0.5",
};

const fieldErrorsOf = (error: z.ZodError): FieldErrors =>
  fieldErrorsFromIssues(error.issues, { messageFor: (key) => FRIENDLY[key] });

type Parsed<T> = { data: T; errors: null } | { data: null; errors: FieldErrors };

function parseWith<T>(schema: z.ZodType<T>, input: unknown): Parsed<T> {
  const result = schema.safeParse(input);
  return result.success ? { data: result.data, errors: null } : { data: null, errors: fieldErrorsOf(result.error) };
}

export const parseTrainJob = (input: unknown): Parsed<TTrainJobInput> => parseWith(ZTrainJobInput, input);
export const parseEvaluateJob = (input: unknown): Parsed<TEvaluateJobInput> => parseWith(ZEvaluateJobInput, input);

/** An empty box is NaN, so zod reports "enter a number" rather than treating it as 0. */
export const numberOf = (raw: string) => (raw.trim() === "" ? Number.NaN : Number(raw));

/** Server field errors the form shows at a field; the rest (and errors without fields) go in one alert. */
export function splitServerErrors(
  errors: FieldErrors,
  shownAt: readonly string[],
): { atFields: FieldErrors; elsewhere: string[] } {
  const atFields: FieldErrors = {};
  const elsewhere: string[] = [];
  for (const [key, messages] of Object.entries(errors)) {
    if (shownAt.includes(key)) atFields[key] = messages;
    else elsewhere.push(...messages);
  }
  return { atFields, elsewhere };
}
