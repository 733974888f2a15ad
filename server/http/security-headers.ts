/**
 * The browser-side protections every page carries. The Content-Security-Policy is strict: scripts
 * run only with this response's nonce (Next.js puts it on its own scripts; `'strict-dynamic'` lets
 * them load the chunks they need), never inline handlers or `eval` (development alone allows `eval`,
 * which React uses for its error overlays). Violations are reported to /api/csp-report.
 */
export const CSP_REPORT_PATH = "/api/csp-report";

/**
 * Headers for every response, pages and API alike: Next.js adds them to its own (next.config.ts),
 * the portal server to the API answers it sends itself (node-bridge.ts). Pages also get a CSP
 * with a fresh nonce from proxy.ts.
 */
export const STATIC_SECURITY_HEADERS: readonly { key: string; value: string }[] = [
  { key: "Strict-Transport-Security", value: "max-age=63072000; includeSubDomains" },
  { key: "Permissions-Policy", value: "camera=(), microphone=(), geolocation=(), payment=(), usb=()" },
  { key: "Cross-Origin-Opener-Policy", value: "same-origin" },
  { key: "Cross-Origin-Resource-Policy", value: "same-origin" },
  { key: "X-Frame-Options", value: "DENY" },
  { key: "X-Content-Type-Options", value: "nosniff" },
  { key: "Referrer-Policy", value: "same-origin" },
];

export function contentSecurityPolicy(nonce: string, { isDev = false } = {}): string {
  return [
    "default-src 'self'",
    `script-src 'self' 'nonce-${nonce}' 'strict-dynamic'${isDev ? " 'unsafe-eval'" : ""}`,
    // React and the chart library set style attributes; styles cannot run code.
    "style-src 'self' 'unsafe-inline'",
    "img-src 'self' blob: data:",
    "font-src 'self'",
    "connect-src 'self'",
    "object-src 'none'",
    "base-uri 'self'",
    "form-action 'self'",
    "frame-ancestors 'none'",
    `report-uri ${CSP_REPORT_PATH}`,
  ].join("; ");
}

/** A fresh, unguessable nonce per response (128 random bits, base64). */
export function makeNonce(): string {
  return btoa(String.fromCharCode(...crypto.getRandomValues(new Uint8Array(16))));
}
