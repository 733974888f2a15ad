import { getLogger } from "@/server/observability/logger";
import { readBody } from "./read-body";

const MAX_REPORT_BYTES = 16 * 1024;
const field = (value: unknown) => (typeof value === "string" ? value.slice(0, 200) : undefined);
/** Only the path of a URL: queries can carry ids or tokens, and the host is ours anyway. */
const pathOf = (value: unknown) => {
  const text = field(value);
  if (!text || !URL.canParse(text)) return text;
  const url = new URL(text);
  return url.protocol.startsWith("http") ? url.pathname : url.protocol;
};

/**
 * Logs a browser's Content-Security-Policy violation report (`report-uri`; both the legacy
 * `application/csp-report` body and the Reporting API's list) at warn: a violation on our own pages
 * is a bug or an injection attempt. Anyone can post here, so reports are small and only a few
 * fields are logged, cut short. Always 204.
 */
export async function receiveCspReport(request: Request): Promise<Response> {
  try {
    const body: unknown = JSON.parse(new TextDecoder().decode(await readBody(request, MAX_REPORT_BYTES)));
    const reports = Array.isArray(body)
      ? body.map((r) => (r as { body?: unknown })?.body)
      : [(body as Record<string, unknown>)?.["csp-report"]];
    for (const report of reports.slice(0, 10)) {
      if (!report || typeof report !== "object") continue;
      const r = report as Record<string, unknown>;
      getLogger().warn(
        {
          page: pathOf(r["document-uri"] ?? r.documentURL),
          directive: field(r["effective-directive"] ?? r.effectiveDirective ?? r["violated-directive"]),
          blocked: pathOf(r["blocked-uri"] ?? r.blockedURL),
        },
        "content security policy violation",
      );
    }
  } catch {
    // Not a report: nothing to log, and nothing to tell the sender.
  }
  return new Response(null, { status: 204 });
}
