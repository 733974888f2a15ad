import { test as base, expect } from "@playwright/test";

export { expect };
export type { Page } from "@playwright/test";

type CspViolation = { page: string; directive: string; blocked: string };

/**
 * Every journey fails on a Content-Security-Policy violation in any of its pages: the browser's
 * `securitypolicyviolation` events are forwarded to the test (Playwright's init scripts are not
 * subject to the page's CSP). A test that provokes violations on purpose takes them out of
 * `cspViolations` itself.
 */
export const test = base.extend<{ cspViolations: CspViolation[] }>({
  cspViolations: [
    async ({ context }, use) => {
      const violations: CspViolation[] = [];
      await context.exposeBinding("__flipCspViolation", (_source, violation: CspViolation) => {
        violations.push(violation);
      });
      await context.addInitScript(() => {
        document.addEventListener("securitypolicyviolation", (event) => {
          const report = (window as unknown as { __flipCspViolation: (v: CspViolation) => void }).__flipCspViolation;
          void report({ page: location.pathname, directive: event.effectiveDirective, blocked: event.blockedURI });
        });
      });
      await use(violations);
      expect(violations, "Content-Security-Policy violations").toEqual([]);
    },
    { auto: true },
  ],
});
