import { ZodError } from "zod";
import { fieldErrorsFromIssues, type FieldErrors } from "@/protocol/field-errors";

/**
 * The one error type services throw. The tRPC error formatter maps `code` to a transport code
 * and passes `fieldErrors` to forms; anything else thrown is an internal error and its message is hidden.
 */
export type AppErrorCode =
  "BAD_REQUEST" | "UNAUTHORIZED" | "FORBIDDEN" | "NOT_FOUND" | "CONFLICT" | "TOO_MANY_REQUESTS" | "PRECONDITION_FAILED";

export class AppError extends Error {
  readonly code: AppErrorCode;
  readonly fieldErrors?: Record<string, string[]>;

  constructor(code: AppErrorCode, message: string, fieldErrors?: Record<string, string[]>) {
    super(message);
    this.name = "AppError";
    this.code = code;
    this.fieldErrors = fieldErrors;
  }

  /** A refusal that belongs to one form field, e.g. a duplicate email. */
  static field(code: AppErrorCode, field: string, message: string): AppError {
    return new AppError(code, message, { [field]: [message] });
  }
}

/** True when a PostgreSQL error is a unique-constraint violation on `constraint`. */
export function isUniqueViolation(error: unknown, constraint: string): boolean {
  const cause = error instanceof Error && "cause" in error ? (error.cause as unknown) : error;
  const e = (cause ?? error) as { code?: string; constraint?: string };
  return e.code === "23505" && e.constraint === constraint;
}

/** The per-field messages a form shows for a refused request: zod issues (keyed by dotted path) or an AppError's fields. */
export function toFieldErrors(cause: unknown): FieldErrors | undefined {
  if (cause instanceof ZodError) return fieldErrorsFromIssues(cause.issues);
  if (cause instanceof AppError) return cause.fieldErrors;
  return undefined;
}

/** SQLSTATE class 57P (admin shutdown, crash shutdown, cannot connect now) anywhere in the cause chain. */
export function isDatabaseShutdown(error: unknown): boolean {
  for (let e: unknown = error, depth = 0; e && depth < 5; e = (e as { cause?: unknown }).cause, depth++) {
    const code = (e as { code?: unknown }).code;
    if (typeof code === "string" && /^57P0[123]$/.test(code)) return true;
  }
  return false;
}
