import Bowser from "bowser";

/** "Chrome on Linux" from a User-Agent header, for a person recognising their own browsers. */
export function describeBrowser(userAgent: string | null): string {
  if (!userAgent) return "Unknown browser";
  const { browser, os } = Bowser.parse(userAgent);
  const name = browser.name ?? "Unknown browser";
  return os.name ? `${name} on ${os.name}` : name;
}
