import { AppError, type AppErrorCode } from "@/server/errors";
import { errorFields, getLogger } from "@/server/observability/logger";

const STATUS: Record<AppErrorCode, number> = {
  BAD_REQUEST: 400,
  UNAUTHORIZED: 401,
  FORBIDDEN: 403,
  NOT_FOUND: 404,
  CONFLICT: 409,
  PRECONDITION_FAILED: 412,
  TOO_MANY_REQUESTS: 429,
};

/**
 * The JSON error body of the non-tRPC route handlers (binary weights, downloads), shaped like
 * `{ error: { code, message } }`. As in the tRPC formatter, an unexpected error's message is
 * logged (structured: a database error as its SQLSTATE and query name), never sent: it may name tables or hosts.
 */
export function errorResponse(error: unknown, where: string): Response {
  if (error instanceof AppError)
    return Response.json({ error: { code: error.code, message: error.message } }, { status: STATUS[error.code] });
  getLogger().error({ route: where, err: errorFields(error) }, "route failed");
  return Response.json(
    { error: { code: "INTERNAL_SERVER_ERROR", message: "Something went wrong on our side. Try again." } },
    { status: 500 },
  );
}
