import { isTRPCClientError } from "@trpc/client";

/** Field errors sent by the server's error formatter, keyed by input field name. */
export function fieldErrorsOf(error: unknown): Record<string, string[]> {
  if (isTRPCClientError(error)) {
    const data = error.data as { fieldErrors?: Record<string, string[]> | null } | undefined;
    return data?.fieldErrors ?? {};
  }
  return {};
}

export function messageOf(error: unknown): string {
  if (error instanceof Error) return error.message;
  return "Something went wrong. Try again.";
}
