const PROBE_ORIGIN = "https://portal.invalid";
const isControl = (ch: string) => ch.charCodeAt(0) < 0x20 || ch.charCodeAt(0) === 0x7f;

/**
 * The path to open after sign-in: a path on this portal, or "/". The raw value is resolved the
 * way a browser resolves it (which turns `\` into `/` and drops tabs and newlines, so
 * `/\evil.example/` is `//evil.example/`) and only a result on the same origin is kept.
 */
export function safeCallback(raw: string | null): string {
  if (!raw || !raw.startsWith("/") || raw.includes("\\") || [...raw].some(isControl)) return "/";
  let resolved: URL;
  try {
    resolved = new URL(raw, PROBE_ORIGIN);
  } catch {
    return "/";
  }
  if (resolved.origin !== PROBE_ORIGIN) return "/";
  return `${resolved.pathname}${resolved.search}${resolved.hash}`;
}
