import { isTRPCClientError } from "@trpc/client";
import type { FieldErrors } from "@/protocol/field-errors";

/** Field errors sent by the server's error formatter, keyed by the dotted path of the input field. */
export function fieldErrorsOf(error: unknown): FieldErrors {
  if (isTRPCClientError(error)) {
    const data = error.data as { fieldErrors?: FieldErrors | null } | undefined;
    return data?.fieldErrors ?? {};
  }
  return {};
}

export function messageOf(error: unknown): string {
  if (error instanceof Error) return error.message;
  return "Something went wrong. Try again.";
}
